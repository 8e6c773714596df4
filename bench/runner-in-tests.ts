import { spawn } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { cpuSeconds, processTree, residentMiB, sampleTreeCpu } from './lib/process-tree';
import { alternate, measurement, median, percentile, ratio } from './lib/stats';
import type { Goal, Measurement, Ratio, SectionOptions, SectionResult } from './lib/types';
import { startDynamoDbLocal } from '../local/engine/dynamodb-local';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../local/engine/shared-dynamodb';
import { LocalRunner } from '../local/runner';
import { StreamTriggeredTable } from '../src';

const root = path.join(__dirname, '..');
const section = 'runner-in-tests';
const CONTENDERS = ['ours', 'ours-app-per-run', 'ours-from-assembly', 'shelf-puts-only', 'runner-per-file'] as const;
type Contender = (typeof CONTENDERS)[number];
/** The contenders whose files' phases and processes' CPU are shown (one runner per file is there for its wall time). */
const PROFILED = ['ours', 'ours-app-per-run', 'ours-from-assembly', 'shelf-puts-only'] as const;

/**
 * The runner as it lives in a user's test suite: a jest suite of 10 files x 3 tests against the
 * @shelf/jest-dynamodb preset doing only puts and against one runner (one DynamoDB Local) per file; a
 * runner's start on the shared engine; put -> handler and put -> waitForIdle() through the runner's
 * endpoint; the CPU of an idle runner; and an app of 20 stream-triggered tables (start, memory).
 */
