/**
 * Section "synth": wall time and peak memory of a whole `cdk synth` process (the real CDK CLI and the
 * app it runs) for an app with N stream-triggered tables, against the same resources written by hand,
 * AWS Solutions Constructs' DynamoDBStreamsToLambda, and a NodejsFunction bundled at synth time.
 *
 * The four apps (bench/apps/) are bundled to plain JavaScript once, before anything is timed, so the
 * figures hold no TypeScript compilation.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import { build, Plugin } from 'esbuild';
import { TABLES_PER_STACK } from './apps/layout';
import { measureProcess } from './lib/measure-process';
import { packageVersion } from './lib/package-version';
import { alternate, formatNumber, measurement, median, ratio } from './lib/stats';
import type { Goal, Measurement, Ratio, SectionOptions, SectionResult } from './lib/types';

const SECTION = 'synth';
const REPO = path.resolve(__dirname, '..');
const BUILD_DIR = path.join(REPO, 'bench', '.build', 'synth');
const CDK_CLI = path.join(REPO, 'node_modules', '.bin', 'cdk');
const PREBUILT_HANDLER = path.join(REPO, 'assets', 'stream-handler', 'index.js');
const SNAPSHOT = path.join(REPO, 'test', '__snapshots__', 'snapshot.test.ts.snap');

const CONTENDERS = ['ours', 'hand-written', 'solutions-constructs', 'nodejs-function'] as const;
type Contender = typeof CONTENDERS[number];
const COMPARED: readonly Contender[] = ['hand-written', 'solutions-constructs', 'nodejs-function'];

/** Goal of the issue: ours within 1.1x of the hand-written equivalent on wall time. */
const GOAL_RATIO = 1.1;

/** What the app writes to BENCH_PHASES_FILE (bench/apps/common.ts). */
interface Phases {
  readonly constructMs: number;
  readonly synthMs: number;
  readonly peakMiB: number;
  /** CPU time (user + system) of the app process, start-up included. */
  readonly cpuMs: number;
}

interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown }>;
}

interface AssemblyCheck {
  /** Resources per table by type (AWS::CDK::Metadata left out). */
  readonly perTable: Record<string, number>;
  readonly resourcesPerTable: number;
  /** Resources (without Metadata) keyed by logical id, for comparing two contenders' templates. */
  readonly resources: Record<string, unknown>;
  readonly assetNote: string;
}

