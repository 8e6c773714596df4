/**
 * One Lambda execution environment: forked by `function-host.ts`, loads the handler named by `_HANDLER`
 * from `LAMBDA_TASK_ROOT` once (init), then runs one invocation at a time on request over IPC.
 *
 * It follows the Node.js runtime interface client of Lambda's `nodejs20.x` runtime: the handler string
 * resolution and its `Runtime.*` errors, the context object, async and callback handlers (including
 * `callbackWaitsForEmptyEventLoop`, which needs the IPC channel unreferenced while a call runs so that
 * `beforeExit` tells when the event loop is empty), `Invoke Error` / `Uncaught Exception` lines on stderr,
 * and the process exiting after an uncaught exception (129) or an unhandled rejection (128). A missing
 * `@aws-sdk/*` module's `Runtime.ImportModuleError` also lists the AWS SDK packages provided on `NODE_PATH`.
 *
 * After every answer (and after an init error) it writes a marker to stdout and to stderr; the host resolves
 * an invocation only once it has read both, so every line printed before the answer reaches it first.
 *
 * Node built-ins only (`process-group.ts` has no other import): the runner bundles this file on its own as
 * `function-worker.js`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { exitWithOwnProcessGroup } from './process-group';

/** What the host sends. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  /** Epoch milliseconds at which the host kills this process. */
  readonly deadline: number;
  readonly event: unknown;
}

/** What the worker sends. `fatal`: the process exits right after this message. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'initError'; readonly errorType: string; readonly errorMessage: string }
  | { readonly type: 'result'; readonly requestId: string; readonly payload: string }
  | { readonly type: 'error'; readonly requestId: string; readonly errorType: string; readonly errorMessage: string; readonly fatal?: boolean };

/** The worker's first argument; the second is the JSON of its {@link WorkerArguments}. */
export const WORKER_FLAG = '--lambda-function-worker';

/** Passed (as JSON) as the second argument of the worker process. */
export interface WorkerArguments {
  /** Random string that makes the flush marker impossible to print by accident. */
  readonly secret: string;
  readonly functionArn: string;
}

/** The flush marker the worker writes to stdout and stderr: `flushMarker(secret) + token + '\n'`. */
export function flushMarker(secret: string): string {
  return `\u0000function-host:${secret}:`;
}

/** The token of the marker written after an init error (invocations use their request id). */
export const INIT_TOKEN = 'init';

/** Lambda's limit on a synchronous invocation's response. */
const MAX_RESPONSE_BYTES = 6_291_556;

type Handler = (event: unknown, context: unknown, callback: Callback) => unknown;
type Callback = (error?: unknown, result?: unknown) => void;

class RuntimeError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = `Runtime.${name}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Handler loading (the runtime's UserFunction.load, CommonJS only)
// ---------------------------------------------------------------------------------------------------

/**
 * Splits a handler string the way Lambda does: `dir/file.nested.fn` -> module path `dir/file` relative to
 * the task root and property path `nested.fn`. Throws `Runtime.MalformedHandlerName`.
 */
export function splitHandler(handler: string): { moduleRoot: string; moduleName: string; functionPath: string } {
  if (handler.includes('..')) {
    throw new RuntimeError('MalformedHandlerName', `'${handler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const base = path.basename(handler);
  const moduleRoot = handler.substring(0, handler.indexOf(base));
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (!match) throw new RuntimeError('MalformedHandlerName', 'Bad handler');
  return { moduleRoot, moduleName: match[1], functionPath: match[2] };
}

function hasPackageJsonTypeModule(folder: string): boolean {
  if (folder.endsWith(`${path.sep}node_modules`)) return false;
  const pj = path.join(folder, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      return JSON.parse(fs.readFileSync(pj, 'utf-8'))?.type === 'module';
    } catch {
      return false;
    }
  }
  const parent = path.dirname(folder);
  return parent === folder ? false : hasPackageJsonTypeModule(parent);
}