export async function run(options: SectionOptions): Promise<SectionResult> {
  const measurements: Measurement[] = [];
  const ratios: Ratio[] = [];
  const goals: Goal[] = [];
  const notes: string[] = [];
  const goal = (text: string, met: boolean, detail: string) => goals.push({ section, text, met, detail });

  // 1. A jest suite, three ways, alternating.
  const files = options.quick ? 4 : 10;
  // Each round is five whole jest runs (a minute or more in all): three measured rounds, not `runs`.
  const suiteRounds = Math.min(3, options.runs);
  const phases = new Map<Contender, FilePhases[]>(CONTENDERS.map((c) => [c, []]));
  const suite = await alternate(CONTENDERS, suiteRounds, async (contender) => {
    const jestRun = await jestSuite(contender, files);
    phases.get(contender)!.push(...jestRun.phases);
    options.log(`jest suite, ${contender}: ${(jestRun.wall / 1000).toFixed(1)} s`);
    return { wall: jestRun.wall };
  });
  const scenario = `jest suite, ${files} files x 3 tests, 2 workers`;
  for (const c of CONTENDERS) {
    measurements.push(measurement(section, scenario, c, 'wall time', 'ms', suite[c].wall));
  }
  // Where a file's time goes (every file of every run, warm-up included): what the ratios below are made of.
  for (const c of PROFILED) {
    for (const p of PHASES) {
      measurements.push(measurement(section, `${scenario}: one test file`, c, p, 'ms', phases.get(c)!.map((f) => f[p])));
    }
  }
  // Where the suite's CPU goes, by process: one more run of each contender, sampled from /proc (not a timed run:
  // the sampling itself takes some CPU).
  const cpuScenario = `${scenario}: CPU of the whole run, one untimed run`;
  const cpuOf = new Map<Contender, Map<string, number>>();
  for (const c of PROFILED) {
    const byKind = (await jestSuite(c, files, true)).cpuByKind!;
    cpuOf.set(c, byKind);
    for (const kind of CPU_KINDS) measurements.push(measurement(section, cpuScenario, c, `${kind} CPU`, 's', [byKind.get(kind) ?? 0]));
  }
  const vsShelf = ratio(section, scenario, 'ours, the app built once per run by the preset (the README\'s suite) / @shelf/jest-dynamodb (puts only)',
    'wall time', suite['ours-app-per-run'].wall, suite['shelf-puts-only'].wall);
  const appPerFile = ratio(section, scenario, 'ours, the app built in each test file / @shelf/jest-dynamodb (puts only)', 'wall time',
    suite.ours.wall, suite['shelf-puts-only'].wall);
  const perFile = ratio(section, scenario, 'one runner per file / ours', 'wall time', suite['runner-per-file'].wall, suite.ours.wall);
  const fromAssembly = ratio(section, scenario, 'ours, reading a synthesized assembly / @shelf/jest-dynamodb (puts only)', 'wall time',
    suite['ours-from-assembly'].wall, suite['shelf-puts-only'].wall);
  ratios.push(vsShelf, appPerFile, fromAssembly, perFile);
  const total = (c: Contender) => [...cpuOf.get(c)!.values()].reduce((a, b) => a + b, 0);
  const perFileMs = (c: Contender, kind: string) => ((cpuOf.get(c)!.get(kind) ?? 0) / files) * 1000;
  goal('a jest suite using the runner: at most 1.5x the same suite doing only puts on @shelf/jest-dynamodb', vsShelf.median <= 1.5,
    `${vsShelf.median.toFixed(2)}x with the app built once per jest run by the preset, as the README's suite does `
    + `(${fromAssembly.median.toFixed(2)}x on an assembly synthesized before jest). With the app built in each test file instead: `
    + `${appPerFile.median.toFixed(2)}x. The suites are CPU-bound (2 cores): their processes used ${total('ours-app-per-run').toFixed(1)} s `
    + `of CPU with the app once per run, ${total('ours').toFixed(1)} s with it in each file, ${total('shelf-puts-only').toFixed(1)} s for `
    + `@shelf; the jest workers ${perFileMs('ours-app-per-run', 'jest workers').toFixed(0)} ms per test file, and `
    + `${perFileMs('ours', 'jest workers').toFixed(0)} ms when each file builds the app: aws-cdk-lib, loaded and run again in each `
    + 'file\'s fresh module registry');
  goal('and at least 3x faster than one runner per test file', perFile.median >= 3, `${perFile.median.toFixed(2)}x`);

  // 2-4. On one shared engine, as under the preset: a runner's start, then latencies through its endpoint.
  const engine = await startDynamoDbLocal();
  process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE] = engine.endpoint;
  try {
    const starts: number[] = [];
    const synths: number[] = [];
    const toHandler: number[] = [];
    const toIdle: number[] = [];
    const writes = options.quick ? 20 : 60;
    for (let round = -1; round < options.runs; round++) {
      const t0 = performance.now();
      const app = ordersApp(1);
      const assembly = app.synth();
      const t1 = performance.now();
      const runner = await LocalRunner.start({ app: { synth: () => assembly, node: app.node } });
      const t2 = performance.now();
      try {
        const latencies = await latenciesOf(runner, writes);
        if (round < 0) continue;
        synths.push(t1 - t0);
        starts.push(t2 - t1);
        toHandler.push(...latencies.toHandler);
        toIdle.push(...latencies.toIdle);
      } finally {
        await runner.stop();
      }
    }
    measurements.push(
      measurement(section, 'runner start per test file, engine shared', 'ours', 'synth in process', 'ms', synths),
      measurement(section, 'runner start per test file, engine shared', 'ours', 'LocalRunner.start', 'ms', starts),
      measurement(section, `${writes} paced puts through runner.endpoint, per round`, 'ours', 'put -> handler p50', 'ms', [percentile(toHandler, 50)]),
      measurement(section, `${writes} paced puts through runner.endpoint, per round`, 'ours', 'put -> handler p99', 'ms', [percentile(toHandler, 99)]),
      measurement(section, `${writes} paced puts through runner.endpoint, per round`, 'ours', 'put -> waitForIdle() p50', 'ms', [percentile(toIdle, 50)]),
      measurement(section, `${writes} paced puts through runner.endpoint, per round`, 'ours', 'put -> waitForIdle() p99', 'ms', [percentile(toIdle, 99)]),
    );
    goal('runner start per test file, engine shared: at most 1.5 s', median(starts) <= 1500,
      `${median(starts).toFixed(0)} ms (synth in process ${median(synths).toFixed(0)} ms more)`);
    goal('put -> handler: p50 at most 50 ms, p99 at most 150 ms', percentile(toHandler, 50) <= 50 && percentile(toHandler, 99) <= 150,
      `p50 ${percentile(toHandler, 50).toFixed(0)} ms, p99 ${percentile(toHandler, 99).toFixed(0)} ms`);
    goal('put -> waitForIdle() returns: at most 100 ms', percentile(toIdle, 50) <= 100,
      `p50 ${percentile(toIdle, 50).toFixed(0)} ms, p99 ${percentile(toIdle, 99).toFixed(0)} ms`);
  } finally {
    delete process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
    await engine.stop();
  }

  // What a CLI's start is made of: DynamoDB Local alone (the JVM with its defaults, as the CLI starts it), until it answers.
  const jvmStarts: number[] = [];
  for (let round = 0; round < (options.quick ? 1 : 3); round++) {
    const t0 = performance.now();
    const jvm = await startDynamoDbLocal();
    jvmStarts.push(performance.now() - t0);
    await jvm.stop();
  }
  measurements.push(measurement(section, 'DynamoDB Local alone, as the CLI starts it', 'floor', 'start', 'ms', jvmStarts));

  // 5-6. The CLI, as a user runs it on a synthesized app: its start, then (one record through every table, so
  // every function is warm) the memory and idle CPU of all its processes: the runner, DynamoDB Local, workers.
  let startOne: number[] = [];
  for (const tables of [1, 20]) {
    const idleSeconds = options.quick ? 5 : 15;
    const settleSeconds = options.quick ? 15 : 20;
    const cpu: number[] = [];
    const cpuJustAfter: number[] = [];
    const startMs: number[] = [];
    const memoryAtStart: number[] = [];
    const memory: number[] = [];
    const assembly = mkdtempSync(path.join(tmpdir(), 'bench-cli-'));
    try {
      ordersApp(tables, assembly).synth();
      const seed = path.join(assembly, 'seed.json');
      writeFileSync(seed, JSON.stringify(Object.fromEntries(ordersIds(tables).map((id) => [id, [{ pk: 'warm' }]]))));
      for (let round = 0; round < (options.quick ? 1 : Math.min(3, options.runs)); round++) {
        const figures = await idleCli(assembly, seed, tables, idleSeconds, settleSeconds);
        cpuJustAfter.push(figures.cpuJustAfterPercent);
        startMs.push(figures.startMs);
        memoryAtStart.push(figures.memoryAtStartMiB);
        memory.push(figures.memoryMiB);
        cpu.push(figures.cpuPercent);
      }
    } finally {
      rmSync(assembly, { recursive: true, force: true });
    }
    const label = `the CLI on an app of ${tables} stream-triggered table${tables === 1 ? '' : 's'}, all its processes`;
    measurements.push(
      measurement(section, label, 'ours', 'start (own DynamoDB Local)', 'ms', startMs),
      measurement(section, label, 'ours', 'resident memory after start', 'MiB', memoryAtStart),
      measurement(section, label, 'ours', 'resident memory, every function warm', 'MiB', memory),
      measurement(section, label, 'ours', 'CPU, the first 15 s after the last invocation', '% of a core', cpuJustAfter),
      measurement(section, label, 'ours', 'CPU while idle (settled)', '% of a core', cpu),
    );
    if (tables === 1) startOne = startMs;
    const cpuGoal = tables === 1 ? 2 : 5;
    goal(`CPU of an idle runner, ${tables} table${tables === 1 ? '' : 's'}: under ${cpuGoal}% of a core`, median(cpu) < cpuGoal,
      `${median(cpu).toFixed(1)}% settled (${median(cpuJustAfter).toFixed(1)}% in the first 15 s after the last invocation)`);
    if (tables === 20) {
      goal('an app with 20 stream-triggered tables: start at most 3 s', median(startMs) <= 3000,
        `${median(startMs).toFixed(0)} ms, of which DynamoDB Local's JVM alone takes ${median(jvmStarts).toFixed(0)} ms to answer `
        + `(${median(startOne).toFixed(0)} ms for the app of 1 table)`);
      goal('and at most 600 MiB for all its processes', median(memory) <= 600,
        `${median(memory).toFixed(0)} MiB with every function warm (${median(memoryAtStart).toFixed(0)} MiB after start, before any invocation)`);
    }
  }

  notes.push(
    'Jest suite: generated test files (JavaScript, so no transpiler is measured) running a one-table app; `ours-app-per-run` is the '
    + 'README\'s suite: the preset (one DynamoDB Local for the run) builds and synthesizes the app named in the jest config once, in its '
    + 'global setup, and each file\'s `LocalRunner.start()` runs it; each test puts one item, waits for idle and reads the change log. '
    + '`ours` is the same with each file building the app itself and passing it to `LocalRunner.start({ app })`; `ours-from-assembly` '
    + 'reads an assembly synthesized before jest (as after `cdk synth`); `shelf-puts-only` is @shelf/jest-dynamodb\'s preset with the '
    + 'same table and tests doing only PutItem + GetItem; `runner-per-file` is `ours` without the preset (each file starts a DynamoDB '
    + 'Local of its own). Wall time of the whole jest process, `--maxWorkers=2`; three measured rounds after a warm-up (each round is '
    + 'five whole jest runs). The preset\'s DynamoDB Local runs with the JVM\'s quick-start compiler (`-XX:TieredStopAtLevel=1`, '
    + 'see docs/offline-runner.md); @shelf\'s and `runner-per-file`\'s with the JVM\'s defaults. CPU of the whole run: one more run of '
    + 'each contender, every process below jest read from /proc every 100 ms.',
    'One test file: each generated file writes marks (its first line, its requires done, the app built, the runner started, its '
    + 'tests done, stopped); the rows give the medians over every file of every run. `load` is the requires in the file\'s fresh '
    + 'module registry (jest gives every test file its own: the runner\'s bundle and aws-cdk-lib are compiled again for each), '
    + '`build` the app\'s constructs, `start` LocalRunner.start() with the synth, `tests` the three put + waitForIdle() tests (the '
    + 'first invocation starts the function\'s process), `stop` runner.stop() (its tables deleted). The wall time of the suite '
    + 'adds jest\'s own start and the DynamoDB Local JVM\'s start in the global setup (both contenders have one).',
    'Latencies: one PutItem every 50 ms with an SDK client on `runner.endpoint`; put -> handler is the bundled handler\'s log timestamp '
    + 'minus the time the put started; put -> waitForIdle() is from the put\'s start to waitForIdle() resolving, one put at a time.',
    'Idle CPU and memory: the CLI on a synthesized app, every one of its processes (the runner, DynamoDB Local\'s JVM, one worker per '
    + 'function once it ran), read from /proc; CPU over 15 s twice: 5 s after every function ran once (readers still slowing '
    + 'down, each function\'s Node.js collecting garbage after its first invocation), and 20 s later, settled (the idle runner).',
  );
  return {
    id: 'runner-in-tests',
    title: 'The runner in a test suite: jest suite, start, latency, idle cost',
    measurements,
    ratios,
    goals,
    notes,
  };
}

