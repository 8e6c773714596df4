/**
 * The local function host: real processes running the fixture handlers in test/fixtures/functions (and
 * the bundled stream handler), checked for what Lambda's Node.js runtime would answer and print.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleLocal, eventually } from './local-cli-helpers';
import { FunctionHost, FunctionHostOptions, FunctionHostStoppedError, InvokeResult } from '../local/lambda/function-host';

const FUNCTIONS = path.join(__dirname, 'fixtures', 'functions');
const STREAM_HANDLER = path.join(__dirname, '..', 'assets', 'stream-handler');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Logged {
  readonly line: string;
  readonly stream: 'stdout' | 'stderr';
  readonly functionName: string;
}

const started: FunctionHost[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
});

/**
 * The host and worker bundled by esbuild, as the runner ships them (function-worker.js next to the host
 * code). Same code as the sources; its workers start in ~30 ms instead of the ~300 ms ts-node takes, so
 * the tests that start many processes use it.
 */
let bundleDir: string;
let Bundled: typeof FunctionHost;
beforeAll(() => {
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'function-host-bundle-'));
  bundleLocal(bundleDir, ['lambda/function-host.ts', 'lambda/function-worker.ts']);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  Bundled = require(path.join(bundleDir, 'function-host.js')).FunctionHost;
});
afterAll(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

/**
 * Starts a host on the fixtures (stopped after the test) and records every line it delivers; from the
 * TypeScript sources (ts-node worker) unless `bundled`.
 */
async function host(handler: string, options: Partial<FunctionHostOptions> = {}, bundled = false) {
  const logged: Logged[] = [];
  const h = await (bundled ? Bundled : FunctionHost).start({
    name: 'Fixture',
    codeDir: FUNCTIONS,
    handler,
    environment: {},
    timeoutSeconds: 5,
    memorySize: 128,
    onLogLine: (line, stream, functionName) => logged.push({ line, stream, functionName }),
    ...options,
  });
  started.push(h);
  const lines = (stream: 'stdout' | 'stderr') => logged.filter((l) => l.stream === stream).map((l) => l.line);
  return { host: h, logged, lines };
}

/** Whether the process runs (a zombie, ended but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  if (!fs.existsSync('/proc/self/stat')) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf-8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function errorOf(result: InvokeResult) {
  return { status: result.status, errorType: result.errorType, errorMessage: result.errorMessage };
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory (removed after the test) holding `files`, by path relative to it. */
function tempFolder(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'function-host-test-'));
  tempDirs.push(dir);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

/** A package folder as `npm install` leaves it: `package.json` and its `index.js`. */
function fakePackage(name: string, source: string): Record<string, string> {
  return {
    [`${name}/package.json`]: JSON.stringify({ name, version: '1.0.0', main: 'index.js' }),
    [`${name}/index.js`]: source,
  };
}