export async function run(options: SectionOptions): Promise<SectionResult> {
  const counts = options.quick ? [1, 10] : [1, 10, 50];
  const log = (line: string) => options.log(`[synth] ${line}`);
  if (!existsSync(PREBUILT_HANDLER)) {
    throw new Error(`${path.relative(REPO, PREBUILT_HANDLER)} is missing: run \`npx projen bundle\` first`);
  }
  log('bundling the four apps to plain JavaScript (esbuild)');
  const apps = await buildApps();

  const measurements: Measurement[] = [];
  const ratios: Ratio[] = [];
  const goals: Goal[] = [];
  const notes: string[] = [];
  const phaseNotes: string[] = [];
  const checks = new Map<string, AssemblyCheck>();

  for (const n of counts) {
    const scenario = `${n} table${n === 1 ? '' : 's'}`;
    log(`${scenario}: warm-up round (also checks every template), then ${options.runs} rounds`);
    const figures = await alternate(CONTENDERS, options.runs, async (contender, round) => {
      const outdir = path.join(BUILD_DIR, `${contender}-${n}`);
      const phasesFile = path.join(BUILD_DIR, `${contender}-${n}.phases.json`);
      rmSync(outdir, { recursive: true, force: true });
      rmSync(phasesFile, { force: true });
      const result = await measureProcess(CDK_CLI, ['synth', '--app', `${process.execPath} ${apps[contender]}`, '--quiet', '--no-notices', '-o', outdir], {
        cwd: REPO,
        env: synthEnv(n, phasesFile),
      });
      if (!existsSync(phasesFile)) throw new Error(`${contender} (${scenario}): the app wrote no ${phasesFile}; stderr: ${result.stderr.slice(-2000)}`);
      const phases = JSON.parse(readFileSync(phasesFile, 'utf8')) as Phases;
      if (round < 0) {
        checks.set(`${contender}/${n}`, checkAssembly(contender, n, outdir));
      }
      log(`${scenario} ${round < 0 ? 'warm-up' : `round ${round + 1}`} ${contender}: ${formatNumber(result.wallMs, 'ms')}, ${formatNumber(result.peakMiB, 'MiB')} `
        + `(app: construct ${formatNumber(phases.constructMs, 'ms')}, synth ${formatNumber(phases.synthMs, 'ms')}, peak ${formatNumber(phases.peakMiB, 'MiB')})`);
      return {
        wall: result.wallMs,
        peak: result.peakMiB,
        appConstruct: phases.constructMs,
        appSynth: phases.synthMs,
        appPeak: phases.peakMiB,
        appCpu: phases.cpuMs,
      };
    });

    for (const c of CONTENDERS) {
      const f = figures[c];
      measurements.push(
        measurement(SECTION, scenario, c, 'wall time', 'ms', f.wall),
        measurement(SECTION, scenario, c, 'peak memory', 'MiB', f.peak),
        measurement(SECTION, scenario, c, 'app peak memory', 'MiB', f.appPeak),
        measurement(SECTION, scenario, c, 'app construct time', 'ms', f.appConstruct),
        measurement(SECTION, scenario, c, 'app synth time', 'ms', f.appSynth),
        measurement(SECTION, scenario, c, 'app CPU time', 'ms', f.appCpu),
      );
    }
    for (const other of COMPARED) {
      ratios.push(
        ratio(SECTION, scenario, `ours / ${other}`, 'wall time', figures.ours.wall, figures[other].wall),
        ratio(SECTION, scenario, `ours / ${other}`, 'peak memory', figures.ours.peak, figures[other].peak),
      );
    }
    const cpuRatio = ratio(SECTION, scenario, 'ours / hand-written', 'app CPU time', figures.ours.appCpu, figures['hand-written'].appCpu);
    ratios.push(cpuRatio);
    const goalRatio = ratio(SECTION, scenario, 'ours / hand-written', 'wall time', figures.ours.wall, figures['hand-written'].wall);
    goals.push({
      section: SECTION,
      text: `cdk synth with ${scenario}: ours within ${GOAL_RATIO}x of the hand-written equivalent (wall time)`,
      met: goalRatio.median <= GOAL_RATIO,
      detail: `median of per-round ratios ${formatNumber(goalRatio.median, '')}x (min ${formatNumber(goalRatio.min, '')}, max ${formatNumber(goalRatio.max, '')}, `
        + `${goalRatio.samples.length} rounds); ours ${formatNumber(median(figures.ours.wall), 'ms')}, hand-written ${formatNumber(median(figures['hand-written'].wall), 'ms')}; `
        + `the app's CPU time, less sensitive to other load on the machine, ${formatNumber(cpuRatio.median, '')}x (min ${formatNumber(cpuRatio.min, '')}, max ${formatNumber(cpuRatio.max, '')})`,
    });
    phaseNotes.push(`${scenario}, inside the app (medians): `
      + CONTENDERS.map((c) => `${c} construct ${formatNumber(median(figures[c].appConstruct), 'ms')} + synth ${formatNumber(median(figures[c].appSynth), 'ms')}`).join('; ')
      + `. The rest of the wall time is the CDK CLI and the app's node start-up (asset staging happens in the construct phase; ours: ${formatNumber(
        median(figures.ours.wall) - median(figures.ours.appConstruct) - median(figures.ours.appSynth), 'ms')}).`);
  }

  notes.push(
    'Each figure is a whole `cdk synth --quiet --no-notices -o <empty dir>` process: the CDK CLI '
    + `${packageVersion('aws-cdk')} running a prebuilt plain-JS app (bench/apps/*.ts bundled once with esbuild; aws-cdk-lib `
    + `${packageVersion('aws-cdk-lib')}, constructs and the Solutions Construct stay external), on Node ${process.version}. `
    + 'The output directory is emptied before every run, so every run stages the handler asset (and the NodejsFunction runs esbuild). '
    + 'CDK_DISABLE_VERSION_CHECK and CDK_DISABLE_CLI_TELEMETRY are set and notices are off, so no run touches the network.',
    'Rounds alternate the four contenders (rotating which goes first) after one warm-up round; ratios are per round, then the median. '
    + `Tables go ${TABLES_PER_STACK} to a stack (Bench1, Bench2, ...): a stack holds at most 500 resources and ours creates 13 per table.`,
    'Peak memory is the largest resident set in the process tree (GNU time): that is the CDK CLI itself (about 220 MiB whatever the app), '
    + 'so it hardly tells the contenders apart. "app peak memory" is the app process alone (its own maxRSS); "app construct time" / '
    + '"app synth time" split the app\'s work between building the construct tree and `app.synth()`; "app CPU time" is the app '
    + 'process\'s user + system time, start-up included, which other load on a shared machine disturbs less than wall time.',
    `aws-cdk-lib ${packageVersion('aws-cdk-lib')} does not validate templates against the CloudFormation schemas during synth; newer versions `
    + '(2.276 here) do, which adds about 2.5–3.7 s and ~340 MiB to every one of these processes unless turned off (`--no-validation`).',
    ...phaseNotes,
  );
  notes.push(...assemblyNotes(checks, counts));
  return { id: 'synth', title: `cdk synth: an app with ${counts.slice(0, -1).join(', ')} and ${counts[counts.length - 1]} stream-triggered tables`, measurements, ratios, goals, notes };
}