/** The ids of the tables of `ordersApp(tables)`. */
function ordersIds(tables: number): string[] {
  return Array.from({ length: tables }, (_, i) => (tables === 1 ? 'Orders' : `Orders${i}`));
}

/** An app of `tables` stream-triggered tables with the bundled handler, as a test file builds it (or `cdk synth`, into `outdir`). */
function ordersApp(tables: number, outdir?: string): App {
  const app = outdir ? new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } }) : new App();
  const stack = new Stack(app, 'Bench');
  for (const id of ordersIds(tables)) {
    new StreamTriggeredTable(stack, id, {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      createAlarms: false,
    });
  }
  return app;
}

/**
 * Starts the CLI on an assembly with a seed of one item per table; start is until it prints its endpoints;
 * once every function printed its change line, memory is read, then CPU over `idleSeconds` of idleness, twice:
 * at once, and after `settleSeconds` more.
 */
async function idleCli(assembly: string, seed: string, tables: number, idleSeconds: number, settleSeconds: number): Promise<{
  startMs: number; memoryAtStartMiB: number; memoryMiB: number; cpuJustAfterPercent: number; cpuPercent: number;
}> {
  const started = performance.now();
  const cli = spawn(process.execPath, [path.join(root, 'assets', 'local-runner', 'cli.js'), '--cdk-out', assembly, '--seed', seed,
    '--out', path.join(assembly, 'out')], { cwd: assembly, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  cli.stdout.on('data', (d) => { stdout += d; });
  cli.stderr.on('data', () => {});
  const until = async (what: string, ready: () => boolean) => {
    for (const deadline = Date.now() + 120_000; !ready(); await sleep(10)) {
      if (Date.now() > deadline || cli.exitCode !== null) throw new Error(`the CLI did not get to ${what}: ${stdout.slice(-2000)}`);
    }
  };
  try {
    await until('its start', () => stdout.includes('DynamoDB Local: '));
    const startMs = performance.now() - started;
    const memoryAtStartMiB = residentMiB(processTree(cli.pid!));
    await until('a change line of every table', () => (stdout.match(/"message":"change"/g) ?? []).length >= tables);
    await sleep(5000); // past the readers' full-rate polls
    const memoryMiB = residentMiB(processTree(cli.pid!));
    const pids = processTree(cli.pid!);
    const cpuOver = async (seconds: number) => {
      const before = cpuSeconds(pids);
      const wall0 = performance.now();
      await sleep(seconds * 1000);
      return ((cpuSeconds(pids) - before) / ((performance.now() - wall0) / 1000)) * 100;
    };
    // Just after the last invocation (readers still slowing down, the functions' runtimes collecting garbage)...
    const cpuJustAfterPercent = await cpuOver(idleSeconds);
    // ...and settled: every reader at its longest pause (reached 23 s after the last record at the defaults).
    await sleep(settleSeconds * 1000);
    const cpuPercent = await cpuOver(idleSeconds);
    return { startMs, memoryAtStartMiB, memoryMiB, cpuJustAfterPercent, cpuPercent };
  } finally {
    cli.kill('SIGINT');
    await new Promise((resolve) => cli.once('exit', resolve));
  }
}

async function latenciesOf(runner: LocalRunner, writes: number): Promise<{ toHandler: number[]; toIdle: number[] }> {
  const client = new DynamoDBClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const table = runner.table('Orders');
  const putAt = new Map<string, number>();
  const toIdle: number[] = [];
  try {
    // A warm function first, as in a test after its first record.
    await table.put({ pk: 'warm' });
    await runner.waitForIdle();
    for (let i = 0; i < writes; i++) {
      const pk = `k${i}`;
      const started = Date.now();
      putAt.set(pk, started);
      await client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall({ pk, status: 'NEW' }) }));
      await runner.waitForIdle();
      toIdle.push(Date.now() - started);
      await sleep(50);
    }
  } finally {
    client.destroy();
  }
  const toHandler = table.changes().flatMap((c) => {
    const started = putAt.get(String(c.keys.pk));
    return started === undefined ? [] : [Date.parse(c.timestamp) - started];
  });
  return { toHandler, toIdle };
}

