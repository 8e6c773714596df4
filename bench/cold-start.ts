/**
 * Section "cold-start": how long a fresh `node` process takes until the handler export is ready, for our
 * bundled handler, the powertools-batch peer and an empty handler bundled the same way, plus each bundle's
 * size. Each sample is one process running bench/peers/cold-start-probe.ts, which requires the bundle and
 * reports performance.now() right after (performance.timeOrigin is the process start) and the time spent
 * inside require(); the whole process's wall time and peak memory come from bench/lib/measure-process.ts.
 */
import { readdirSync, rmSync, statSync } from 'fs';
import { cpus } from 'os';
import * as path from 'path';
import { build } from 'esbuild';
import { measureProcess } from './lib/measure-process';
import { alternate, formatNumber, measurement, median, ratio } from './lib/stats';
import type { Goal, Measurement, Ratio, SectionOptions, SectionResult } from './lib/types';
import { buildBundles, buildProfileBundles, BUILD_DIR, childEnv, HANDLER_BUILD, oursAssetIsCurrent, OURS_SOURCE, REPO } from './peers/build';
import { formatSummary, summarizeCpuProfile } from './peers/profile';

const SECTION = 'cold-start';
const CONTENDERS = ['ours', 'powertools-batch', 'empty'] as const;
type Contender = typeof CONTENDERS[number];
/** Goals: ours within 1.2x of the empty handler (module-ready time), and a bundle of at most 30 KB. */
const GOAL_RATIO = 1.2;
const GOAL_BUNDLE_BYTES = 30 * 1024;

interface Probe {
  readonly startMs: number;
  readonly readyMs: number;
  readonly requireMs: number;
  /** With `breakdown`: what was loaded before the bundle, each timed. */
  readonly steps: Record<string, number>;
}

const METRICS = ['ready', 'require', 'wall', 'peak'] as const;
type Metric = typeof METRICS[number];

/** Splits a contender's interleaved samples into rounds of `size` and takes each round's median. */
function perRound(samples: number[], size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + size <= samples.length; i += size) out.push(median(samples.slice(i, i + size)));
  return out;
}