describe('invocation', () => {
  test('the handler gets the event after a JSON round trip, the context and the Lambda environment, and nothing of ours', async () => {
    const saved = { ...process.env };
    process.env.PARENT_ONLY_SECRET = 'must not leak';
    process.env.AWS_PROFILE = 'production';
    let echo: Awaited<ReturnType<typeof host>>;
    try {
      echo = await host('echo.handler', {
        name: 'Echo',
        environment: { CUSTOM_SETTING: 'custom', AWS_REGION: 'ignored-reserved', AWS_ACCESS_KEY_ID: 'function-own' },
        region: 'eu-central-1',
        account: '123456789012',
        memorySize: 256,
      });
    } finally {
      process.env = saved;
    }
    expect(echo.host.functionArn).toBe('arn:aws:lambda:eu-central-1:123456789012:function:Echo');

    const first = await echo.host.invoke({ order: 42, when: new Date(0), gone: undefined, list: [undefined, 'é'] });
    expect(first).toStrictEqual({
      status: 'ok',
      payload: expect.any(Object),
      durationMs: expect.any(Number),
      initDurationMs: expect.any(Number),
      requestId: expect.stringMatching(UUID),
      coldStart: true,
    });
    const payload = first.payload as any;
    expect(payload.event).toStrictEqual({ order: 42, when: '1970-01-01T00:00:00.000Z', list: [null, 'é'] });
    const logStream = payload.env.AWS_LAMBDA_LOG_STREAM_NAME;
    expect(logStream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(payload.context).toStrictEqual({
      functionName: 'Echo',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:Echo',
      memoryLimitInMB: '256',
      awsRequestId: first.requestId,
      logGroupName: '/aws/lambda/Echo',
      logStreamName: logStream,
      remainingTimeInMillis: expect.any(Number),
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(payload.context.remainingTimeInMillis).toBeGreaterThan(4_000);
    expect(payload.context.remainingTimeInMillis).toBeLessThanOrEqual(5_000);
    expect(payload.env).toStrictEqual({
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_LAMBDA_FUNCTION_NAME: 'Echo',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/Echo',
      AWS_LAMBDA_LOG_STREAM_NAME: logStream,
      LAMBDA_TASK_ROOT: FUNCTIONS,
      _HANDLER: 'echo.handler',
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
      TZ: ':UTC',
      AWS_ACCESS_KEY_ID: 'function-own',
      AWS_SECRET_ACCESS_KEY: 'local',
      CUSTOM_SETTING: 'custom',
    });
    expect(payload.envKeys).toStrictEqual([
      'AWS_ACCESS_KEY_ID', 'AWS_CONFIG_FILE', 'AWS_DEFAULT_REGION', 'AWS_EC2_METADATA_DISABLED', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
      'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
      'AWS_REGION', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SHARED_CREDENTIALS_FILE', 'CUSTOM_SETTING', ...(process.env.HOME ? ['HOME'] : []),
      'LAMBDA_TASK_ROOT', 'LANG', 'PATH', 'TZ', '_HANDLER',
    ]);
    expect(payload.cwd).toBe(FUNCTIONS);
    expect(payload.localTime).toBe('Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)');

    // Warm: the same process and module, a new request id.
    const second = await echo.host.invoke({ order: 43 });
    expect(second).toMatchObject({ status: 'ok', coldStart: false });
    expect(second.initDurationMs).toBeUndefined();
    expect(second.requestId).not.toBe(first.requestId);
    expect(second.payload).toMatchObject({ invocations: 2, pid: payload.pid, context: { awsRequestId: second.requestId, logStreamName: logStream } });
    expect(echo.host.pids).toStrictEqual([payload.pid]);
  });

  test('handler strings: a file in a directory, a nested property', async () => {
    const [deep, nested] = await Promise.all([host('nested/deep.handler'), host('echo.nested.deeper.handler')]);
    expect((await deep.host.invoke({ a: 1 })).payload).toStrictEqual({ from: 'nested/deep.js', event: { a: 1 } });
    expect((await nested.host.invoke({ b: 2 })).payload).toStrictEqual({ nested: { b: 2 } });
  });

  test('return values are serialized as Lambda does, and a 6 MB event arrives whole', async () => {
    const { host: h } = await host('echo.payloads');
    expect((await h.invoke({ kind: 'undefined' })).payload).toBeNull();
    expect((await h.invoke({ kind: 'values' })).payload).toStrictEqual({
      date: '1970-01-01T00:00:00.000Z', list: [1, null, 'x'], big: 1e21, text: 'é\u2028"',
    });
    expect(errorOf(await h.invoke({ kind: 'circular' }))).toStrictEqual({
      status: 'error', errorType: 'Error', errorMessage: 'Unable to stringify response body',
    });
    expect(errorOf(await h.invoke({ kind: 'huge', bytes: 6_291_555 }))).toStrictEqual({
      status: 'error', errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
    expect((await h.invoke({ kind: 'huge', bytes: 6_291_554 })).payload).toHaveLength(6_291_554);

    const record = (i: number) => ({ eventID: `event-${i}`, dynamodb: { NewImage: { text: { S: `"quoted" ${'z'.repeat(5_000)}` } } } });
    const Records = Array.from({ length: 1_200 }, (_, i) => record(i));
    expect(JSON.stringify({ Records }).length).toBeGreaterThan(6_000_000);
    const big = await h.invoke({ kind: 'size', Records });
    expect(big).toMatchObject({ status: 'ok', payload: { records: 1_200, last: 'event-1199' }, coldStart: false });
  });

  test('getRemainingTimeInMillis counts down to the timeout', async () => {
    const { host: h } = await host('echo.remaining', { timeoutSeconds: 3 });
    const { payload } = await h.invoke({ waitMs: 300 });
    const { before, after } = payload as { before: number; after: number };
    expect(before).toBeGreaterThan(2_500);
    expect(before).toBeLessThanOrEqual(3_000);
    expect(before - after).toBeGreaterThanOrEqual(290);
    expect(before - after).toBeLessThan(1_000);
  });

  test('an event that cannot be serialized rejects, and the process stays usable', async () => {
    const { host: h } = await host('cold.handler');
    await expect(h.invoke({ n: BigInt(1) })).rejects.toThrow('Do not know how to serialize a BigInt');
    expect(await h.invoke({})).toMatchObject({ status: 'ok', coldStart: true, payload: { invocations: 1 } });
    expect(await h.invoke({})).toMatchObject({ status: 'ok', coldStart: false, payload: { invocations: 2 } });
  });
});

describe('callback handlers', () => {
  test('answer as Lambda\'s Node.js runtime does', async () => {
    const names = ['handler', 'waitsForEmptyLoop', 'doesNotWait', 'neverCalls', 'asyncNeverSettles', 'callbackError', 'callbackTwice', 'contextSucceed', 'throwsString'];
    const hosts = await Promise.all(names.map((name) => host(`callback.${name}`, {}, true)));
    const results = await Promise.all(hosts.map((h) => h.host.invoke({ n: 1 })));
    const byName = Object.fromEntries(names.map((name, i) => [name, { result: results[i], lines: hosts[i].lines }]));

    expect(byName.handler.result.payload).toStrictEqual({ echoed: { n: 1 }, style: 'callback' });
    // Waits for the timer after the callback: its line is in before the answer.
    expect(byName.waitsForEmptyLoop.result.payload).toBe('answered');
    expect(byName.waitsForEmptyLoop.result.durationMs).toBeGreaterThanOrEqual(290);
    expect(byName.waitsForEmptyLoop.lines('stdout')).toStrictEqual(['timer after callback']);
    // callbackWaitsForEmptyEventLoop = false: answers at once, the timer has not fired yet.
    expect(byName.doesNotWait.result.payload).toBe('early');
    expect(byName.doesNotWait.result.durationMs).toBeLessThan(1_000);
    expect(byName.doesNotWait.lines('stdout')).toStrictEqual([]);
    // A callback handler that never calls back answers null once the event loop is empty...
    expect(byName.neverCalls.result).toMatchObject({ status: 'ok', payload: null });
    expect(byName.neverCalls.lines('stdout')).toStrictEqual(['work done, no callback']);
    // ...an async handler whose promise can never settle fails.
    expect(errorOf(byName.asyncNeverSettles.result)).toStrictEqual({
      status: 'error',
      errorType: 'Runtime.NodeJsExit',
      errorMessage: expect.stringContaining('This is most commonly caused by a Promise that was never settled'),
    });
    expect(errorOf(byName.callbackError.result)).toStrictEqual({ status: 'error', errorType: 'RangeError', errorMessage: 'out of range' });
    expect(byName.callbackTwice.result.payload).toBe('first');
    expect(byName.contextSucceed.result.payload).toStrictEqual({ via: 'succeed' });
    expect(errorOf(byName.throwsString.result)).toStrictEqual({ status: 'error', errorType: 'string', errorMessage: 'plain string' });
    expect(byName.throwsString.lines('stderr')).toStrictEqual(['Invoke Error \t"plain string"']);
  });
});

describe('errors', () => {
  test('a thrown error is the result, printed on stderr as one JSON line; the process stays warm', async () => {
    const failing = await host('errors.handler');
    const typeError = await failing.host.invoke({ kind: 'type' });
    expect(typeError).toStrictEqual({
      status: 'error',
      errorType: 'TypeError',
      errorMessage: 'Cannot read properties of undefined (reading \'field\')',
      durationMs: expect.any(Number),
      initDurationMs: expect.any(Number),
      requestId: expect.stringMatching(UUID),
      coldStart: true,
    });
    const stderr = failing.lines('stderr');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^Invoke Error \t\{/);
    const printed = JSON.parse(stderr[0].slice('Invoke Error \t'.length));
    expect(printed).toMatchObject({ errorType: 'TypeError', errorMessage: 'Cannot read properties of undefined (reading \'field\')' });
    expect(printed.stack[0]).toBe('TypeError: Cannot read properties of undefined (reading \'field\')');

    expect(errorOf(await failing.host.invoke({ kind: 'custom' }))).toStrictEqual({
      status: 'error', errorType: 'ValidationError', errorMessage: 'order 42 is invalid',
    });
    const ok = await failing.host.invoke({});
    expect(ok).toMatchObject({ status: 'ok', coldStart: false, payload: { pid: failing.host.pids[0] } });

    const sync = await host('errors.syncThrow');
    expect(errorOf(await sync.host.invoke({}))).toStrictEqual({ status: 'error', errorType: 'Error', errorMessage: 'thrown synchronously' });
  });

  test('a timeout kills the process (Sandbox.Timedout) and the next invocation is a cold start in a new one', async () => {
    const crash = await host('crash.handler', { timeoutSeconds: 1 });
    const warm = await crash.host.invoke({ action: 'ok' });
    const firstPid = (warm.payload as { pid: number }).pid;

    const spinning = await crash.host.invoke({ action: 'spin' });
    expect(spinning).toStrictEqual({
      status: 'error',
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
      durationMs: expect.any(Number),
      requestId: expect.stringMatching(UUID),
      coldStart: false,
    });
    expect(spinning.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(spinning.durationMs).toBeLessThan(2_000);
    expect(crash.lines('stdout')).toStrictEqual(['spinning']);
    expect(alive(firstPid)).toBe(false);
    expect(crash.host.pids).toStrictEqual([]);

    const after = await crash.host.invoke({ action: 'ok' });
    expect(after).toMatchObject({ status: 'ok', coldStart: true, payload: { invocations: 1 } });
    expect((after.payload as { pid: number }).pid).not.toBe(firstPid);
  });

  test('a process that dies is replaced: exit, uncaught exception, unhandled rejection, signal', async () => {
    const crash = await host('crash.handler');
    const cases: Array<[object, (requestId: string) => object]> = [
      [{ action: 'exit', code: 3 }, (id) => ({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited with error: exit status 3` })],
      [{ action: 'exit', code: 0 }, (id) => ({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited without providing a reason` })],
      // Lambda's runtime reports an uncaught exception or unhandled rejection as the invocation's error, then exits.
      [{ action: 'throwInTimer' }, () => ({ errorType: 'Error', errorMessage: 'thrown in a timer' })],
      [{ action: 'reject' }, () => ({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: yikes' })],
      [{ action: 'kill' }, (id) => ({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited with error: signal: killed` })],
    ];
    for (const [event, expected] of cases) {
      const before = await crash.host.invoke({ action: 'ok' });
      const pid = (before.payload as { pid: number }).pid;
      const result = await crash.host.invoke(event);
      expect({ event, ...errorOf(result) }).toStrictEqual({ event, status: 'error', ...expected(result.requestId) });
      expect(result.coldStart).toBe(false);
      expect(await eventually(() => !alive(pid), 2_000)).toBe(true);
      const next = await crash.host.invoke({ action: 'ok' });
      expect(next).toMatchObject({ status: 'ok', coldStart: true, payload: { invocations: 1 } });
    }
    expect(crash.lines('stdout')).toEqual(expect.arrayContaining(['exiting with 3', 'exiting with 0']));
    expect(crash.lines('stderr').map((line) => line.split('\t')[0])).toStrictEqual(['Uncaught Exception ', 'Unhandled Promise Rejection ']);
  });

  test('init failures are the invocation\'s error, and every invocation retries the init', async () => {
    const cases: Array<[string, object]> = [
      ['init-error.handler', { errorType: 'Error', errorMessage: 'init failed: CONFIG is not set' }],
      ['missing-dependency.handler', {
        errorType: 'Runtime.ImportModuleError',
        errorMessage: expect.stringMatching(/^Error: Cannot find module 'a-package-that-is-not-installed'\nRequire stack:\n- .*missing-dependency\.js/),
      }],
      ['syntax-error.handler', { errorType: 'Runtime.UserCodeSyntaxError', errorMessage: 'SyntaxError: Unexpected token \'}\'' }],
      ['echo.notAFunction', { errorType: 'Runtime.HandlerNotFound', errorMessage: 'echo.notAFunction is not a function' }],
      ['echo.absent', { errorType: 'Runtime.HandlerNotFound', errorMessage: 'echo.absent is undefined or not exported' }],
      ['init-exit.handler', { errorType: 'Runtime.ExitError', errorMessage: expect.stringMatching(/^RequestId: \S+ Error: Runtime exited with error: exit status 2$/) }],
    ];
    const hosts = await Promise.all(cases.map(([handler]) => host(handler, {}, true)));
    const results = await Promise.all(hosts.map((h) => h.host.invoke({})));
    cases.forEach(([handler, expected], i) => {
      expect({ handler, ...errorOf(results[i]), coldStart: results[i].coldStart }).toStrictEqual({ handler, status: 'error', ...expected, coldStart: true });
    });
    const initError = hosts[0];
    expect(initError.logged.map((l) => [l.stream, l.line.split('\t')[0]])).toStrictEqual([
      ['stdout', 'loading init-error'],
      ['stderr', 'Uncaught Exception '],
    ]);
    expect(JSON.parse(initError.lines('stderr')[0].split('\t')[1])).toMatchObject({ errorType: 'Error', errorMessage: 'init failed: CONFIG is not set' });
    expect(hosts[5].lines('stderr')).toStrictEqual(['giving up at init']);

    const again = await initError.host.invoke({});
    expect(again).toMatchObject({ status: 'error', errorType: 'Error', coldStart: true });
    expect(initError.lines('stdout')).toStrictEqual(['loading init-error', 'loading init-error']);
  });

  test('an init longer than the init limit is killed', async () => {
    const slow = await host('slow-init.handler', { initTimeoutSeconds: 0.5 });
    const result = await slow.host.invoke({});
    expect(result).toMatchObject({ status: 'error', errorType: 'Sandbox.Timedout', errorMessage: 'Init timed out after 0.50 seconds', coldStart: true });
    expect(result.durationMs).toBeLessThan(1_500);
    expect(slow.host.pids).toStrictEqual([]);
  });
});

describe('start', () => {
  const base = { name: 'Bad', handler: 'index.handler', environment: {}, timeoutSeconds: 3, memorySize: 128 };
  test.each([
    ['a missing code directory', { codeDir: path.join(FUNCTIONS, 'nope') }, /code directory .*nope does not exist/],
    ['neither code directory nor inline code', {}, /exactly one of codeDir and inlineCode/],
    ['both code directory and inline code', { codeDir: FUNCTIONS, inlineCode: 'x' }, /exactly one of codeDir and inlineCode/],
    ['a missing module', { codeDir: FUNCTIONS, handler: 'absent.handler' }, /handler 'absent.handler': no module absent\(\.js\|\.cjs\) in /],
    ['a handler without a function', { codeDir: FUNCTIONS, handler: 'echo' }, /invalid handler 'echo': Bad handler/],
    ['a handler leaving the code directory', { codeDir: FUNCTIONS, handler: '../echo.handler' }, /not a valid handler name/],
    ['an .mjs handler', { codeDir: path.join(FUNCTIONS, 'esm-mjs') }, /index\.mjs is an ES module; the local function host runs CommonJS handlers only/],
    ['a .js handler under "type": "module"', { codeDir: path.join(FUNCTIONS, 'esm-package') }, /esm-package\/index\.js is an ES module; .*CommonJS/],
    ['a zero timeout', { codeDir: FUNCTIONS, handler: 'echo.handler', timeoutSeconds: 0 }, /timeoutSeconds must be positive/],
    ['a zero maxConcurrency', { codeDir: FUNCTIONS, handler: 'echo.handler', maxConcurrency: 0 }, /maxConcurrency must be a positive integer/],
  ])('refuses %s', async (_what, options, message) => {
    await expect(FunctionHost.start({ ...base, ...options })).rejects.toThrow(message);
  });

  test('inline code runs from a temporary index.js, removed by stop()', async () => {
    const inline = await host('index.handler', {
      codeDir: undefined,
      inlineCode: 'exports.handler = async (event) => ({ inline: event, dir: __dirname, file: __filename });',
    });
    const { payload } = await inline.host.invoke({ x: 1 });
    const { dir, file, inline: event } = payload as { dir: string; file: string; inline: unknown };
    expect(event).toStrictEqual({ x: 1 });
    expect(path.basename(file)).toBe('index.js');
    expect(fs.existsSync(file)).toBe(true);
    await inline.host.stop();
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('log lines', () => {
  test('every line, whole and in order, is delivered before invoke() resolves', async () => {
    const logs = await host('logs.handler', { name: 'Logs' });
    const expected = (lines: number) => [
      ...Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${lines}`),
      'multi', 'line write', 'y'.repeat(200_000), 'no newline at the end',
    ];

    const first = await logs.host.invoke({ lines: 3, longLine: 200_000 });
    expect(first.payload).toStrictEqual({ printed: 3 });
    expect(logs.lines('stdout')).toStrictEqual(['init line', ...expected(3)]);
    expect(logs.lines('stderr')).toStrictEqual(['an error line']);
    expect(new Set(logs.logged.map((l) => l.functionName))).toStrictEqual(new Set(['Logs']));

    logs.logged.splice(0);
    await logs.host.invoke({ lines: 5_000, longLine: 200_000 });
    expect(logs.lines('stdout')).toStrictEqual(expected(5_000));
    expect(logs.lines('stderr')).toStrictEqual(['an error line']);
    expect(logs.logged.some((l) => l.line.includes('\u0000'))).toBe(false);
  });
});

describe('processes', () => {
  test('stop() kills every process, ends invocations in flight, is idempotent, and invoke() afterwards rejects', async () => {
    const { host: h } = await host('cold.handler');
    const results = await Promise.all([h.invoke({ sleepMs: 200 }), h.invoke({ sleepMs: 200 }), h.invoke({ sleepMs: 200 })]);
    const pids = h.pids;
    expect(pids.sort()).toStrictEqual(results.map((r) => (r.payload as { pid: number }).pid).sort());
    // Two idle processes and one busy one.
    const inFlight = h.invoke({ sleepMs: 10_000 }).then(() => 'resolved', (error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pids.every(alive)).toBe(true);
    await h.stop();
    expect(pids.filter(alive)).toStrictEqual([]);
    expect(h.pids).toStrictEqual([]);
    expect(await inFlight).toBeInstanceOf(FunctionHostStoppedError);
    await h.stop();
    await expect(h.invoke({})).rejects.toThrow(FunctionHostStoppedError);
  });
});

describe('bundled by esbuild, as the runner ships', () => {
  async function startBundled(options: Partial<FunctionHostOptions> = {}) {
    return (await host('cold.handler', options, true)).host;
  }

  test('forks the plain function-worker.js next to it, and by default runs up to ten processes', async () => {
    const h = await startBundled();
    const results = await Promise.all(Array.from({ length: 11 }, () => h.invoke({ sleepMs: 300 })));
    const pids = new Set(results.map((r) => (r.payload as { pid: number }).pid));
    expect(pids.size).toBe(10);
    expect(results.filter((r) => r.coldStart)).toHaveLength(10);
    for (const pid of pids) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf-8').split('\0');
      expect(argv.slice(1, 3)).toStrictEqual([path.join(bundleDir, 'function-worker.js'), '--lambda-function-worker']);
    }
  });

  test('concurrent invocations get a process each, up to maxConcurrency; idle ones are reused warm', async () => {
    const h = await startBundled({ maxConcurrency: 3 });
    const results = await Promise.all(Array.from({ length: 5 }, () => h.invoke({ sleepMs: 300 })));
    const payloads = results.map((r) => r.payload as { pid: number; started: number; finished: number; invocations: number });
    expect(new Set(payloads.map((p) => p.pid)).size).toBe(3);
    expect(results.filter((r) => r.coldStart)).toHaveLength(3);
    expect(payloads.map((p) => p.invocations).sort()).toStrictEqual([1, 1, 1, 2, 2]);
    // Never more than three at once; the first three ran together.
    const overlapping = (at: number) => payloads.filter((p) => p.started <= at && at < p.finished).length;
    expect(Math.max(...payloads.map((p) => overlapping(p.started)))).toBe(3);
    expect(h.pids.sort()).toStrictEqual([...new Set(payloads.map((p) => p.pid))].sort());

    // Sequential calls reuse a warm process.
    const again = await h.invoke({});
    expect(again.coldStart).toBe(false);
    expect(h.pids).toHaveLength(3);
  });

  test('workers die with their parent, whether it ends without stop() or is killed', async () => {
    const script = `
      const { FunctionHost } = require(${JSON.stringify(path.join(bundleDir, 'function-host.js'))});
      (async () => {
        const host = await FunctionHost.start({
          name: 'Orphans', codeDir: ${JSON.stringify(FUNCTIONS)}, handler: 'cold.handler', environment: {}, timeoutSeconds: 5, memorySize: 128,
        });
        const results = await Promise.all([host.invoke({ sleepMs: 300 }), host.invoke({ sleepMs: 300 })]);
        process.stdout.write(JSON.stringify(results.map((r) => r.payload.pid)) + '\\n');
        // 'end': nothing left to do, and idle workers do not keep this process alive.
        if (process.argv[1] === 'kill') process.kill(process.pid, 'SIGKILL');
      })();`;
    // Each parent's own temporary directory: a killed parent cannot remove the host's, the test does.
    const tmpDirs = { end: tempFolder(), kill: tempFolder() };
    const run = (mode: 'end' | 'kill') => new Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TMPDIR: tmpDirs[mode] },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => stdout += chunk);
      child.stderr.on('data', (chunk) => stderr += chunk);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`parent (${mode}) still running after 15 s: ${stdout} ${stderr}`));
      }, 15_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    const [ended, killed] = await Promise.all([run('end'), run('kill')]);
    expect(ended).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(killed).toMatchObject({ code: null, signal: 'SIGKILL', stderr: '' });
    for (const { stdout } of [ended, killed]) {
      const pids = JSON.parse(stdout) as number[];
      expect(new Set(pids).size).toBe(2);
      expect(await eventually(() => !pids.some(alive), 3_000)).toBe(true);
    }
    // The host's temporary directory was there, and went with the parent that ended.
    expect(fs.readdirSync(tmpDirs.kill).filter((name) => name.startsWith('function-host-'))).toHaveLength(1);
    expect(fs.readdirSync(tmpDirs.end)).toStrictEqual([]);
  });
});

describe('the AWS SDK and this machine\'s AWS configuration', () => {
  /** Where this repository's packages are: the AWS SDK the function gets on its NODE_PATH. */
  const REPO_NODE_MODULES = path.join(__dirname, '..', 'node_modules');

  test('nothing of this machine\'s AWS configuration reaches a function, and the SDK gets the fake local credentials', async () => {
    const home = tempFolder({
      '.aws/credentials': '[default]\naws_access_key_id = AKIAMACHINEHOMEKEY01\naws_secret_access_key = machine-home-secret\n'
        + '[machine-profile]\naws_access_key_id = AKIAMACHINEPROFILE01\naws_secret_access_key = machine-profile-secret\n',
      '.aws/config': '[default]\nregion = machine-home-region-1\nendpoint_url = https://machine-home-endpoint.example\n'
        + '[profile machine-profile]\nregion = machine-profile-region-1\n',
    });
    const machine: Record<string, string> = {
      AWS_PROFILE: 'machine-profile',
      AWS_ACCESS_KEY_ID: 'AKIAMACHINEENVKEY001',
      AWS_SECRET_ACCESS_KEY: 'machine-env-secret',
      AWS_SESSION_TOKEN: 'machine-env-session-token',
      AWS_REGION: 'machine-env-region-1',
      AWS_DEFAULT_REGION: 'machine-env-default-region-1',
      AWS_ENDPOINT_URL: 'https://machine-env-endpoint.example',
      AWS_ENDPOINT_URL_DYNAMODB: 'https://machine-env-dynamodb-endpoint.example',
      AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
      AWS_ROLE_ARN: 'arn:aws:iam::999999999999:role/machine-role',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/machine/web-identity-token',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://machine-container-credentials.example/creds',
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'machine-container-token',
    };
    // Records every file the function's code reads, the SDK's shared config files included.
    const codeDir = tempFolder({
      'index.js': `
        const fs = require('fs');
        const read = [];
        for (const [owner, name] of [[fs, 'readFileSync'], [fs, 'readFile'], [fs.promises, 'readFile']]) {
          const original = owner[name];
          owner[name] = function (file, ...rest) {
            read.push(String(file));
            return original.call(this, file, ...rest);
          };
        }
        exports.printEnv = async () => {
          console.log(JSON.stringify(process.env));
        };
        exports.credentials = async () => {
          const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
          const client = new DynamoDBClient({});
          const credentials = await client.config.credentials();
          return { credentials, region: await client.config.region(), read, configFiles: [process.env.AWS_CONFIG_FILE, process.env.AWS_SHARED_CREDENTIALS_FILE] };
        };`,
    });
    const saved = process.env;
    // Kept until the processes start: the host reads process.env when it forks them, at the first invocation.
    process.env = { ...saved, ...machine, HOME: home };
    try {
      const [printer, sdk] = await Promise.all([
        host('index.printEnv', { codeDir }),
        host('index.credentials', { codeDir, nodePath: [REPO_NODE_MODULES] }),
      ]);
      const [printed, sdkResult] = await Promise.all([printer.host.invoke({}), sdk.host.invoke({})]);
      expect(printed).toMatchObject({ status: 'ok' });

      const env = JSON.parse(printer.lines('stdout')[0]) as Record<string, string>;
      const leaks = Object.entries(env).flatMap(([key, value]) => Object.values(machine)
        .filter((machineValue) => value.includes(machineValue))
        .map((machineValue) => `${key}=${value} (has ${machineValue})`));
      expect(leaks).toStrictEqual([]);
      for (const key of ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'NODE_PATH']) {
        expect({ key, value: env[key] }).toStrictEqual({ key, value: undefined });
      }
      expect(env).toMatchObject({
        HOME: home,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_SESSION_TOKEN: 'local',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      // In the host's temporary directory, and absent.
      for (const key of ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) {
        const file = env[key] ?? '';
        expect({ key, inHostTempDir: file.startsWith(path.join(os.tmpdir(), 'function-host-')), exists: fs.existsSync(file) })
          .toStrictEqual({ key, inHostTempDir: true, exists: false });
      }

      expect(sdkResult).toMatchObject({ status: 'ok' });
      const { credentials, region, read, configFiles } = sdkResult.payload as {
        credentials: object; region: string; read: string[]; configFiles: string[];
      };
      expect(credentials).toMatchObject({ accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' });
      expect(region).toBe('us-east-1');
      // The SDK looked for its shared config files where the host points it, and nowhere in HOME.
      expect(read).toEqual(expect.arrayContaining(configFiles));
      expect(read.filter((file) => file.startsWith(home))).toStrictEqual([]);
    } finally {
      process.env = saved;
    }
  });

  test('nodePath: the function\'s own node_modules first, then the NODE_PATH folders in order', async () => {
    const codeDir = tempFolder({
      'index.js': `
        exports.handler = async () => ({
          nodePath: process.env.NODE_PATH,
          dynamodb: require('@aws-sdk/client-dynamodb').from,
          s3: require('@aws-sdk/client-s3').from,
          sqs: require('@aws-sdk/client-sqs').from,
        });`,
      ...fakePackage('node_modules/@aws-sdk/client-dynamodb', 'exports.from = \'the function\';'),
    });
    const runtimeSdk = tempFolder({
      ...fakePackage('@aws-sdk/client-dynamodb', 'exports.from = \'the runtime\';'),
      ...fakePackage('@aws-sdk/client-s3', 'exports.from = \'the runtime\';'),
    });
    const later = tempFolder({
      ...fakePackage('@aws-sdk/client-s3', 'exports.from = \'the later folder\';'),
      ...fakePackage('@aws-sdk/client-sqs', 'exports.from = \'the later folder\';'),
    });
    const { host: h } = await host('index.handler', { codeDir, nodePath: [runtimeSdk, path.relative(process.cwd(), later)] }, true);
    expect((await h.invoke({})).payload).toStrictEqual({
      nodePath: `${runtimeSdk}${path.delimiter}${later}`,
      dynamodb: 'the function',
      s3: 'the runtime',
      sqs: 'the later folder',
    });
  });

  test('a missing @aws-sdk package says which ones are provided offline and what to do; other missing modules do not', async () => {
    const codeDir = tempFolder({
      'index.js': 'const { KinesisClient } = require(\'@aws-sdk/client-kinesis\');\nexports.handler = async () => String(KinesisClient);\n',
    });
    const runtimeSdk = tempFolder({
      ...fakePackage('@aws-sdk/client-dynamodb', 'exports.DynamoDBClient = class {};'),
      // Not a package folder: not listed.
      '@aws-sdk/README.md': 'the AWS SDK the runner provides',
    });
    const moreSdk = tempFolder(fakePackage('@aws-sdk/lib-dynamodb', 'exports.DynamoDBDocumentClient = class {};'));
    const nodePath = [runtimeSdk, path.join(runtimeSdk, 'absent'), moreSdk, tempFolder()];
    const [kinesis, other] = await Promise.all([
      host('index.handler', { codeDir, nodePath }),
      host('missing-dependency.handler', { nodePath }, true),
    ]);
    const [kinesisResult, otherResult] = await Promise.all([kinesis.host.invoke({}), other.host.invoke({})]);
    expect(errorOf(kinesisResult)).toStrictEqual({
      status: 'error',
      errorType: 'Runtime.ImportModuleError',
      errorMessage: expect.stringMatching(new RegExp(
        '^Error: Cannot find module \'@aws-sdk/client-kinesis\'\\nRequire stack:\\n- [^\\n]*index\\.js\\n(- [^\\n]*\\n)*'
        + 'AWS SDK packages provided offline: @aws-sdk/client-dynamodb, @aws-sdk/lib-dynamodb\\. '
        + 'To use @aws-sdk/client-kinesis, bundle it with your function, or add it to the function\'s node_modules\\.$',
      )),
    });
    expect(JSON.parse(kinesis.lines('stderr')[0].split('\t')[1])).toMatchObject({ errorMessage: kinesisResult.errorMessage });
    expect(errorOf(otherResult)).toStrictEqual({
      status: 'error',
      errorType: 'Runtime.ImportModuleError',
      errorMessage: expect.stringMatching(/^Error: Cannot find module 'a-package-that-is-not-installed'\nRequire stack:\n- [^\n]*missing-dependency\.js(\n- [^\n]*)*$/),
    });
  });
});

describe('the bundled stream handler', () => {
  test('answers no batch item failures and prints a change line per record, with the invocation\'s context', async () => {
    const event = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'stream-new-and-old-images.json'), 'utf-8'));
    const stream = await host('index.handler', {
      name: 'OrdersHandler',
      codeDir: STREAM_HANDLER,
      environment: {
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: 'stream-triggered-table',
        CHANGE_LOG_IMAGES: 'true',
        CHANGE_LOG_REDACT: '["email"]',
      },
      memorySize: 256,
    });
    for (const cold of [true, false]) {
      stream.logged.splice(0);
      const result = await stream.host.invoke(event);
      expect(result).toMatchObject({ status: 'ok', payload: { batchItemFailures: [] }, coldStart: cold });
      expect(stream.lines('stderr')).toStrictEqual([]);
      const lines = stream.lines('stdout').map((line) => JSON.parse(line));
      const changes = lines.filter((line) => line.message === 'change');
      expect(changes.map((line) => line.eventID)).toStrictEqual(event.Records.map((r: { eventID: string }) => r.eventID));
      for (const line of lines) {
        expect(line).toMatchObject({
          service: 'stream-triggered-table',
          function_name: 'OrdersHandler',
          function_arn: stream.host.functionArn,
          function_request_id: result.requestId,
          cold_start: cold,
        });
      }
      expect(changes[0].newImage.customer.email).toBe('***REDACTED***');
    }
  });
});
