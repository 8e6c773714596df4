/**
 * No process is left behind by the offline runner's parts: a function's grandchildren die with its
 * execution environment (timeout, stop(), its own exit, its parent's exit or SIGKILL), and the DynamoDB
 * Local JVM dies with the process that started it, SIGKILL included. Real processes throughout; each test
 * looks for the command lines carrying its own marker.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleLocal, eventually, ProcessInfo, runningProcesses } from './local-cli-helpers';
import { startDynamoDbLocal } from '../local/engine/dynamodb-local';
import type { FunctionHost, FunctionHostOptions } from '../local/lambda/function-host';
import { FunctionHostStoppedError } from '../local/lambda/function-host';

const REPO = path.join(__dirname, '..');
const GRANDCHILDREN = path.join(__dirname, 'fixtures', 'fault-functions', 'grandchildren');
/** Each invocation of the fixture leaves this many marked processes: two `sleep`s and a shell. */
const MARKED_PER_CALL = 3;

/** Running processes whose command line contains `text`. */
function processesWith(text: string): ProcessInfo[] {
  return runningProcesses().filter((p) => p.args.includes(text));
}

function isRunning(pid: number): boolean {
  return runningProcesses().some((p) => p.pid === pid);
}

/** A `sleep` argument no other test or process uses: 300 seconds and a random fraction. */
function uniqueMarker(): string {
  return `300.${process.pid}${randomInt(1e9)}`;
}

/** The command lines still running with `marker`, after waiting up to `timeoutMs` for there to be none. */
/** The marked processes once there are `count` of them (the shell starts its `sleep` after the function returned). */
async function marked(marker: string, count: number, timeoutMs = 3_000): Promise<ProcessInfo[]> {
  await eventually(() => processesWith(marker).length >= count, timeoutMs);
  return processesWith(marker);
}

async function leftBehind(marker: string, timeoutMs = 3_000): Promise<string[]> {
  await eventually(() => processesWith(marker).length === 0, timeoutMs);
  return processesWith(marker).map((p) => p.args);
}

const tempDirs: string[] = [];
function tempFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-processes-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The host, its worker and the DynamoDB Local starter bundled by esbuild, as the runner ships them: the
 * parents these tests kill load them without ts-node, and the workers start in milliseconds.
 */
let bundleDir: string;
let Bundled: typeof FunctionHost;
beforeAll(() => {
  bundleDir = tempFolder();
  bundleLocal(bundleDir, ['lambda/function-host.ts', 'lambda/function-worker.ts', 'engine/dynamodb-local.ts']);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  Bundled = require(path.join(bundleDir, 'function-host.js')).FunctionHost;
});

const hosts: FunctionHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function grandchildrenHost(options: Partial<FunctionHostOptions> = {}) {
  const logged: string[] = [];
  const host = await Bundled.start({
    name: 'Grandchildren',
    codeDir: GRANDCHILDREN,
    handler: 'index.handler',
    environment: {},
    timeoutSeconds: 30,
    memorySize: 128,
    onLogLine: (line) => logged.push(line),
    ...options,
  });
  hosts.push(host);
  return { host, logged };
}

/** A Node.js process running `script`, whose first line of output is awaited by `firstLine`. */
function parentProcess(script: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => stderr += chunk);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const end = stdout.indexOf('\n');
      if (end !== -1) resolve(stdout.slice(0, end));
    });
    void closed.then(() => reject(new Error(`the parent ended before printing anything: ${stderr}`)));
  });
  return { child, firstLine, closed };
}

const posix = process.platform === 'win32' ? describe.skip : describe;

posix('what a function spawns dies with its execution environment', () => {
  test('on timeout, even while it holds the process\'s stdout and stderr', async () => {
    const marker = uniqueMarker();
    const { host } = await grandchildrenHost({ timeoutSeconds: 2 });
    const result = host.invoke({ marker, then: 'hang', stdio: 'inherit' });
    expect(await eventually(() => processesWith(marker).length === MARKED_PER_CALL, 10_000)).toBe(true);

    expect(await result).toMatchObject({ status: 'error', errorType: 'Sandbox.Timedout' });
    expect(await leftBehind(marker)).toStrictEqual([]);
  });

  test('on stop() while a call runs', async () => {
    const marker = uniqueMarker();
    const { host } = await grandchildrenHost();
    const result = host.invoke({ marker, then: 'hang' });
    expect(await eventually(() => processesWith(marker).length === MARKED_PER_CALL, 10_000)).toBe(true);

    await host.stop();
    // The bundle's own class: the name tells it.
    await expect(result).rejects.toMatchObject({ name: FunctionHostStoppedError.name });
    expect(await leftBehind(marker)).toStrictEqual([]);
  });

  test('when the function process exits on its own', async () => {
    const marker = uniqueMarker();
    const { host, logged } = await grandchildrenHost();

    const result = await host.invoke({ marker, then: 'exit' });
    expect(result).toMatchObject({ status: 'error', errorType: 'Runtime.ExitError' });
    // They were there: the function printed their pids before it exited.
    const pids = JSON.parse(logged[0]) as Record<string, number>;
    expect(Object.values(pids)).toHaveLength(3);
    expect(await leftBehind(marker)).toStrictEqual([]);
    expect(Object.values(pids).filter(isRunning)).toStrictEqual([]);
  });

  test('a warm process keeps them between calls, as Lambda\'s does; stop() ends them', async () => {
    const marker = uniqueMarker();
    const { host } = await grandchildrenHost();

    const result = await host.invoke({ marker, then: 'return' });
    expect(result.status).toBe('ok');
    expect(await marked(marker, MARKED_PER_CALL)).toHaveLength(MARKED_PER_CALL);
    const second = await host.invoke({ marker, then: 'return' });
    expect(second.coldStart).toBe(false);
    expect(await marked(marker, 2 * MARKED_PER_CALL)).toHaveLength(2 * MARKED_PER_CALL);

    await host.stop();
    expect(await leftBehind(marker)).toStrictEqual([]);
  });
});

