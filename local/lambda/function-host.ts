/**
 * Runs one Lambda function locally from its real code asset (or inline code), each execution environment
 * in its own Node.js process (`function-worker.ts`), as Lambda runs sandboxes: one invocation at a time per
 * process, more processes for concurrent invocations (up to `maxConcurrency`, then invocations queue),
 * idle processes reused warm, the handler module loaded once per process (cold start), a timed-out or
 * crashed process replaced by a fresh one.
 *
 * Only CommonJS handlers: an ES module handler (`.mjs`, or `.js` under `"type": "module"`) is refused by
 * {@link FunctionHost.start} with an explicit message.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  esModuleMessage, flushMarker, INIT_TOKEN, InvokeMessage, locateHandlerModule, splitHandler, WORKER_FLAG, WorkerArguments, WorkerMessage,
} from './function-worker';

export interface FunctionHostOptions {
  /** Logical id / function name, used in the context, the ARN and the Lambda environment variables. */
  readonly name: string;
  /** The asset directory holding the code (`LAMBDA_TASK_ROOT`). Exactly one of `codeDir` and `inlineCode`. */
  readonly codeDir?: string;
  /** `Code.fromInline` source, written to a temporary directory as `index.js`. */
  readonly inlineCode?: string;
  /** The Lambda handler string: `index.handler`, `dir/file.method`, `file.nested.method`. CommonJS only. */
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Default `000000000000`. */
  readonly account?: string;
  /** Most processes (concurrent invocations) at once; more invocations wait for one. Default 10. */
  readonly maxConcurrency?: number;
  /** Longest init (loading the handler module) before it fails as `Sandbox.Timedout`. Default 10 (Lambda's init limit). */
  readonly initTimeoutSeconds?: number;
  /**
   * Every line the function prints, whole, in the order printed on each stream. Lines printed during an
   * invocation are all delivered before its `invoke()` resolves. Default: dropped.
   */
  readonly onLogLine?: (line: string, stream: 'stdout' | 'stderr', functionName: string) => void;
}

export interface InvokeResult {
  readonly status: 'ok' | 'error';
  /** ok: the handler's return value after a JSON round trip (`undefined` becomes `null`). */
  readonly payload?: unknown;
  /**
   * error: the thrown error's name (`Error`, `TypeError`, ...); `Sandbox.Timedout` on timeout;
   * `Runtime.ExitError` when the process died without answering; `Runtime.ImportModuleError`,
   * `Runtime.HandlerNotFound`, `Runtime.UserCodeSyntaxError` on load problems;
   * `Runtime.UnhandledPromiseRejection`; `Runtime.NodeJsExit`; `Function.ResponseSizeTooLarge`.
   */
  readonly errorType?: string;
  /** error: e.g. `Task timed out after 3.00 seconds`. */
  readonly errorMessage?: string;
  /** How long the invocation ran (the init of a cold start excluded, see `initDurationMs`). */
  readonly durationMs: number;
  /** How long the handler module took to load, on a cold start. */
  readonly initDurationMs?: number;
  readonly requestId: string;
  readonly coldStart: boolean;
}

/** `invoke()` after `stop()`, or an invocation cut short by `stop()`: no outcome, not a function error. */
export class FunctionHostStoppedError extends Error {
  constructor(functionName: string) {
    super(`function host ${functionName} is stopped`);
    this.name = 'FunctionHostStoppedError';
  }
}

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '000000000000';
const DEFAULT_MAX_CONCURRENCY = 10;
const DEFAULT_INIT_TIMEOUT_SECONDS = 10;
/** How long to wait, after a process exits, for its stdout/stderr to end (a grandchild may hold them open). */
const CLOSE_GRACE_MS = 1_000;

// ---------------------------------------------------------------------------------------------------
// Processes die with their parent
// ---------------------------------------------------------------------------------------------------

const liveProcesses = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Workers also exit on their own when their IPC channel closes (the parent died without this hook).
  process.on('exit', () => {
    for (const child of liveProcesses) child.kill('SIGKILL');
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });
}

// ---------------------------------------------------------------------------------------------------
// One execution environment
// ---------------------------------------------------------------------------------------------------

interface WorkerSpec {
  readonly file: string;
  readonly execArgv: string[];
}

/** Only resolved when running from the TypeScript sources (a variable, so that esbuild leaves it alone). */
const TS_NODE_REGISTER = 'ts-node/register/transpile-only';