/** Where a test file's time goes, in ms (the medians over its files): read from marks the generated files write. */
interface FilePhases {
  /** From the file's first line to its requires done (jest's module registry is fresh for every file). */
  readonly load: number;
  /** Building the app's constructs (none when the file reads an assembly, or does only puts). */
  readonly build: number;
  /** `LocalRunner.start()` (with the synth of the app), or nothing. */
  readonly start: number;
  /** The file's three tests. */
  readonly tests: number;
  /** `runner.stop()` or the client's destroy. */
  readonly stop: number;
}

const PHASES = ['load', 'build', 'start', 'tests', 'stop'] as const;
/** The marks a generated test file writes, in order: each phase ends at the next one. */
const MARKS = ['module', 'loaded', 'built', 'started', 'tested', 'stopped'] as const;

/** The first lines of a generated test file: `mark(name)` appends to the bench's marks file. */
const MARK_HELPER = `const mark = (name) => require('fs').appendFileSync(process.env.BENCH_MARKS, JSON.stringify({ file: __filename, name, at: Date.now() }) + '\\n');
mark('module');
`;

function filePhases(marksFile: string): FilePhases[] {
  const byFile = new Map<string, Map<string, number>>();
  for (const line of readFileSync(marksFile, 'utf-8').split('\n').filter(Boolean)) {
    const { file, name, at } = JSON.parse(line) as { file: string; name: string; at: number };
    if (!byFile.has(file)) byFile.set(file, new Map());
    byFile.get(file)!.set(name, at);
  }
  return [...byFile.values()].map((marks) => {
    const at = (name: string) => {
      const value = marks.get(name);
      if (value === undefined) throw new Error(`a test file wrote no '${name}' mark`);
      return value;
    };
    const phase = (i: number) => at(MARKS[i + 1]) - at(MARKS[i]);
    return { load: phase(0), build: phase(1), start: phase(2), tests: phase(3), stop: phase(4) };
  });
}