posix('when the process running the host ends', () => {
  const script = (bundle: string) => `
    const { FunctionHost } = require(${JSON.stringify(path.join(bundle, 'function-host.js'))});
    (async () => {
      const host = await FunctionHost.start({
        name: 'Orphans', codeDir: ${JSON.stringify(GRANDCHILDREN)}, handler: 'index.handler', environment: {},
        timeoutSeconds: 60, memorySize: 128, maxConcurrency: 2,
      });
      const marker = process.env.MARKER;
      // Unless this parent is to end on its own, a busy process (which keeps this parent alive)...
      if (process.env.MODE === 'kill') void host.invoke({ marker, then: 'hang' });
      // ...and an idle one, both leaving processes running.
      await host.invoke({ marker, then: 'return' });
      process.stdout.write(JSON.stringify(host.pids) + '\\n');
    })();`;

  test.each([['ends without stop()', 'end'], ['is SIGKILLed', 'kill']] as const)('workers and their grandchildren are gone when it %s', async (_, mode) => {
    const marker = uniqueMarker();
    // The host's temporary directory goes there: a SIGKILLed parent cannot remove it.
    const parent = parentProcess(script(bundleDir), { MARKER: marker, MODE: mode, TMPDIR: tempFolder() });
    const workers = JSON.parse(await parent.firstLine) as number[];
    expect(workers).toHaveLength(mode === 'kill' ? 2 : 1);

    if (mode === 'kill') {
      expect(await eventually(() => processesWith(marker).length === 2 * MARKED_PER_CALL, 10_000)).toBe(true);
      parent.child.kill('SIGKILL');
      expect(await parent.closed).toMatchObject({ signal: 'SIGKILL' });
    } else {
      expect(await parent.closed).toMatchObject({ code: 0, stderr: '' });
    }
    expect(await leftBehind(marker, 5_000)).toStrictEqual([]);
    expect(workers.filter(isRunning)).toStrictEqual([]);
  });
});

posix('the DynamoDB Local JVM dies with the process that started it', () => {
  /** The JVM listening on `port`, and the watchdog that kills it if its parent dies. */
  const jvmOn = (port: number) => processesWith(`DynamoDBLocal.jar -sharedDb -port ${port} `);
  const watchdogsOf = (pid: number) => processesWith(`dynamodb-local-watchdog ${pid}`);

  test('SIGKILL of its parent', async () => {
    const parent = parentProcess(`
      const { startDynamoDbLocal } = require(${JSON.stringify(path.join(bundleDir, 'dynamodb-local.js'))});
      startDynamoDbLocal().then((db) => process.stdout.write(JSON.stringify({ port: db.port }) + '\\n'));`, {});
    const { port } = JSON.parse(await parent.firstLine) as { port: number };
    const [jvm] = jvmOn(port);
    expect(jvm).toBeDefined();
    expect(watchdogsOf(jvm.pid)).toHaveLength(1);

    parent.child.kill('SIGKILL');
    expect(await parent.closed).toMatchObject({ signal: 'SIGKILL' });
    expect(await eventually(() => jvmOn(port).length === 0 && watchdogsOf(jvm.pid).length === 0, 5_000)).toBe(true);
  });

  test('stop() leaves neither the JVM nor its watchdog', async () => {
    const db = await startDynamoDbLocal();
    const [jvm] = jvmOn(db.port);
    expect(jvm).toBeDefined();
    expect(watchdogsOf(jvm.pid)).toHaveLength(1);

    await db.stop();
    expect(await eventually(() => jvmOn(db.port).length === 0 && watchdogsOf(jvm.pid).length === 0, 3_000)).toBe(true);
  });

  test('a JVM that exits before it is ready: the error carries its output, and no watchdog is left', async () => {
    const marker = uniqueMarker();
    const fakeJava = path.join(tempFolder(), 'java');
    fs.writeFileSync(fakeJava, `#!/bin/sh\necho "Error: no JVM here ${marker}"\nexit 3\n`, { mode: 0o755 });

    await expect(startDynamoDbLocal({ javaCommand: fakeJava })).rejects.toThrow(
      new RegExp(`^DynamoDB Local exited before it was ready \\(exit code 3, signal null\\)\n--- DynamoDB Local output ---\nError: no JVM here ${marker.replace('.', '\\.')}$`));
    // Watchdogs are children of the process that starts DynamoDB Local: this one.
    expect(await eventually(() => processesWith('dynamodb-local-watchdog').every((p) => p.ppid !== process.pid), 3_000)).toBe(true);
  });

  test('javaOptions go to the JVM before -jar', async () => {
    const fakeJava = path.join(tempFolder(), 'java');
    fs.writeFileSync(fakeJava, '#!/bin/sh\necho "args: $*"\nexit 3\n', { mode: 0o755 });
    await expect(startDynamoDbLocal({ javaCommand: fakeJava, javaOptions: ['-XX:TieredStopAtLevel=1', '-Xmx256m'] }))
      .rejects.toThrow(/\nargs: -XX:TieredStopAtLevel=1 -Xmx256m -Djava\.library\.path=\S+ -jar \S+DynamoDBLocal\.jar -sharedDb /);
  });

  test('no Java: the same message as before, and nothing started', async () => {
    await expect(startDynamoDbLocal({ javaCommand: path.join(tempFolder(), 'no-such-java') })).rejects.toThrow(/^Java was not found \(tried ".*no-such-java"\)\. DynamoDB Local needs a Java runtime/);
  });
});
