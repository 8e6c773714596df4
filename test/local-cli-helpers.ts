import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'fs';
import * as path from 'path';
import { BuildOptions, buildSync } from 'esbuild';
import { tempDir } from './local-runner-helpers';

const REPO = path.join(__dirname, '..');

/**
 * Bundles `entries` (paths under local/) into `outdir` as the bundle step does (CommonJS for Node 20, each
 * entry as `<name>.js`): tests that start processes load them without ts-node, and start in milliseconds.
 */
export function bundleLocal(outdir: string, entries: readonly string[], options: Pick<BuildOptions, 'external' | 'define'> = {}): void {
  buildSync({
    entryPoints: entries.map((entry) => path.join(REPO, 'local', entry)),
    entryNames: '[name]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outdir,
    logLevel: 'silent',
    ...options,
  });
}

/**
 * The CLI bundled from the sources as the bundle step ships it (its API, the function worker, the SDK that
 * functions get), in a folder of its own: these tests run what is in local/ now, without ts-node.
 */
export function buildCli(): string {
  const dir = tempDir('stt-cli-bundle-');
  // The S3 parts in a file of their own next to the CLI, loaded on first use, as shipped.
  bundleLocal(dir, ['cli.ts', 'lambda/function-worker.ts', 'engine/s3-modules.ts'], {
    external: ['amplify-dynamodb-simulator', './s3-modules'],
    define: { 'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"' },
  });
  // The functions' AWS SDK (built by the bundle step), and the jar's npm package, found next to the CLI.
  const runtime = path.join(REPO, 'assets', 'local-runner', 'runtime');
  if (!existsSync(runtime)) throw new Error(`${runtime} is missing: run npx projen bundle:local-runner`);
  symlinkSync(runtime, path.join(dir, 'runtime'));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'cli.js');
}

export interface CliRun {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the CLI as a terminal would: the leader of a process group of its own (the terminal's foreground
 * group), so that a signal to the group reaches it and whatever stayed in its group.
 */
export function runCli(cli: string, args: string[], cwd = REPO): CliRun {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const run: CliRun = {
    child,
    pid: child.pid!,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout!.on('data', (chunk) => (run.stdout += chunk));
  child.stderr!.on('data', (chunk) => (run.stderr += chunk));
  return run;
}

/** Waits for `text` in the CLI's output (after `from` characters of it); fails with the whole output. */
export async function waitForOutput(run: CliRun, text: string | RegExp, timeoutMs = 60_000, from = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const found = () => (typeof text === 'string' ? run.stdout.slice(from).includes(text) : text.test(run.stdout.slice(from)));
  while (!found()) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`no ${String(text)} in the CLI's output:\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly args: string;
}

/** Every process but zombies (ended, not yet reaped by whoever inherited them: gone as far as tests care). */
export function runningProcesses(): ProcessInfo[] {
  if (!existsSync('/proc/self/stat')) {
    return execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf-8' }).split('\n')
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => !!m && !m[3].startsWith('Z'))
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[4] }));
  }
  const found: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf-8');
      // After the command name, which may hold spaces and parentheses: state, ppid, ...
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf-8').split('\0').join(' ').trim();
      found.push({ pid: Number(name), ppid: Number(ppid), args });
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Whether `condition` holds within `timeoutMs`, checked every `intervalMs`. */
export async function eventually(condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return true;
}

/** The processes `pid` started, by kind: the DynamoDB Local JVM, its watchdog, function workers. */
export function childrenOf(pid: number): { jvm: ProcessInfo[]; watchdog: ProcessInfo[]; workers: ProcessInfo[]; all: ProcessInfo[] } {
  const all = runningProcesses().filter((p) => p.ppid === pid);
  return {
    jvm: all.filter((p) => p.args.includes('DynamoDBLocal.jar')),
    watchdog: all.filter((p) => p.args.includes('dynamodb-local-watchdog')),
    workers: all.filter((p) => p.args.includes('function-worker.js')),
    all,
  };
}

/** The pids of `pids` still running after up to `timeoutMs`. */
export async function stillRunning(pids: readonly number[], timeoutMs = 5_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = new Set(runningProcesses().map((p) => p.pid));
    const left = pids.filter((pid) => running.has(pid));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
