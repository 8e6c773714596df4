/**
 * One Lambda execution environment: a forked `function-worker` process that loads the handler once (init),
 * then runs one invocation at a time. It splits the process's output into whole lines, holds each answer
 * until the flush markers written after it are read on both streams (so that every line printed before
 * the answer is delivered first), and turns answers, timeouts and deaths into outcomes.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { flushMarker, INIT_TOKEN, InvokeMessage, WORKER_FLAG, WorkerArguments, WorkerMessage } from './function-worker';
import { killProcessGroup, OWN_PROCESS_GROUPS } from './process-group';
import { trackProcess, untrackProcess } from './process-registry';

/**
 * How long to wait, after a process exits, for its stdout/stderr to end: a grandchild that escaped the
 * process group (or any grandchild on Windows) may hold them open.
 */
const CLOSE_GRACE_MS = 1_000;

export interface WorkerSpec {
  readonly file: string;
  readonly execArgv: string[];
}

/** Only resolved when running from the TypeScript sources (a variable, so that esbuild leaves it alone). */
const TS_NODE_REGISTER = 'ts-node/register/transpile-only';

/** The bundled `function-worker.js` next to this file, else the TypeScript source through ts-node. */
export function workerSpec(): WorkerSpec {
  const js = path.join(__dirname, 'function-worker.js');
  if (fs.existsSync(js)) return { file: js, execArgv: [] };
  // An absolute path: the worker starts in this directory, and the user's code directory has no ts-node.
  return { file: path.join(__dirname, 'function-worker.ts'), execArgv: ['-r', require.resolve(TS_NODE_REGISTER)] };
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type Outcome =
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

export interface SandboxConfig {
  readonly functionArn: string;
  readonly env: Record<string, string>;
  readonly worker: WorkerSpec;
  readonly initTimeoutMs: number;
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly onClosed: (sandbox: Sandbox) => void;
}

const STREAMS = ['stdout', 'stderr'] as const;
type StreamName = typeof STREAMS[number];

export class Sandbox {
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
      // The leader of its own process group, so that what the function spawns is killed with it.
      detached: OWN_PROCESS_GROUPS,
    });
    trackProcess(this.child);
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
        // Its environment is gone: so is whatever it left running (which may hold its stdout/stderr open).
        killProcessGroup(this.child);
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

  /** SIGKILL (its whole process group), then wait until the process is gone and its output read. */
  async kill(reason?: 'timeout' | 'stop'): Promise<void> {
    this.retired = true;
    if (reason) this.killedBy ??= reason;
    // Referenced again, or an idle process would not keep this one alive until it is gone.
    this.busy();
    if (this.child.exitCode === null && this.child.signalCode === null) killProcessGroup(this.child);
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
    untrackProcess(this.child);
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
export function exitMessage(requestId: string, exit: ExitInfo): string {
  const signals: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: 'killed', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGBUS: 'bus error',
  };
  const reason = exit.signal ? `Runtime exited with error: signal: ${signals[exit.signal] ?? exit.signal}`
    : exit.code ? `Runtime exited with error: exit status ${exit.code}`
      : 'Runtime exited without providing a reason';
  return `RequestId: ${requestId} Error: ${reason}`;
}