export async function run(options: SectionOptions): Promise<SectionResult> {
  const log = (line: string) => options.log(`[cold-start] ${line}`);
  const perRoundSamples = options.quick ? 5 : 20;
  log('bundling the peer, the empty handler and the probe (esbuild)');
  const bundles = await buildBundles();
  const files: Record<Contender, string> = { 'ours': bundles.ours, 'powertools-batch': bundles.powertoolsBatch, 'empty': bundles.empty };
  const notes: string[] = [];
  if (!(await oursAssetIsCurrent())) {
    notes.push('WARNING: assets/stream-handler/index.js is not what lambda/stream-handler/ builds to now: run `npx projen bundle` (the bench task does) first.');
  }

  const sample = async (contender: Contender): Promise<Record<Metric, number>> => {
    const result = await measureProcess(process.execPath, [bundles.coldStartProbe, files[contender]], { cwd: REPO, env: childEnv() });
    const probe = JSON.parse(result.stdout) as Probe;
    return { ready: probe.readyMs, require: probe.requireMs, wall: result.wallMs, peak: result.peakMiB };
  };

  // One process per sample; contenders interleave sample by sample (alternate() rotates who goes first),
  // and every `perRoundSamples` consecutive samples of a contender make one round, summarized by their median.
  log(`${options.runs} rounds of ${perRoundSamples} processes per contender, interleaved (after one warm-up process each)`);
  let done = 0;
  const raw = await alternate(CONTENDERS, options.runs * perRoundSamples, async (contender, index) => {
    const figures = await sample(contender);
    if (index >= 0 && contender === CONTENDERS[CONTENDERS.length - 1] && ++done % perRoundSamples === 0) {
      log(`round ${done / perRoundSamples} of ${options.runs} done`);
    }
    return figures;
  });
  const figures = {} as Record<Contender, Record<Metric, number[]>>;
  for (const c of CONTENDERS) {
    figures[c] = {} as Record<Metric, number[]>;
    for (const m of METRICS) figures[c][m] = perRound(raw[c][m], perRoundSamples);
  }

  const scenario = 'fresh node process, require the bundle';
  const measurements: Measurement[] = [];
  const sizes = {} as Record<Contender, number>;
  for (const c of CONTENDERS) {
    sizes[c] = statSync(files[c]).size;
    measurements.push(
      measurement(SECTION, scenario, c, 'module ready (from process start)', 'ms', figures[c].ready),
      measurement(SECTION, scenario, c, 'require() alone', 'ms', figures[c].require),
      measurement(SECTION, scenario, c, 'process wall time', 'ms', figures[c].wall),
      measurement(SECTION, scenario, c, 'peak memory', 'MiB', figures[c].peak),
      measurement(SECTION, 'bundle', c, 'size', 'bytes', [sizes[c]]),
    );
  }
  const ratios: Ratio[] = [];
  for (const other of ['empty', 'powertools-batch'] as const) {
    ratios.push(
      ratio(SECTION, scenario, `ours / ${other}`, 'module ready (from process start)', figures.ours.ready, figures[other].ready),
      ratio(SECTION, scenario, `ours / ${other}`, 'require() alone', figures.ours.require, figures[other].require),
      ratio(SECTION, scenario, `ours / ${other}`, 'process wall time', figures.ours.wall, figures[other].wall),
    );
  }
  ratios.push(ratio(SECTION, 'bundle', 'ours / powertools-batch', 'size', [sizes.ours], [sizes['powertools-batch']]));

  const ready = ratios[0];
  const requireOnly = ratios[1];
  const med = (c: Contender, m: Metric) => formatNumber(median(figures[c][m]), 'ms');
  const goals: Goal[] = [{
    section: SECTION,
    text: `Cold start: ours within ${GOAL_RATIO}x of the empty handler (time from process start to the handler export being ready)`,
    met: ready.median <= GOAL_RATIO,
    detail: `median of per-round ratios ${formatNumber(ready.median, '')}x (min ${formatNumber(ready.min, '')}, max ${formatNumber(ready.max, '')}, `
      + `${ready.samples.length} rounds); ours ${med('ours', 'ready')}, empty ${med('empty', 'ready')}. The require() alone: ours ${med('ours', 'require')}, `
      + `empty ${med('empty', 'require')} (${formatNumber(requireOnly.median, '')}x): Node's own startup dominates the empty handler's ready time.`,
  }, {
    section: SECTION,
    text: `Bundle: ours at most ${GOAL_BUNDLE_BYTES / 1024} KB (minified)`,
    met: sizes.ours <= GOAL_BUNDLE_BYTES,
    detail: `ours ${sizes.ours.toLocaleString('en-US')} bytes, powertools-batch ${sizes['powertools-batch'].toLocaleString('en-US')}, empty ${sizes.empty.toLocaleString('en-US')}`,
  }];

  const extra = median(figures.ours.require) - median(figures.empty.require);
  notes.push(
    `Method: every sample is a fresh \`node\` process (${process.version}, ${cpus().length} CPUs) with the same clean environment as the handler section `
    + '(our handler\'s defaults), running a probe that requires one bundle: "module ready" is performance.now() right after require() returns '
    + '(performance.timeOrigin is the process start, so it holds Node\'s own startup), "require() alone" the time inside require() (reading, compiling '
    + 'and running the bundle\'s top level: for ours, Powertools Logger and reading the configuration), "process wall time" the parent\'s spawn-to-exit time '
    + 'through GNU time (which also gives peak memory; it adds its own fork and exec). '
    + `${perRoundSamples} processes per contender per round, interleaved one by one, ${options.runs} rounds after one warm-up process each; `
    + 'each round\'s figure is the median of its processes, ratios are medians of per-round ratios. The OS file cache is warm (no disk reads), as in a '
    + 'Lambda execution environment that has its code on local disk; Lambda\'s own runtime bootstrap is not included.',
    `Bundle sizes (minified, same esbuild flags): ours ${sizes.ours.toLocaleString('en-US')} bytes, powertools-batch ${sizes['powertools-batch'].toLocaleString('en-US')}, `
    + `empty ${sizes.empty.toLocaleString('en-US')}.`,
    `Read the ready-time ratio with its base in mind: the empty handler is ready after ${med('empty', 'ready')}, nearly all of it Node starting, so the ${GOAL_RATIO}x goal `
    + `leaves ${formatNumber((GOAL_RATIO - 1) * median(figures.empty.ready), 'ms')} of room. The honest cost of our bundle is its require() time: ${formatNumber(extra, 'ms')} more than the empty bundle `
    + `(${formatNumber(requireOnly.median, '')}x), against ${formatNumber(median(figures['powertools-batch'].require) - median(figures.empty.require), 'ms')} `
    + 'for powertools-batch.',
  );

  // Where the require() time goes: the Node built-ins and streams that Powertools Logger touches at load, timed
  // apart from the rest of the bundle (compiling it and running its top level).
  const breakdownSamples = options.quick ? 3 : 10;
  const breakdowns: string[] = [];
  for (const c of ['ours', 'powertools-batch'] as const) {
    const steps: Record<string, number[]> = {};
    for (let i = 0; i < breakdownSamples; i++) {
      const result = await measureProcess(process.execPath, [bundles.coldStartProbe, files[c], 'breakdown'], { cwd: REPO, env: childEnv() });
      const probe = JSON.parse(result.stdout) as Probe;
      for (const [name, ms] of Object.entries({ ...probe.steps, 'the bundle itself': probe.requireMs })) (steps[name] ??= []).push(ms);
    }
    breakdowns.push(`${c}: ${Object.entries(steps).map(([name, ms]) => `${name} ${formatNumber(median(ms), 'ms')}`).join(', ')}`);
  }
  notes.push(`Where the require() time goes (medians of ${breakdownSamples} processes per contender that load these first, in this order, then the bundle): `
    + `${breakdowns.join('; ')}. `
    + 'Powertools Logger imports node:crypto (for randomInt, in debug log sampling) and builds a Console on process.stdout and process.stderr at '
    + 'construction, which creates both streams (the empty handler never touches them; a handler that logs pays for them at its first line '
    + 'at the latest, and a Lambda runtime that has already logged has paid for them before the handler loads).');

  if (!goals[1].met) {
    notes.push(await bundleComposition());
  }
  if (goals.some((g) => !g.met)) {
    notes.push(...await profileRequire(bundles.coldStartProbe, log));
  }

  return { id: 'cold-start', title: 'Cold start', measurements, ratios, goals, notes };
}

