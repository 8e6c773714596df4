/**
 * Runs one Lambda function locally from its real code asset (or inline code), each execution environment
 * in its own Node.js process (`function-worker.ts`), as Lambda runs sandboxes: one invocation at a time per
 * process, more processes for concurrent invocations (up to `maxConcurrency`, then invocations queue),
 * idle processes reused warm, the handler module loaded once per process (cold start), a timed-out or
 * crashed process replaced by a fresh one. Whatever a process spawned dies with it (`process-group.ts`).
 *
 * Only CommonJS handlers: an ES module handler (`.mjs`, or `.js` under `"type": "module"`) is refused by
 * {@link FunctionHost.start} with an explicit message.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { functionEnvironment } from './function-environment';
import { esModuleMessage, locateHandlerModule, splitHandler } from './function-worker';
import { createTempDir, removeTempDir } from './process-registry';
import { exitMessage, Outcome, Sandbox, workerSpec } from './sandbox';

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
   * Folders on the function's `NODE_PATH`, searched after its own code's node_modules, as Lambda's runtime
   * makes its AWS SDK a fallback behind the function's own packages (e.g. a folder holding `@aws-sdk/*`).
   * Default: none.
   */
  readonly nodePath?: readonly string[];
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
/** In the host's temporary directory: where inline code is written (the task root then)... */
const INLINE_CODE_DIR = 'code';
/** ...and a directory never created, for the AWS SDK's shared config and credentials files. */
const ABSENT_AWS_CONFIG_DIR = 'no-aws-config';

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

    const codeDir = options.codeDir === undefined ? undefined : path.resolve(options.codeDir);
    if (codeDir !== undefined && (!fs.existsSync(codeDir) || !fs.statSync(codeDir).isDirectory())) {
      throw new Error(`function ${options.name}: code directory ${codeDir} does not exist`);
    }
    // Holds the inline code, and is where the AWS SDK's config files point (nothing there: none is read).
    const tempDir = createTempDir('function-host-');
    let taskRoot: string;
    if (codeDir !== undefined) {
      taskRoot = codeDir;
    } else {
      taskRoot = path.join(tempDir, INLINE_CODE_DIR);
      fs.mkdirSync(taskRoot);
      fs.writeFileSync(path.join(taskRoot, 'index.js'), options.inlineCode!);
    }

    const located = locateHandlerModule(taskRoot, options.handler);
    const fail = (message: string): never => {
      removeTempDir(tempDir);
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
  private readonly nodePath: readonly string[];
  private stopping?: Promise<void>;

  private constructor(
    private readonly options: FunctionHostOptions,
    private readonly taskRoot: string,
    private readonly maxConcurrency: number,
    private readonly tempDir: string,
  ) {
    this.region = options.region ?? DEFAULT_REGION;
    this.account = options.account ?? DEFAULT_ACCOUNT;
    // Absolute: the worker runs in the task root, not in this process's directory.
    this.nodePath = (options.nodePath ?? []).map((folder) => path.resolve(folder));
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
      removeTempDir(this.tempDir);
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
    const o = this.options;
    const env = functionEnvironment({
      functionName: o.name,
      handler: o.handler,
      memorySize: o.memorySize,
      region: this.region,
      taskRoot: this.taskRoot,
      environment: o.environment,
      nodePath: this.nodePath,
      absentAwsConfigDir: path.join(this.tempDir, ABSENT_AWS_CONFIG_DIR),
    });
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