/** The bundled `function-worker.js` next to this file, else the TypeScript source through ts-node. */
function workerSpec(): WorkerSpec {
  const js = path.join(__dirname, 'function-worker.js');
  if (fs.existsSync(js)) return { file: js, execArgv: [] };
  // An absolute path: the worker starts in this directory, and the user's code directory has no ts-node.
  return { file: path.join(__dirname, 'function-worker.ts'), execArgv: ['-r', require.resolve(TS_NODE_REGISTER)] };
}

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

type Outcome =
  | { readonly kind: 'ready' }
  | { readonly kind: 'ok'; readonly payload: unknown }
  | { readonly kind: 'error'; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'timeout'; readonly seconds: number; readonly phase: 'init' | 'invoke' }
  | { readonly kind: 'exit'; readonly exit: ExitInfo };

interface Pending {
  readonly token: string;
  /** The answer, once in (its lines may still be on their way). */
  received?: WorkerMessage;
  readonly timer: NodeJS.Timeout;
  readonly settle: (outcome: Outcome) => void;
}

interface SandboxConfig {
  readonly functionArn: string;
  readonly env: Record<string, string>;
  readonly worker: WorkerSpec;
  readonly initTimeoutMs: number;
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly onClosed: (sandbox: Sandbox) => void;
}

const STREAMS = ['stdout', 'stderr'] as const;
type StreamName = typeof STREAMS[number];

class Sandbox {
  /** Invocations answered: while 0, the next one is a cold start. */
  invocations = 0;
  /** Resolves with `ready`, or why init failed. */
  readonly ready: Promise<Outcome>;
  readonly initDurationMs: Promise<number>;
  /** Set when this process must not take another invocation (it is exiting, killed or failed to init). */
  retired = false;
  /** Why the host killed it, if it did. */
  killedBy?: 'timeout' | 'stop' | 'init';
  private readonly child: ChildProcess;
  private readonly marker: string;
  private readonly buffers: Record<StreamName, string> = { stdout: '', stderr: '' };
  /** Flush markers read, per token, and who waits for both. */
  private readonly flushes = new Map<string, { streams: Set<StreamName>; resolve?: () => void }>();
  private pending?: Pending;
  private exit?: ExitInfo;
  private isClosed = false;
  private readonly closed: Promise<void>;