/** Writes a jest project of `files` test files for the contender, runs jest on it: its wall time and where each file's time went. */
async function jestSuite(contender: Contender, files: number, sampleCpu = false):
Promise<{ wall: number; phases: FilePhases[]; cpuByKind?: Map<string, number> }> {
  if (!existsSync(path.join(root, 'lib', 'index.js'))) throw new Error('lib/ is not built: run `npx projen compile` first');
  const project = mkdtempSync(path.join(tmpdir(), `bench-jest-${contender}-`));
  try {
    const modules = path.join(project, 'node_modules');
    mkdirSync(path.join(modules, '@shelf'), { recursive: true });
    mkdirSync(path.join(modules, '@aws-sdk'), { recursive: true });
    // Installed as npm installs it: its files in a folder of node_modules (a link to the checkout would be
    // outside node_modules, where jest transforms files unless told not to).
    for (const entry of ['package.json', '.jsii', 'lib', 'assets']) {
      cpSync(path.join(root, entry), path.join(modules, 'cdk-stream-triggered-table', entry), { recursive: true });
    }
    for (const name of ['aws-cdk-lib', 'constructs', 'amplify-dynamodb-simulator', '@shelf/jest-dynamodb', '@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb']) {
      symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name), 'dir');
    }
    const config: Record<string, unknown> = { testEnvironment: 'node', testMatch: ['**/*.test.js'] };
    // The preset's own port setting; its tests connect to it (3.x sets no endpoint variable).
    const shelfPort = 18_000 + Math.floor(Math.random() * 1000);
    if (contender.startsWith('ours')) config.preset = 'cdk-stream-triggered-table/jest';
    if (contender === 'ours-app-per-run') {
      config.globals = { 'cdk-stream-triggered-table': { app: 'orders-app.js' } };
      writeFileSync(path.join(project, 'orders-app.js'), ORDERS_APP_MODULE);
    }
    if (contender === 'ours-from-assembly') ordersApp(1, path.join(project, 'cdk.out')).synth();
    if (contender === 'runner-per-file') config.testTimeout = 60_000;
    if (contender === 'shelf-puts-only') {
      config.preset = '@shelf/jest-dynamodb';
      writeFileSync(path.join(project, 'jest-dynamodb-config.js'), `module.exports = ${JSON.stringify({
        tables: [{
          TableName: 'Orders',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }],
        port: shelfPort,
        // The jar of the package this project already has: nothing is downloaded.
        installerConfig: { installPath: path.join(root, 'node_modules', 'amplify-dynamodb-simulator', 'emulator') },
      })};\n`);
    }
    writeFileSync(path.join(project, 'jest.config.js'), `module.exports = ${JSON.stringify(config)};\n`);
    for (let i = 0; i < files; i++) {
      writeFileSync(path.join(project, `orders-${i}.test.js`), contender === 'shelf-puts-only' ? SHELF_TEST(i, shelfPort)
        : contender === 'ours-from-assembly' ? RUNNER_FROM_ASSEMBLY_TEST : contender === 'ours-app-per-run' ? RUNNER_APP_PER_RUN_TEST : RUNNER_TEST);
    }
    const marksFile = path.join(project, 'marks.jsonl');
    writeFileSync(marksFile, '');
    const started = performance.now();
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_MARKS: marksFile };
    delete env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
    delete env.JEST_WORKER_ID;
    const jest = spawn(process.execPath, [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--maxWorkers=2'], {
      cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    jest.stdout.on('data', (chunk) => (output += chunk));
    jest.stderr.on('data', (chunk) => (output += chunk));
    const sampler = sampleCpu ? sampleTreeCpu(jest.pid!, (pid, ppid, command) => processKind(jest.pid!, pid, ppid, command)) : undefined;
    const killer = setTimeout(() => jest.kill('SIGKILL'), 600_000);
    const status = await new Promise<number | null>((resolve) => jest.once('exit', resolve));
    clearTimeout(killer);
    const wall = performance.now() - started;
    const cpuByKind = sampler?.stop();
    if (status !== 0) throw new Error(`jest (${contender}) failed:\n${output}`.slice(-4000));
    const phases = filePhases(marksFile);
    if (phases.length !== files) throw new Error(`jest (${contender}): marks of ${phases.length} files, not ${files}`);
    return { wall, phases, cpuByKind };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** The kinds of process a jest run has. */
const CPU_KINDS = ['jest parent', 'jest workers', 'DynamoDB Local (JVM)', 'function processes', 'other'] as const;

/** What a process of a jest run is, for its CPU: the JVM, a function's process, jest itself, or one of its workers. */
function processKind(jestPid: number, pid: number, ppid: number, command: string): (typeof CPU_KINDS)[number] {
  if (/DynamoDBLocal/.test(command)) return 'DynamoDB Local (JVM)';
  if (/function-worker/.test(command)) return 'function processes';
  if (pid === jestPid) return 'jest parent';
  return ppid === jestPid && /node/.test(command) ? 'jest workers' : 'other';
}

/** The tests of a runner test file, once its `beforeAll` has started `runner`. */
const RUNNER_TESTS = `afterAll(async () => {
  mark('tested');
  await (runner && runner.stop());
  mark('stopped');
});

for (const i of [1, 2, 3]) {
  test('order ' + i + ' is in the change log', async () => {
    await runner.table('Orders').put({ pk: 'order#' + i, status: 'NEW' });
    await runner.waitForIdle();
    expect(runner.table('Orders').changes().filter((c) => c.keys.pk === 'order#' + i)).toHaveLength(1);
  });
}
`;

/** The one-table app, built as a test file or the app module builds it: `app` is the App. */
const BUILD_ORDERS_APP = `const { App, Stack } = require('aws-cdk-lib');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const { StreamTriggeredTable } = require('cdk-stream-triggered-table');
const buildApp = () => {
  const app = new App();
  const stack = new Stack(app, 'Suite');
  new StreamTriggeredTable(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, createAlarms: false });
  return app;
};
`;

/** A test file that builds the app itself and passes it to `LocalRunner.start({ app })`. */
const RUNNER_TEST = `${MARK_HELPER}${BUILD_ORDERS_APP}const { LocalRunner } = require('cdk-stream-triggered-table/local');
mark('loaded');

let runner;
beforeAll(async () => {
  const app = buildApp();
  mark('built');
  runner = await LocalRunner.start({ app });
  mark('started');
});
${RUNNER_TESTS}`;

/** The app of the preset's config (`globals`), built and synthesized once per jest run by its global setup. */
const ORDERS_APP_MODULE = `${BUILD_ORDERS_APP}module.exports = buildApp;
`;

/** The same tests on an app built elsewhere (`start` gives `LocalRunner.start` its arguments): the test file loads no aws-cdk-lib. */
const runnerTestWithoutApp = (start: string) => `${MARK_HELPER}const path = require('path');
const { LocalRunner } = require('cdk-stream-triggered-table/local');
mark('loaded');
mark('built');

let runner;
beforeAll(async () => {
  runner = await LocalRunner.start(${start});
  mark('started');
});
${RUNNER_TESTS}`;

/** On the jest run's app (the README's suite). */
const RUNNER_APP_PER_RUN_TEST = runnerTestWithoutApp('');
/** On an assembly synthesized before jest (`cdk synth`). */
const RUNNER_FROM_ASSEMBLY_TEST = runnerTestWithoutApp("{ cdkOut: path.join(__dirname, 'cdk.out') }");

const SHELF_TEST = (file: number, port: number) => `${MARK_HELPER}const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, PutCommand } = require('@aws-sdk/lib-dynamodb');
mark('loaded');
mark('built');

const client = DynamoDBDocumentClient.from(new DynamoDBClient({
  endpoint: 'http://localhost:${port}', region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
}));
beforeAll(() => mark('started'));
afterAll(() => {
  mark('tested');
  client.destroy();
  mark('stopped');
});

for (const i of [1, 2, 3]) {
  test('order ' + i + ' is stored', async () => {
    const pk = 'file${file}-order#' + i;
    await client.send(new PutCommand({ TableName: 'Orders', Item: { pk, status: 'NEW' } }));
    const { Item } = await client.send(new GetCommand({ TableName: 'Orders', Key: { pk } }));
    expect(Item.status).toBe('NEW');
  });
}
`;