/** The message of the error for an ES module handler, which this host does not load. */
export function esModuleMessage(file: string): string {
  return `${file} is an ES module; the local function host runs CommonJS handlers only (.js without "type": "module", .cjs). `
    + 'Bundle the function as CommonJS (esbuild format \'cjs\', NodejsFunction\'s default) to run it locally.';
}

/**
 * Which file Lambda's Node.js runtime would load for the handler, without loading it: `{ file }` for a
 * CommonJS file, `{ esModule }` for an ES module, `{}` when no file matches (Lambda then tries
 * `require.resolve(module)` from the task root, which can still find a package).
 */
export function locateHandlerModule(taskRoot: string, handler: string): { file?: string; esModule?: string } {
  const { moduleRoot, moduleName } = splitHandler(handler);
  const lambdaStylePath = path.resolve(taskRoot, moduleRoot, moduleName);
  if (fs.existsSync(lambdaStylePath)) return { file: lambdaStylePath };
  const typeModule = hasPackageJsonTypeModule(path.dirname(lambdaStylePath));
  const js = `${lambdaStylePath}.js`;
  if (fs.existsSync(js)) return typeModule ? { esModule: js } : { file: js };
  if (fs.existsSync(`${lambdaStylePath}.mjs`)) return { esModule: `${lambdaStylePath}.mjs` };
  if (fs.existsSync(`${lambdaStylePath}.cjs`)) return { file: `${lambdaStylePath}.cjs` };
  return {};
}

/** The `@aws-sdk/*` packages on `NODE_PATH` now: the AWS SDK the runner provides in place of Lambda's. */
function providedAwsSdkPackages(): string[] {
  const packages = new Set<string>();
  for (const folder of (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const scope = path.join(folder, '@aws-sdk');
    let names: string[];
    try {
      names = fs.readdirSync(scope);
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        if (fs.statSync(path.join(scope, name)).isDirectory()) packages.add(`@aws-sdk/${name}`);
      } catch {
        // a dangling link: no package
      }
    }
  }
  return [...packages].sort();
}

/**
 * For a missing `@aws-sdk/*` module: Lambda's runtime has the whole AWS SDK, the runner only some of it, so
 * a function that relies on the runtime's copy may work in Lambda and fail here. Says what there is and
 * what to do. Empty for any other module.
 */
function missingAwsSdkAdvice(errorMessage: string): string {
  const missing = /^Cannot find module '(@aws-sdk\/[^/']+)/.exec(errorMessage)?.[1];
  if (!missing) return '';
  const provided = providedAwsSdkPackages();
  return `\nAWS SDK packages provided offline: ${provided.length > 0 ? provided.join(', ') : 'none'}. `
    + `To use ${missing}, bundle it with your function, or add it to the function's node_modules.`;
}

function loadHandler(taskRoot: string, handlerString: string): Handler {
  const { moduleRoot, moduleName, functionPath } = splitHandler(handlerString);
  const located = locateHandlerModule(taskRoot, handlerString);
  if (located.esModule) throw new RuntimeError('ImportModuleError', `Error: ${esModuleMessage(located.esModule)}`);
  let userApp: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    userApp = require(located.file ?? require.resolve(moduleName, { paths: [taskRoot, path.resolve(taskRoot, moduleRoot)] }));
  } catch (e) {
    if (e instanceof SyntaxError) {
      const error = new RuntimeError('UserCodeSyntaxError', String(e));
      error.stack = e.stack;
      throw error;
    }
    const code = (e as { code?: string } | null)?.code;
    if (code === 'MODULE_NOT_FOUND') throw new RuntimeError('ImportModuleError', `${String(e)}${missingAwsSdkAdvice(String((e as Error).message))}`);
    if (code === 'ERR_REQUIRE_ESM') throw new RuntimeError('ImportModuleError', `Error: ${esModuleMessage(located.file ?? moduleName)}`);
    throw e;
  }
  const fn = functionPath.split('.').reduce<any>((nested, key) => nested && nested[key], userApp);
  if (!fn) throw new RuntimeError('HandlerNotFound', `${handlerString} is undefined or not exported`);
  if (typeof fn !== 'function') throw new RuntimeError('HandlerNotFound', `${handlerString} is not a function`);
  return fn as Handler;
}