  constructor(private readonly config: SandboxConfig) {
    const secret = randomBytes(12).toString('hex');
    this.marker = flushMarker(secret);
    const args: WorkerArguments = { secret, functionArn: config.functionArn };
    const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
    this.child = fork(config.worker.file, [WORKER_FLAG, JSON.stringify(args)], {
      // ts-node finds its tsconfig from here; the worker then changes to LAMBDA_TASK_ROOT.
      cwd: path.dirname(config.worker.file),
      env: { ...config.env, AWS_LAMBDA_LOG_STREAM_NAME: logStream },
      execArgv: config.worker.execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    liveProcesses.add(this.child);
    for (const stream of STREAMS) {
      const readable = this.child[stream]!;
      readable.setEncoding('utf-8');
      readable.on('data', (chunk: string) => this.onData(stream, chunk));
    }
    this.child.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.closed = new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.onClose();
        resolve();
      };
      this.child.once('close', (code, signal) => {
        this.exit ??= { code, signal };
        finish();
      });
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.retired = true;
        setTimeout(() => {
          for (const stream of STREAMS) this.child[stream]?.destroy();
          finish();
        }, CLOSE_GRACE_MS).unref();
      });
      // Failed to spawn (no 'exit' then), failed to kill, or a send on a closed channel: treat as gone.
      this.child.on('error', () => {
        if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) return;
        this.exit ??= { code: null, signal: null };
        finish();
      });
    });

    const initStarted = performance.now();
    this.ready = this.expect(INIT_TOKEN, config.initTimeoutMs).then((outcome) => {
      if (outcome.kind !== 'ready') {
        this.retired = true;
        this.killedBy ??= 'init';
        void this.kill();
      }
      return outcome;
    });
    this.initDurationMs = this.ready.then(() => performance.now() - initStarted);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Can take an invocation now. */
  get usable(): boolean {
    return !this.retired && this.child.connected && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Runs one invocation; resolves once its answer and every line printed before it are in. */
  async run(requestId: string, event: unknown, timeoutMs: number): Promise<{ outcome: Outcome; durationMs: number }> {
    const started = performance.now();
    const message: InvokeMessage = { type: 'invoke', requestId, deadline: Date.now() + timeoutMs, event };
    const answer = this.expect(requestId, timeoutMs);
    try {
      // Throws synchronously when the event cannot be serialized (e.g. a BigInt): nothing was sent.
      this.child.send(message, (error) => {
        if (error) void this.kill();
      });
    } catch (error) {
      this.cancel(requestId);
      throw error;
    }
    const outcome = await answer;
    this.invocations++;
    return { outcome, durationMs: performance.now() - started };
  }

  /** Keeps the parent alive while an invocation runs... */
  busy(): void {
    this.child.ref();
    this.child.channel?.ref();
    for (const stream of STREAMS) (this.child[stream] as unknown as net.Socket | null)?.ref();
  }

  /** ...but not for an idle process. */
  idle(): void {
    this.child.unref();
    this.child.channel?.unref();
    for (const stream of STREAMS) (this.child[stream] as unknown as net.Socket | null)?.unref();
  }

  /** SIGKILL, then wait until the process is gone and its output read. */
  async kill(reason?: 'timeout' | 'stop'): Promise<void> {
    this.retired = true;
    if (reason) this.killedBy ??= reason;
    // Referenced again, or an idle process would not keep this one alive until it is gone.
    this.busy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.closed;
  }

  /** Waits for the answer with `token` (then for its flush markers), the timeout, or the process's end. */
  private expect(token: string, timeoutMs: number): Promise<Outcome> {
    const phase = token === INIT_TOKEN ? 'init' : 'invoke';
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        void this.kill('timeout').then(() => resolve({ kind: 'timeout', seconds: timeoutMs / 1000, phase }));
      }, timeoutMs);
      this.pending = {
        token,
        timer,
        settle: (outcome) => {
          clearTimeout(timer);
          this.pending = undefined;
          resolve(outcome);
        },
      };
    });
  }

  private cancel(token: string): void {
    if (this.pending?.token === token) this.pending.settle({ kind: 'exit', exit: { code: null, signal: null } });
    this.flushes.delete(token);
  }

  private onMessage(message: WorkerMessage): void {
    const pending = this.pending;
    if (!pending || pending.received) return;
    if (message.type === 'ready') {
      if (pending.token === INIT_TOKEN) pending.settle({ kind: 'ready' });
      return;
    }
    const token = message.type === 'initError' ? INIT_TOKEN : message.requestId;
    if (token !== pending.token) return;
    pending.received = message;
    // Answered in time: only its lines are awaited now (the markers precede the answer, so they come).
    clearTimeout(pending.timer);
    if (message.type === 'error' && message.fatal) this.retired = true;
    void this.flushed(token).then(() => {
      if (this.pending === pending) pending.settle(toOutcome(message));
    });
  }

  /** Resolves once the flush marker `token` was read on both streams (or the process is gone). */
  private flushed(token: string): Promise<void> {
    const state = this.flushes.get(token) ?? { streams: new Set<StreamName>() };
    this.flushes.set(token, state);
    if (state.streams.size === STREAMS.length || this.isClosed) {
      this.flushes.delete(token);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      state.resolve = () => {
        this.flushes.delete(token);
        resolve();
      };
    });
  }

  /** Splits into whole lines; a partial line waits in `buffers` (only the new chunk is searched). */
  private onData(stream: StreamName, chunk: string): void {
    let end = chunk.indexOf('\n');
    if (end === -1) {
      this.buffers[stream] += chunk;
      return;
    }
    this.onLine(stream, this.buffers[stream] + chunk.slice(0, end));
    let start = end + 1;
    for (end = chunk.indexOf('\n', start); end !== -1; end = chunk.indexOf('\n', start)) {
      this.onLine(stream, chunk.slice(start, end));
      start = end + 1;
    }
    this.buffers[stream] = chunk.slice(start);
  }

  private onLine(stream: StreamName, line: string): void {
    const at = line.indexOf(this.marker);
    if (at === -1) {
      this.config.onLine(line, stream);
      return;
    }
    // The marker follows whatever the function left without a newline: that is a line of its own.
    if (at > 0) this.config.onLine(line.slice(0, at), stream);
    const token = line.slice(at + this.marker.length);
    const state = this.flushes.get(token) ?? { streams: new Set<StreamName>() };
    this.flushes.set(token, state);
    state.streams.add(stream);
    if (state.streams.size === STREAMS.length) state.resolve?.();
  }

  private onClose(): void {
    this.isClosed = true;
    liveProcesses.delete(this.child);
    this.retired = true;
    for (const stream of STREAMS) {
      if (this.buffers[stream] !== '') this.onLine(stream, this.buffers[stream]);
      this.buffers[stream] = '';
    }
    for (const state of this.flushes.values()) state.resolve?.();
    const pending = this.pending;
    if (pending) {
      pending.settle(pending.received ? toOutcome(pending.received) : { kind: 'exit', exit: this.exit ?? { code: null, signal: null } });
    }
    this.config.onClosed(this);
  }
}