/** What our bundle's require() spends its time on: a fine-grained CPU profile of the probe on an unminified build. */
async function profileRequire(probe: string, log: (line: string) => void): Promise<string[]> {
  const { ours } = await buildProfileBundles();
  const dir = path.join(BUILD_DIR, 'profiles', 'cold-start');
  rmSync(dir, { recursive: true, force: true });
  log('the goal was missed: profiling the require() of ours');
  await measureProcess(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', dir, probe, ours], { cwd: REPO, env: childEnv() });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return ['(profiling the cold start produced no profile)'];
  const summary = summarizeCpuProfile(path.join(dir, file), [ours]);
  return formatSummary('Profile of a cold start of ours (whole process, unminified build, 50 µs sampling)', summary);
}

/** Where the bytes of our bundle come from: the same build as the asset's, with esbuild's metafile, per package. */
async function bundleComposition(): Promise<string> {
  const result = await build({
    ...HANDLER_BUILD,
    entryPoints: [OURS_SOURCE],
    absWorkingDir: REPO,
    write: false,
    metafile: true,
    outfile: path.join(BUILD_DIR, 'composition', 'index.js'),
  });
  const output = Object.values(result.metafile!.outputs)[0];
  const byOrigin = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const origin = file.includes('node_modules/') ? file.split('node_modules/').pop()!.split('/').slice(0, 2).join('/') : path.dirname(file);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + bytesInOutput);
  }
  const total = output.bytes;
  const parts = [...byOrigin].sort((a, b) => b[1] - a[1])
    .map(([origin, bytes]) => `${origin} ${bytes.toLocaleString('en-US')} (${formatNumber((100 * bytes) / total, '')}%)`);
  const powertools = [...byOrigin].filter(([origin]) => origin.startsWith('@aws-lambda-powertools/') || origin.startsWith('@aws/'))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
  return `Bundle composition (esbuild metafile, minified bytes by origin, ${total.toLocaleString('en-US')} in all): ${parts.join(', ')}. `
    + `Powertools Logger and what it imports make ${powertools.toLocaleString('en-US')} bytes: the 30 KB goal leaves `
    + `${(GOAL_BUNDLE_BYTES - powertools).toLocaleString('en-US')} bytes for the handler itself (unmarshalling without loss, changedAttributes, `
    + 'redaction, validation with paths, the fast path), which needs more; meeting it would mean leaving Powertools, which the change log\'s contract '
    + '(lines as Powertools formats them, docs/change-log.md) rests on.';
}
