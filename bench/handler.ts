/**
 * Section "handler": throughput and peak memory of the change-log handler on batches of NEW_AND_OLD_IMAGES
 * MODIFY records (~1 KB each, bench/lib/records.ts), side by side with
 * - powertools-batch: the same lines written the idiomatic Powertools way (bench/peers/powertools-batch-handler.ts:
 *   BatchProcessor + processPartialResponse + Logger + util-dynamodb unmarshall), and
 * - floor: a loop that unmarshalls each record and writes one JSON line (bench/peers/floor-handler.ts).
 *
 * Each measurement is a fresh `node` process (bench/peers/harness.ts) that loads one handler bundle once,
 * invokes it once to warm up, then enough times to process at least TARGET records, and reports the time
 * inside the measured invocations and its peak RSS. The handler's stdout is a pipe that this process
 * drains and discards, counting lines: a contender that prints another number of lines is not comparable.
 */
import { spawn } from 'child_process';
import { readdirSync, rmSync } from 'fs';
import { cpus } from 'os';
import * as path from 'path';
import { streamEvent } from './lib/records';
import { alternate, formatNumber, measurement, median, ratio } from './lib/stats';
import type { Goal, Measurement, Ratio, SectionOptions, SectionResult } from './lib/types';
import { buildBundles, buildProfileBundles, BUILD_DIR, Bundles, childEnv, oursAssetIsCurrent, REPO } from './peers/build';
import type { HarnessFigures, HarnessOptions } from './peers/harness';
import { formatSummary, summarizeCpuProfile } from './peers/profile';

const SECTION = 'handler';
const CONTENDERS = ['ours', 'powertools-batch', 'floor'] as const;
type Contender = typeof CONTENDERS[number];

/** Goals: (a) at least 2x (b) in throughput, and at least as fast as (c), the floor. */
const GOAL_VS_PEER = 2;
const GOAL_VS_FLOOR = 1;
/** Lambda's invocation payload limit (6 MB), which bounds a stream batch in bytes whatever its BatchSize. */
const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;

interface ChildRun {
  readonly figures: HarnessFigures;
  readonly lines: number;
  readonly bytes: number;
  /** Only when asked to capture. */
  readonly stdout?: string;
}

function bundleOf(bundles: Bundles, contender: Contender): string {
  return contender === 'ours' ? bundles.ours : contender === 'powertools-batch' ? bundles.powertoolsBatch : bundles.floor;
}

/** Lines a contender prints per invocation: one per record, plus the summary line for ours and the peer. */
function linesPerInvocation(contender: Contender | 'empty', batch: number): number {
  return contender === 'floor' ? batch : contender === 'empty' ? 0 : batch + 1;
}