function toOutcome(message: WorkerMessage): Outcome {
  switch (message.type) {
    case 'ready':
      return { kind: 'ready' };
    case 'result':
      return { kind: 'ok', payload: JSON.parse(message.payload) };
    default:
      return { kind: 'error', errorType: message.errorType, errorMessage: message.errorMessage };
  }
}

/** How Lambda words a runtime that died: `Runtime exited with error: exit status 1`, `... signal: killed`. */
function exitMessage(requestId: string, exit: ExitInfo): string {
  const signals: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: 'killed', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGBUS: 'bus error',
  };
  const reason = exit.signal ? `Runtime exited with error: signal: ${signals[exit.signal] ?? exit.signal}`
    : exit.code ? `Runtime exited with error: exit status ${exit.code}`
      : 'Runtime exited without providing a reason';
  return `RequestId: ${requestId} Error: ${reason}`;
}

// ---------------------------------------------------------------------------------------------------
// The function
// ---------------------------------------------------------------------------------------------------

export class FunctionHost {
  /**
   * Checks the code (the directory exists, the handler string is well-formed, its module file exists
   * and is CommonJS) and returns a host; processes start on the first invocations.
   */
  static async start(options: FunctionHostOptions): Promise<FunctionHost> {
    if (!options.name) throw new Error('FunctionHost: name is required');
    if ((options.codeDir === undefined) === (options.inlineCode === undefined)) {
      throw new Error(`function ${options.name}: give exactly one of codeDir and inlineCode`);
    }
    if (!(options.timeoutSeconds > 0)) throw new Error(`function ${options.name}: timeoutSeconds must be positive, got ${options.timeoutSeconds}`);
    const maxConcurrency = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
      throw new Error(`function ${options.name}: maxConcurrency must be a positive integer, got ${maxConcurrency}`);
    }
    try {
      splitHandler(options.handler);
    } catch (e) {
      throw new Error(`function ${options.name}: invalid handler '${options.handler}': ${(e as Error).message}`);
    }

