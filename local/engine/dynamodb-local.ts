/**
 * Starts the official DynamoDB Local jar (shipped in the `amplify-dynamodb-simulator` npm package) on a
 * free port, waits until it answers HTTP, and stops it again. The JVM dies with this process however this
 * process ends, SIGKILL included, and only then: it runs in a process group of its own, so a signal meant
 * for this process's group (a terminal's Ctrl-C) is this process's to handle, and it says when the JVM stops. Used by the fixture recorder and meant to be reused by the offline runner,
 * so it has no other dependency than Node itself.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnParentDeath, ParentDeathWatchdog } from './parent-death-watchdog';

export interface DynamoDbLocalOptions {
  /** Port to listen on. Default: a free port chosen by the operating system. */
  readonly port?: number;
  /** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib/. Default: the one in amplify-dynamodb-simulator. */
  readonly jarDirectory?: string;
  /** The java executable. Default: $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` from PATH. */
  readonly javaCommand?: string;
  /** Options for the JVM (before `-jar`), e.g. `-Xmx512m`. Default: none. */
  readonly javaOptions?: readonly string[];
  /** Called once the JVM's process is spawned, well before it answers (work meant to overlap its start waits for it). */
  readonly onSpawned?: () => void;
  /** Keep the data in memory (default true); when false, data goes to `dbPath`. */
  readonly inMemory?: boolean;
  /** Where to keep the data file when `inMemory` is false. */
  readonly dbPath?: string;
  /** How long to wait for the jar to answer. Default 30 s (a cold JVM on a busy 2-core machine takes 1-3 s). */
  readonly startupTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:43123` */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the jar (SIGTERM, then SIGKILL after 5 s). Safe to call more than once. */
  stop(): Promise<void>;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
/** Windows has no process groups to leave: there the JVM stays attached to this process's console. */
const OWN_PROCESS_GROUP = process.platform !== 'win32';
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * Children still running, killed when this process exits so that no JVM outlives its parent; each with
 * the watchdog that kills it when this process dies without running any hook (SIGKILL).
 */
const running = new Map<ChildProcess, ParentDeathWatchdog>();
let exitHooksInstalled = false;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const jarDirectory = options.jarDirectory ?? defaultJarDirectory();
  const jar = path.join(jarDirectory, 'DynamoDBLocal.jar');
  if (!existsSync(jar)) {
    throw new Error(`DynamoDB Local jar not found at ${jar}: install the amplify-dynamodb-simulator package or pass jarDirectory`);
  }
  const port = options.port ?? await findFreePort();
  const args = [
    ...(options.javaOptions ?? []),
    `-Djava.library.path=${path.join(jarDirectory, 'DynamoDBLocal_lib')}`,
    '-jar', jar,
    // -sharedDb: every access key and region sees the same tables, so clients need no matching credentials.
    '-sharedDb',
    '-port', String(port),
  ];
  if (options.inMemory === false) {
    if (!options.dbPath) {
      throw new Error('dbPath is required when inMemory is false');
    }
    args.push('-dbPath', options.dbPath);
  } else {
    args.push('-inMemory');
  }

  installExitHooks();
  const javaCommand = options.javaCommand ?? defaultJavaCommand();
  // A process group of its own: a terminal's Ctrl-C (SIGINT to the foreground group) must not reach the JVM,
  // or it would exit before the runner reads the streams for its ledger. Whoever started it decides when it
  // stops; the watchdog still kills it if that process dies without a word (SIGKILL).
  const child = spawn(javaCommand, args, { cwd: jarDirectory, stdio: ['ignore', 'pipe', 'pipe'], detached: OWN_PROCESS_GROUP });
  options.onSpawned?.();
  const watchdog = killOnParentDeath(child, 'dynamodb-local-watchdog');
  running.set(child, watchdog);
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      // Gone: its pid may go to another process, which the watchdog must never kill.
      watchdog.disarm();
      running.delete(child);
      resolve();
    });
    // A spawn failure (e.g. no java) emits 'error' and may never emit 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) {
        running.delete(child);
        resolve();
      }
    });
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilReady(child, endpoint, options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS, javaCommand);
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(output.trim() ? `${message}\n--- DynamoDB Local output ---\n${output.trim()}` : message);
  }
  return { endpoint, port, stop };
}

function defaultJarDirectory(): string {
  // The jar ships in an npm package: look in the user's project first, then next to this code.
  let packageJson: string;
  try {
    packageJson = require.resolve('amplify-dynamodb-simulator/package.json', { paths: [process.cwd(), __dirname] });
  } catch {
    throw new Error('DynamoDB Local not found: install the npm package that ships the official jar '
      + '(npm install --save-dev amplify-dynamodb-simulator), or point the runner at a DynamoDB Local you run (--endpoint)');
  }
  return path.join(path.dirname(packageJson), 'emulator');
}

function defaultJavaCommand(): string {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome) {
    const candidate = path.join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (existsSync(candidate)) {
      return candidate;
    }
  }
  return 'java';
}

/** Asks the OS for a free port. Another process could take it before the jar binds: the caller then sees a clear startup error. */
async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** Ready means: answers HTTP at all (an unsigned GET gets a 400 once the server is up). */
async function waitUntilReady(child: ChildProcess, endpoint: string, timeoutMs: number, javaCommand: string): Promise<void> {
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure = error.code === 'ENOENT'
      ? new Error(`Java was not found (tried "${javaCommand}"). DynamoDB Local needs a Java runtime: ` +
        'install one, e.g. `apt-get install default-jre-headless` (Debian/Ubuntu) or `brew install openjdk`, ' +
        'or set JAVA_HOME to an existing installation.')
      : new Error(`could not start DynamoDB Local with "${javaCommand}": ${error.message}`);
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`DynamoDB Local exited before it was ready (exit code ${code}, signal ${signal})`);
  });

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failure) {
      throw failure;
    }
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw failure ?? new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
}

function installExitHooks(): void {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  // 'exit' handlers may only do synchronous work: kill() is synchronous.
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Another handler (the runner's CLI) owns the signal: it stops the JVM when it is done with it, after
      // the streams are read for the ledger. Killing it here would pull DynamoDB away under that handler.
      if (process.listenerCount(signal) > 1) {
        return;
      }
      // Nobody else handles it: the default behaviour (terminate), without leaving a JVM behind.
      killAllNow();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Kills every JVM still running, and ends its watchdog, which has nothing left to do. */
function killAllNow(): void {
  for (const [child, watchdog] of running) {
    child.kill('SIGKILL');
    watchdog.disarm();
  }
}