/** The CLI's environment: table count, where the app writes its phase timings, nothing networked. */
function synthEnv(tables: number, phasesFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_TABLES: String(tables),
    BENCH_PHASES_FILE: phasesFile,
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  for (const name of ['CDK_OUTDIR', 'CDK_CONTEXT_JSON', 'CDK_CLI_ASM_VERSION', 'CDK_DEBUG', 'NODE_OPTIONS', 'TS_NODE_PROJECT']) delete env[name];
  return env;
}

/**
 * Bundles each app to bench/.build/synth/apps/<name>.js. `__dirname` in the repository's own TypeScript
 * (src/, bench/apps/) is pinned to the source folder, so src/stream-handler.ts still finds
 * `<repo>/assets/stream-handler` from inside the bundle.
 */
async function buildApps(): Promise<Record<Contender, string>> {
  const outdir = path.join(BUILD_DIR, 'apps');
  mkdirSync(outdir, { recursive: true });
  const pinDirname: Plugin = {
    name: 'pin-dirname',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!/\b__dirname\b/.test(source)) return undefined;
        // One line, so line numbers in stack traces stay right.
        return { contents: `const __dirname = ${JSON.stringify(path.dirname(args.path))}; ${source}`, loader: 'ts' };
      });
    },
  };
  const out = {} as Record<Contender, string>;
  for (const c of CONTENDERS) {
    out[c] = path.join(outdir, `${c}.js`);
    // The CLI splits --app on spaces (and mangles quotes).
    if (/\s/.test(out[c] + process.execPath)) throw new Error(`the synth section needs paths without spaces, got ${process.execPath} and ${out[c]}`);
    await build({
      entryPoints: [path.join(REPO, 'bench', 'apps', `${c}.ts`)],
      outfile: out[c],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['aws-cdk-lib', 'constructs', '@aws-solutions-constructs/*', 'esbuild'],
      plugins: [pinDirname],
      logLevel: 'warning',
    });
  }
  return out;
}

/**
 * Throws unless the assembly holds `tables` tables and `tables` mappings, and every function's asset
 * is there (for the prebuilt handler: byte for byte the one in assets/stream-handler).
 */
function checkAssembly(contender: Contender, tables: number, outdir: string): AssemblyCheck {
  const files = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  if (files.length === 0) throw new Error(`${contender} (${tables} tables): no template in ${outdir}`);
  const resources: Record<string, unknown> = {};
  const types: Record<string, number> = {};
  const functionKeys = new Set<string>();
  for (const file of files) {
    const template = JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as Template;
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::CDK::Metadata') continue;
      types[resource.Type] = (types[resource.Type] ?? 0) + 1;
      const { Metadata: _metadata, ...rest } = resource;
      resources[`${file}/${id}`] = rest;
      if (resource.Type === 'AWS::Lambda::Function') {
        const code = resource.Properties?.Code as { S3Key?: unknown } | undefined;
        if (typeof code?.S3Key !== 'string') throw new Error(`${contender} (${tables} tables): function ${id} has no S3 asset key`);
        functionKeys.add(code.S3Key);
      }
    }
  }
  const tableCount = (types['AWS::DynamoDB::GlobalTable'] ?? 0) + (types['AWS::DynamoDB::Table'] ?? 0);
  const mappings = types['AWS::Lambda::EventSourceMapping'] ?? 0;
  const functions = types['AWS::Lambda::Function'] ?? 0;
  if (tableCount !== tables || mappings !== tables || functions !== tables) {
    throw new Error(`${contender}: expected ${tables} tables, mappings and functions, the templates hold ${tableCount}, ${mappings} and ${functions}`);
  }
  if (functionKeys.size !== 1) throw new Error(`${contender} (${tables} tables): expected every function to use one asset, got ${[...functionKeys].join(', ')}`);
  const hash = [...functionKeys][0].replace(/\.zip$/, '');
  const handler = path.join(outdir, `asset.${hash}`, 'index.js');
  if (!existsSync(handler)) throw new Error(`${contender} (${tables} tables): the functions' asset ${handler} is missing`);
  const samePrebuilt = readFileSync(handler).equals(readFileSync(PREBUILT_HANDLER));
  if (contender !== 'nodejs-function' && !samePrebuilt) {
    throw new Error(`${contender} (${tables} tables): the functions' asset is not assets/stream-handler/index.js`);
  }
  const perTable: Record<string, number> = {};
  let total = 0;
  for (const [type, count] of Object.entries(types)) {
    perTable[type] = count / tables;
    total += count;
  }
  const assetNote = contender === 'nodejs-function'
    ? `Its synth-time bundle is ${samePrebuilt ? 'byte for byte the prebuilt assets/stream-handler/index.js (same esbuild settings)' : 'not identical to the prebuilt asset'}`
    : 'Every function uses the prebuilt assets/stream-handler/index.js';
  return { perTable, resourcesPerTable: total / tables, resources, assetNote };
}