/** Runs the harness on one handler; stdout is a pipe drained here (counted, discarded unless `capture`). */
function runHarness(harness: string, options: HarnessOptions, extra: { capture?: boolean; nodeArgs?: string[] } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(extra.nodeArgs ?? []), harness, JSON.stringify(options)], {
      cwd: REPO,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let lines = 0;
    let bytes = 0;
    const captured: Buffer[] = [];
    let stderr = '';
    let report = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      if (extra.capture) captured.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => { report += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const label = `${path.relative(REPO, options.handler)} (batch ${options.batch})`;
      if (code !== 0) {
        reject(new Error(`harness on ${label} exited with ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      if (stderr.trim() !== '') {
        reject(new Error(`harness on ${label} wrote to stderr (a WARN or ERROR line?): ${stderr.slice(0, 2000)}`));
        return;
      }
      const stdout = extra.capture ? Buffer.concat(captured).toString() : undefined;
      resolve({ figures: JSON.parse(report) as HarnessFigures, lines, bytes, stdout });
    });
  });
}

/** Fields that differ between two runs of the same handler (clock), left out of the comparison. */
const VOLATILE = ['timestamp', 'ageMs', 'oldestAgeMs'];
const FLOOR_FIELDS = ['eventName', 'eventID', 'sequenceNumber', 'keys', 'newImage', 'oldImage'];

function parseLines(text: string, label: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((line) => line !== '').map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${label}: line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

function without(line: Record<string, unknown>, fields: readonly string[]): string {
  const copy = { ...line };
  for (const field of fields) delete copy[field];
  return JSON.stringify(copy);
}

function only(line: Record<string, unknown>, fields: readonly string[]): string {
  const copy: Record<string, unknown> = {};
  for (const field of fields) if (line[field] !== undefined) copy[field] = line[field];
  return JSON.stringify(copy);
}

/**
 * The contenders must print the same thing for the figures to compare: ours and powertools-batch the same
 * lines field for field (in the same order, clock fields aside), the floor the same record data.
 */
async function checkSameOutput(bundles: Bundles, batch: number): Promise<string> {
  const options = (contender: Contender): HarnessOptions => ({ handler: bundleOf(bundles, contender), batch, warmup: 0, invocations: 1 });
  const out = {} as Record<Contender, Array<Record<string, unknown>>>;
  for (const contender of CONTENDERS) {
    const captured = await runHarness(bundles.harness, options(contender), { capture: true });
    out[contender] = parseLines(captured.stdout!, contender);
    if (out[contender].length !== linesPerInvocation(contender, batch)) {
      throw new Error(`${contender} printed ${out[contender].length} lines for a batch of ${batch}, expected ${linesPerInvocation(contender, batch)}: not comparable`);
    }
  }
  for (let i = 0; i < out.ours.length; i++) {
    const ours = without(out.ours[i], VOLATILE);
    const peer = without(out['powertools-batch'][i], VOLATILE);
    if (ours !== peer) {
      throw new Error(`powertools-batch does not print the same line ${i + 1} as ours, so the figures would not compare:\nours: ${ours.slice(0, 1500)}\npeer: ${peer.slice(0, 1500)}`);
    }
  }
  for (let i = 0; i < batch; i++) {
    const ours = only(out.ours[i], FLOOR_FIELDS);
    const floor = only(out.floor[i], FLOOR_FIELDS);
    if (ours !== floor) {
      throw new Error(`the floor does not print the same record data as ours on line ${i + 1}:\nours: ${ours.slice(0, 1500)}\nfloor: ${floor.slice(0, 1500)}`);
    }
  }
  return `Output checked before measuring (a batch of ${batch}): powertools-batch prints the same lines as ours, in content and field order `
    + `(clock fields ${VOLATILE.join(', ')} aside); the floor prints the same ${FLOOR_FIELDS.join(', ')} per record and nothing else (no Powertools fields, no summary line).`;
}

const PIPE_WRITES = new Set(['writeUtf8String', 'writeLatin1String', 'writeBuffer', 'writev', 'writeAsciiString', 'writeUcs2String']);

/** Profile categories: whose code the time is spent in. */
function categorize(module: string, functionName: string): string {
  if (/^@aws-lambda-powertools\/(logger|commons)\/|^@aws-lambda-powertools\/batch\/node_modules\/@aws-lambda-powertools\/commons\//.test(module)) {
    return 'Powertools Logger (with commons)';
  }
  if (module.startsWith('@aws-lambda-powertools/batch/')) return 'Powertools batch';
  if (module.startsWith('@aws-sdk/util-dynamodb/')) return 'util-dynamodb unmarshall';
  if (module.startsWith('lambda/')) return 'our handler code (lambda/)';
  if (module.startsWith('bench/peers/')) return 'the contender\'s own code (bench/peers/)';
  if (module === '(garbage collector)') return 'garbage collection';
  if (PIPE_WRITES.has(functionName)) return 'stdout writes (native)';
  if (module.startsWith('node core')) return 'Node core (streams, console, util)';
  return 'other (V8 builtins, program)';
}

/** CPU profiles of the three contenders (unminified builds of the same sources), summarized by self time. */
async function profileContenders(bundles: Bundles, batch: number, invocations: number, log: (line: string) => void): Promise<string[]> {
  const unminified = await buildProfileBundles();
  const files: Record<Contender, string> = { 'ours': unminified.ours, 'powertools-batch': unminified.powertoolsBatch, 'floor': unminified.floor };
  const notes: string[] = [];
  for (const contender of CONTENDERS) {
    const dir = path.join(BUILD_DIR, 'profiles', contender);
    rmSync(dir, { recursive: true, force: true });
    log(`profiling ${contender} (node --cpu-prof, unminified build, batch ${batch} x ${invocations})`);
    const profiled = await runHarness(bundles.harness, { handler: files[contender], batch, warmup: 1, invocations }, {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    });
    const expected = (invocations + 1) * linesPerInvocation(contender, batch);
    if (profiled.lines !== expected) throw new Error(`profiling ${contender}: ${profiled.lines} lines, expected ${expected}`);
    const profile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!profile) throw new Error(`profiling ${contender}: no .cpuprofile in ${dir}`);
    // The harness's own work (building and parsing events between invocations) is left out of the shares.
    const summary = summarizeCpuProfile(path.join(dir, profile), [files[contender], bundles.harness],
      (module) => module.startsWith('bench/peers/harness') || module.startsWith('bench/lib/'), categorize);
    const perRecord = formatNumber(profiled.figures.elapsedMs * 1000 / profiled.figures.records, 'µs');
    notes.push(...formatSummary(`Profile of ${contender} (${perRecord} per record under the profiler)`, summary));
  }
  return notes;
}

export async function run(options: SectionOptions): Promise<SectionResult> {
  const log = (line: string) => options.log(`[handler] ${line}`);
  const batches = options.quick ? [100, 1000] : [100, 1000, 10000];
  /** Records per measurement (per child process), at least; after one warm-up invocation. */
  const target = options.quick ? 5000 : 50000;

  log('bundling the peers and the harness (esbuild)');
  const bundles = await buildBundles();
  const notes: string[] = [];
  if (!(await oursAssetIsCurrent())) {
    notes.push('WARNING: assets/stream-handler/index.js is not what lambda/stream-handler/ builds to now: run `npx projen bundle` (the bench task does) before trusting these figures.');
  }
  log('checking that the contenders print the same thing');
  notes.push(await checkSameOutput(bundles, 30));

  const sample = streamEvent(1000).Records;
  const sizes = sample.map((r) => r.dynamodb!.SizeBytes!);
  const jsonSizes = sample.map((r) => JSON.stringify(r).length);
  notes.push(
    `Method: each figure is one fresh \`node\` process (${process.version}, ${cpus().length} CPUs) per contender, which loads the handler bundle once, `
    + 'builds the batch as JSON text, and per invocation parses a fresh event from it (as the Lambda runtime does; not timed), then calls the handler '
    + 'with a Lambda-like context and waits until its stdout writes have been handed to the pipe (timed: Node writes pipes asynchronously, so the '
    + `drain is part of the cost). One warm-up invocation, then ceil(${target.toLocaleString('en-US')} / batch) measured invocations. `
    + 'stdout is a pipe read and discarded by the parent (lines counted: every run must print exactly one line per record, plus one summary line per '
    + `batch for ours and powertools-batch). Contenders alternate within each of ${options.runs} rounds (after one warm-up round); `
    + 'ratios are the medians of per-round ratios. Peak memory is process.resourceUsage().maxRSS of the whole child, so it includes Node, the batch '
    + 'held as text and as objects, and output waiting in the pipe buffer.',
    'Records: NEW_AND_OLD_IMAGES MODIFY of an order item (strings, integers and two-decimal prices, a boolean, a nested customer map with an '
    + `address map, a list of order-line maps, a list of strings), SizeBytes median ${median(sizes)} (${Math.min(...sizes)}–${Math.max(...sizes)}), `
    + `${median(jsonSizes)} bytes as Lambda's JSON. No sets, binary or numbers beyond 15 significant digits, so that util-dynamodb's unmarshall `
    + '(which rounds long decimals, turns large integers into BigInt, sets into Set objects printed as {}) gives the same values as ours.',
    'Contenders: ours = assets/stream-handler/index.js as shipped (POWERTOOLS_LOG_LEVEL=INFO, CHANGE_LOG_IMAGES=true, CHANGE_LOG_REDACT=[]); '
    + 'powertools-batch = bench/peers/powertools-batch-handler.ts (BatchProcessor(EventType.DynamoDBStreams) with default parallel processing, '
    + 'processPartialResponse, Logger, util-dynamodb unmarshall, node:util isDeepStrictEqual for changedAttributes); floor = bench/peers/floor-handler.ts. '
    + 'Both peers are bundled with the same esbuild flags as our asset (minified).',
  );

  const measurements: Measurement[] = [];
  const ratios: Ratio[] = [];
  const goals: Goal[] = [];
  const lineBytes: Partial<Record<Contender, number>> = {};

  for (const batch of batches) {
    const scenario = `batches of ${batch.toLocaleString('en-US')}`;
    const invocations = Math.ceil(target / batch);
    const baseline = await runHarness(bundles.harness, { handler: bundles.empty, batch, warmup: 1, invocations });
    log(`${scenario}: ${invocations} invocations per run; harness alone (empty handler) peaks at ${formatNumber(baseline.figures.maxRssKiB / 1024, 'MiB')}`);
    const figures = await alternate(CONTENDERS, options.runs, async (contender, round) => {
      const result = await runHarness(bundles.harness, { handler: bundleOf(bundles, contender), batch, warmup: 1, invocations });
      const expected = (invocations + 1) * linesPerInvocation(contender, batch);
      if (result.lines !== expected) {
        throw new Error(`${contender} (${scenario}) printed ${result.lines} lines, expected ${expected}: not comparable`);
      }
      lineBytes[contender] ??= result.bytes / result.lines;
      const throughput = result.figures.records / (result.figures.elapsedMs / 1000);
      const peak = result.figures.maxRssKiB / 1024;
      log(`${scenario} ${round < 0 ? 'warm-up' : `round ${round + 1}`} ${contender}: ${formatNumber(throughput, 'records/s')} `
        + `(${formatNumber(result.figures.elapsedMs * 1000 / result.figures.records, 'µs/record')}), peak ${formatNumber(peak, 'MiB')}`);
      return { throughput, peak };
    });

    for (const c of CONTENDERS) {
      measurements.push(
        measurement(SECTION, scenario, c, 'throughput', 'records/s', figures[c].throughput),
        measurement(SECTION, scenario, c, 'peak memory', 'MiB', figures[c].peak),
      );
    }
    const vsPeer = ratio(SECTION, scenario, 'ours / powertools-batch', 'throughput', figures.ours.throughput, figures['powertools-batch'].throughput);
    const vsFloor = ratio(SECTION, scenario, 'ours / floor', 'throughput', figures.ours.throughput, figures.floor.throughput);
    ratios.push(
      vsPeer,
      vsFloor,
      ratio(SECTION, scenario, 'ours / powertools-batch', 'peak memory', figures.ours.peak, figures['powertools-batch'].peak),
      ratio(SECTION, scenario, 'ours / floor', 'peak memory', figures.ours.peak, figures.floor.peak),
    );
    const spread = (r: Ratio) => `median of per-round ratios ${formatNumber(r.median, '')}x (min ${formatNumber(r.min, '')}, max ${formatNumber(r.max, '')}, ${r.samples.length} rounds)`;
    const rate = (c: Contender) => `${c} ${formatNumber(median(figures[c].throughput), 'records/s')}`;
    goals.push(
      {
        section: SECTION,
        text: `Handler, ${scenario}: ours at least ${GOAL_VS_PEER}x powertools-batch (throughput)`,
        met: vsPeer.median >= GOAL_VS_PEER,
        detail: `${spread(vsPeer)}; ${rate('ours')}, ${rate('powertools-batch')}`,
      },
      {
        section: SECTION,
        text: `Handler, ${scenario}: ours at least ${GOAL_VS_FLOOR}x the floor (throughput)`,
        met: vsFloor.median >= GOAL_VS_FLOOR,
        detail: `${spread(vsFloor)}; ${rate('ours')}, ${rate('floor')}`,
      },
    );
    notes.push(`${scenario}: the harness alone (same batch, empty handler, nothing printed) peaks at ${formatNumber(baseline.figures.maxRssKiB / 1024, 'MiB')}; `
      + `a batch is ${formatNumber(baseline.figures.eventBytes / 1024, 'KiB')} of JSON.`);
    if (baseline.figures.eventBytes > LAMBDA_PAYLOAD_LIMIT) {
      const fit = Math.floor(LAMBDA_PAYLOAD_LIMIT / (baseline.figures.eventBytes / batch));
      notes.push(`${scenario}: such a batch is larger than Lambda's 6 MB invocation payload limit, so Lambda never delivers it (about ${fit.toLocaleString('en-US')} `
        + 'of these records fit in one invocation): a stress case, kept because the issue asks for it.');
    }
  }
  notes.push(`Bytes per printed line: ${CONTENDERS.map((c) => `${c} ${formatNumber(lineBytes[c] ?? NaN, '')}`).join(', ')} `
    + '(ours and powertools-batch print the same lines; the floor has no Powertools fields).');

  if (goals.some((g) => !g.met)) {
    const batch = 1000;
    const invocations = Math.ceil((options.quick ? 5000 : 20000) / batch);
    log('a goal was missed: profiling');
    notes.push(`A goal was missed, so each contender was profiled (node --cpu-prof; batches of ${batch}, ${invocations} invocations after a warm-up; `
      + 'shares are of the process\'s sampled time less idle time and the harness\'s own work, GC included):');
    notes.push(...await profileContenders(bundles, batch, invocations, log));
  }

  return { id: 'handler', title: 'Handler throughput', measurements, ratios, goals, notes };
}