    let taskRoot: string;
    let tempDir: string | undefined;
    if (options.codeDir !== undefined) {
      taskRoot = path.resolve(options.codeDir);
      if (!fs.existsSync(taskRoot) || !fs.statSync(taskRoot).isDirectory()) {
        throw new Error(`function ${options.name}: code directory ${taskRoot} does not exist`);
      }
    } else {
      installExitHook();
      tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'function-host-'));
      tempDirs.add(tempDir);
      fs.writeFileSync(path.join(tempDir, 'index.js'), options.inlineCode!);
      taskRoot = tempDir;
    }

    const located = locateHandlerModule(taskRoot, options.handler);
    const fail = (message: string): never => {
      if (tempDir) {
        fs.rmSync(tempDir, { recursive: true, force: true });
        tempDirs.delete(tempDir);
      }
      throw new Error(`function ${options.name}: ${message}`);
    };
    if (located.esModule) fail(esModuleMessage(located.esModule));
    if (!located.file) {
      const { moduleRoot, moduleName } = splitHandler(options.handler);
      try {
        require.resolve(moduleName, { paths: [taskRoot, path.resolve(taskRoot, moduleRoot)] });
      } catch {
        fail(`handler '${options.handler}': no module ${moduleRoot}${moduleName}(.js|.cjs) in ${taskRoot}`);
      }
    }
    return new FunctionHost(options, taskRoot, maxConcurrency, tempDir);
  }

  private readonly sandboxes = new Set<Sandbox>();
  /** Idle processes, the most recently used last (reused first, as Lambda tends to). */
  private readonly idle: Sandbox[] = [];
  private readonly waiting: Array<{ resolve: (sandbox: Sandbox) => void; reject: (error: Error) => void }> = [];
  private readonly region: string;
  private readonly account: string;
  private readonly worker = workerSpec();
  private stopping?: Promise<void>;

  private constructor(
    private readonly options: FunctionHostOptions,
    private readonly taskRoot: string,
    private readonly maxConcurrency: number,
    private readonly tempDir: string | undefined,
  ) {
    this.region = options.region ?? DEFAULT_REGION;
    this.account = options.account ?? DEFAULT_ACCOUNT;
  }

  get functionArn(): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${this.options.name}`;
  }

  /** Process ids of the running execution environments (idle or busy). */
  get pids(): number[] {
    return [...this.sandboxes].map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * Invokes the function once with `event` (serialized as JSON, as Lambda does). Never rejects for a
   * problem of the function: that is a result with status `error`. Rejects with
   * {@link FunctionHostStoppedError} after `stop()`, and when `event` cannot be serialized.
   */
  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.stopping) throw new FunctionHostStoppedError(this.options.name);
    const requestId = randomUUID();
    const sandbox = await this.acquire();
    sandbox.busy();
    try {
      const coldStart = sandbox.invocations === 0;
      const init = await sandbox.ready;
      const initDurationMs = coldStart ? await sandbox.initDurationMs : undefined;
      if (init.kind !== 'ready') {
        if (sandbox.killedBy === 'stop') throw new FunctionHostStoppedError(this.options.name);
        return this.result(requestId, init, initDurationMs ?? 0, true, initDurationMs);
      }
      const { outcome, durationMs } = await sandbox.run(requestId, event, this.options.timeoutSeconds * 1000);
      if (sandbox.killedBy === 'stop') throw new FunctionHostStoppedError(this.options.name);
      return this.result(requestId, outcome, durationMs, coldStart, initDurationMs);
    } finally {
      this.release(sandbox);
    }
  }

  /** Kills every process and waits until they are gone. Idempotent. */
  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(new FunctionHostStoppedError(this.options.name));
      this.idle.splice(0);
      await Promise.all([...this.sandboxes].map((sandbox) => sandbox.kill('stop')));
      if (this.tempDir) {
        fs.rmSync(this.tempDir, { recursive: true, force: true });
        tempDirs.delete(this.tempDir);
      }
    })();
    return this.stopping;
  }

  private result(requestId: string, outcome: Outcome, durationMs: number, coldStart: boolean, initDurationMs?: number): InvokeResult {
    const base = { durationMs, requestId, coldStart, ...(initDurationMs === undefined ? {} : { initDurationMs }) };
    switch (outcome.kind) {
      case 'ok':
        return { status: 'ok', payload: outcome.payload, ...base };
      case 'error':
        return { status: 'error', errorType: outcome.errorType, errorMessage: outcome.errorMessage, ...base };
      case 'timeout':
        return {
          status: 'error',
          errorType: 'Sandbox.Timedout',
          errorMessage: `${outcome.phase === 'init' ? 'Init' : 'Task'} timed out after ${outcome.seconds.toFixed(2)} seconds`,
          ...base,
        };
      case 'exit':
        return { status: 'error', errorType: 'Runtime.ExitError', errorMessage: exitMessage(requestId, outcome.exit), ...base };
      default:
        throw new Error(`unexpected outcome ${outcome.kind}`);
    }
  }

  private acquire(): Promise<Sandbox> {
    while (this.idle.length > 0) {
      const sandbox = this.idle.pop()!;
      if (sandbox.usable) return Promise.resolve(sandbox);
    }
    if (this.sandboxes.size < this.maxConcurrency) return Promise.resolve(this.spawn());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(sandbox: Sandbox): void {
    if (this.stopping || !sandbox.usable) return; // a retired process makes room when it is gone (onClosed)
    const waiter = this.waiting.shift();
    if (waiter) {
      waiter.resolve(sandbox);
    } else {
      sandbox.idle();
      this.idle.push(sandbox);
    }
  }

  private spawn(): Sandbox {
    installExitHook();
    const o = this.options;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      LANG: 'en_US.UTF-8',
      // Nothing of this machine's AWS configuration: a function that calls AWS gets these (or its own environment's).
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      ...o.environment,
      // Lambda's reserved variables: a function cannot override them.
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_LAMBDA_FUNCTION_NAME: o.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${o.name}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
      LAMBDA_TASK_ROOT: this.taskRoot,
      _HANDLER: o.handler,
      TZ: ':UTC',
    };
    const sandbox = new Sandbox({
      functionArn: this.functionArn,
      env,
      worker: this.worker,
      initTimeoutMs: (o.initTimeoutSeconds ?? DEFAULT_INIT_TIMEOUT_SECONDS) * 1000,
      onLine: (line, stream) => this.deliver(line, stream),
      onClosed: (closed) => this.onClosed(closed),
    });
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  private onClosed(sandbox: Sandbox): void {
    this.sandboxes.delete(sandbox);
    const at = this.idle.indexOf(sandbox);
    if (at !== -1) this.idle.splice(at, 1);
    // Room for one more process: give it to whoever waits longest.
    if (!this.stopping && this.waiting.length > 0 && this.sandboxes.size < this.maxConcurrency) {
      this.waiting.shift()!.resolve(this.spawn());
    }
  }

  private deliver(line: string, stream: 'stdout' | 'stderr'): void {
    const onLogLine = this.options.onLogLine;
    if (!onLogLine) return;
    try {
      onLogLine(line, stream, this.options.name);
    } catch (error) {
      process.emitWarning(`onLogLine of function ${this.options.name} threw: ${String(error)}`);
    }
  }
}