// ---------------------------------------------------------------------------------------------------
// Errors as the runtime reports and prints them
// ---------------------------------------------------------------------------------------------------

function isError(value: any): value is Error {
  return util.types.isNativeError(value) || (!!value && typeof value.name === 'string' && typeof value.message === 'string'
    && typeof value.stack === 'string' && !!value.name && !!value.message && !!value.stack);
}

/** The runtime's `toRapidResponse`: what the invoke response carries. */
function toErrorResponse(error: unknown): { errorType: string; errorMessage: string } {
  try {
    if (isError(error)) return { errorType: error.name, errorMessage: error.message };
    return { errorType: typeof error, errorMessage: String((error as any).toString()) };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** The runtime's `toFormatted`: a tab then the error as one JSON line, with name, message and stack. */
function toFormatted(error: unknown): string {
  const withEnumerable = (_key: string, value: any) => {
    if (!(value instanceof Error)) return value;
    const out: Record<string, unknown> = { errorType: value.name, errorMessage: value.message, code: (value as any).code, ...value };
    if (typeof value.stack === 'string') out.stack = value.stack.split('\n');
    return out;
  };
  try {
    return `\t${JSON.stringify(error, withEnumerable)}`;
  } catch {
    return `\t${JSON.stringify(toErrorResponse(error))}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// The process
// ---------------------------------------------------------------------------------------------------

function main(): void {
  const args = JSON.parse(process.argv[3]) as WorkerArguments;
  const marker = flushMarker(args.secret);
  // Kept before user code runs, which may replace process.stdout.write to capture its own output.
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const send = (message: WorkerMessage, then?: () => void) => {
    if (!process.connected) return then?.();
    process.send!(message, undefined, undefined, () => then?.());
  };
  /** Writes the flush marker to both streams; `then` runs once both are written. */
  const flush = (token: string, then?: () => void) => {
    let pending = 2;
    const done = () => {
      if (--pending === 0) then?.();
    };
    writeOut(`${marker}${token}\n`, done);
    writeErr(`${marker}${token}\n`, done);
  };
  const logError = (title: string, error: unknown) => {
    writeErr(`${title} ${toFormatted(error)}\n`);
  };

  const env = process.env;
  const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  // The host has to start the TypeScript worker where ts-node finds its tsconfig; Lambda runs in the task root.
  process.chdir(taskRoot);

  /** The call being answered, if any. */
  let current: { requestId: string } | undefined;
  let handler: Handler | undefined;
  // The runtime's BeforeExitListener: one 'beforeExit' listener whose action each call replaces.
  let beforeExit: () => void = () => {};
  process.on('beforeExit', () => beforeExit());
  // The parent is gone (it exited or was killed): so are we, and what the function left running.
  process.on('disconnect', () => exitWithOwnProcessGroup(0));

  /** Answers the current call, at most once; `fatal` answers and exits with `exitCode`. */
  const answer = (requestId: string, message: WorkerMessage, exitCode?: number) => {
    if (current?.requestId !== requestId) return;
    current = undefined;
    beforeExit = () => {};
    // Idle between calls: the channel keeps the process alive until the next message.
    process.channel?.ref();
    flush(requestId, () => send(message, exitCode === undefined ? undefined : () => process.exit(exitCode)));
  };

  const respond = (requestId: string, result: unknown) => {
    let text: string | undefined;
    try {
      text = JSON.stringify(result === undefined ? null : result);
    } catch {
      // nodejs20.x: RAPIDClient throws this inside the response path, and it is posted as the call's error.
      const error = new Error('Unable to stringify response body');
      logError('Invoke Error', error);
      answer(requestId, { type: 'error', requestId, ...toErrorResponse(error) });
      return;
    }
    text ??= 'null';
    if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) {
      answer(requestId, {
        type: 'error',
        requestId,
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      });
      return;
    }
    answer(requestId, { type: 'result', requestId, payload: text });
  };

  const fail = (requestId: string, error: unknown) => {
    logError('Invoke Error', error);
    answer(requestId, { type: 'error', requestId, ...toErrorResponse(error) });
  };

  const fatal = (title: string, error: unknown, exitCode: number) => {
    logError(title, error);
    if (current) {
      answer(current.requestId, { type: 'error', requestId: current.requestId, ...toErrorResponse(error), fatal: true }, exitCode);
    } else if (!handler) {
      flush(INIT_TOKEN, () => send({ type: 'initError', ...toErrorResponse(error) }, () => process.exit(exitCode)));
    } else {
      process.exit(exitCode);
    }
  };
  process.on('uncaughtException', (error) => fatal('Uncaught Exception', error, 129));
  process.on('unhandledRejection', (reason) => {
    const error = new RuntimeError('UnhandledPromiseRejection', String(reason));
    fatal('Unhandled Promise Rejection', error, 128);
  });

  const invoke = (message: InvokeMessage) => {
    const { requestId, deadline } = message;
    if (!handler || current) return; // the host never does this
    current = { requestId };
    const fn = handler;
    const isAsync = fn.constructor?.name === 'AsyncFunction';

    // The runtime's CallbackContext: only the first of callback/succeed/fail/done counts.
    let finished = false;
    const once = <A extends unknown[]>(f: (...a: A) => void) => (...a: A) => {
      if (finished) return;
      finished = true;
      f(...a);
    };
    let waitForEmptyEventLoop = true;
    const done = (error: unknown, result?: unknown) => {
      beforeExit = () => {};
      if (error !== undefined && error !== null) fail(requestId, error);
      else respond(requestId, result);
    };
    const callback = once((error?: unknown, result?: unknown) => {
      beforeExit = () => {};
      if (error !== undefined && error !== null) {
        fail(requestId, error);
      } else if (!waitForEmptyEventLoop) {
        respond(requestId, result);
      } else {
        beforeExit = () => setImmediate(() => respond(requestId, result));
      }
    });
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value: boolean) {
        waitForEmptyEventLoop = value;
      },
      succeed: once((result?: unknown) => done(null, result)),
      fail: once((error?: unknown) => done(error === undefined || error === null ? 'handled' : error)),
      done: once((error?: unknown, result?: unknown) => done(error, result)),
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: undefined,
      identity: undefined,
      invokedFunctionArn: args.functionArn,
      awsRequestId: requestId,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };

    // When the event loop empties before an answer: an async handler's promise can never settle
    // (Runtime.NodeJsExit); a sync or callback handler that never called back answers null.
    beforeExit = () => {
      if (isAsync) {
        const error = new RuntimeError('NodeJsExit', 'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes');
        fail(requestId, error);
      } else {
        respond(requestId, null);
      }
    };
    // Only the call's own work keeps the process alive now, so 'beforeExit' fires when it is done.
    process.channel?.unref();
    try {
      const result: any = fn(message.event, context, callback);
      if (result && typeof result.then === 'function') {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (error) {
      callback(error);
    }
  };

  process.on('message', (message: InvokeMessage) => {
    if (message?.type === 'invoke') invoke(message);
  });

  try {
    handler = loadHandler(taskRoot, env._HANDLER ?? '');
  } catch (error) {
    // Lambda prints init failures this way and reports them as the invocation's error.
    logError('Uncaught Exception', error);
    flush(INIT_TOKEN, () => send({ type: 'initError', ...toErrorResponse(error) }));
    return;
  }
  send({ type: 'ready' });
}

// Only when forked as a worker: the host imports this module's helpers too.
if (process.argv[2] === WORKER_FLAG && process.send) main();