/** Resource counts per table, what (c) leaves out, and whether (b) and (d) really equal (a). */
function assemblyNotes(checks: Map<string, AssemblyCheck>, counts: readonly number[]): string[] {
  const notes: string[] = [];
  const at = (c: Contender, n: number) => checks.get(`${c}/${n}`);
  const describe = (perTable: Record<string, number>) => Object.entries(perTable)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${count === 1 ? '' : `${count} `}${type.replace(/^AWS::/, '')}`).join(', ');
  const first = counts[0];
  notes.push('Resources per table (from the templates): ' + CONTENDERS.map((c) => {
    const check = at(c, first)!;
    return `${c} ${formatCount(check.resourcesPerTable)} (${describe(check.perTable)})`;
  }).join('; ') + '.');
  const ours = at('ours', first)!.perTable;
  const sc = at('solutions-constructs', first)!.perTable;
  const isTable = (t: string) => t.startsWith('AWS::DynamoDB::');
  const missing = Object.keys(ours).filter((t) => !(t in sc) && !isTable(t)).map((t) => t.replace(/^AWS::/, ''));
  notes.push(`solutions-constructs does less: it creates no ${missing.join(', ')}, and keeps only the batch metadata (an SQS on-failure queue) `
    + 'instead of the records; its figures are for a smaller template.');
  const snapshotTypes = snapshotDefaultTypes();
  if (snapshotTypes) {
    const same = JSON.stringify(snapshotTypes) === JSON.stringify(sortedCounts(ours));
    notes.push(`ours matches the "defaults" snapshot resource for resource by type: ${same ? 'yes' : `NO (snapshot: ${describe(snapshotTypes)})`}.`);
  }
  for (const other of ['hand-written', 'nodejs-function'] as const) {
    const verdicts = counts.map((n) => {
      const diff = firstDifference(at('ours', n)!.resources, at(other, n)!.resources);
      const scenario = `${n} table${n === 1 ? '' : 's'}`;
      return diff ? `${scenario}: DIFFERENT (${diff})` : `${scenario}: identical`;
    });
    notes.push(`${other} template against ours, Metadata and CDKMetadata aside: ${verdicts.join('; ')}. ${at(other, first)!.assetNote}.`);
  }
  return notes;
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Resource types (with counts) of the "defaults" jest snapshot: the template ours must produce. */
function snapshotDefaultTypes(): Record<string, number> | undefined {
  if (!existsSync(SNAPSHOT)) return undefined;
  const text = readFileSync(SNAPSHOT, 'utf8');
  const start = text.indexOf('exports[`defaults 1`]');
  if (start < 0) return undefined;
  const end = text.indexOf('exports[`', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const resources = section.slice(section.indexOf('"Resources"'));
  const types: Record<string, number> = {};
  for (const m of resources.matchAll(/"Type": "(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"/g)) types[m[1]] = (types[m[1]] ?? 0) + 1;
  return sortedCounts(types);
}

/** Logical id and path of the first difference between two sets of resources, or undefined. */
function firstDifference(a: Record<string, unknown>, b: Record<string, unknown>): string | undefined {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of [...keys].sort()) {
    if (!(key in a)) return `${key} only in the other template`;
    if (!(key in b)) return `${key} only in ours`;
    const d = diffValue(a[key], b[key], key);
    if (d) return d;
  }
  return undefined;
}

function diffValue(a: unknown, b: unknown, where: string): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return a === b ? undefined : `${where}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${where}: array vs object`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  for (const k of new Set([...ka, ...kb])) {
    const d = diffValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
    if (d) return d;
  }
  return undefined;
}
