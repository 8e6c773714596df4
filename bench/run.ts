// `npm run bench`: every section, side by side with its peers and a floor, in one run. Prints the tables,
// writes bench/results/ (JSON, Markdown, one SVG chart per section) and BENCHMARKS.md.
import { execSync } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { packageVersion } from './lib/package-version';
import type { SectionOptions, SectionResult } from './lib/types';
import { sectionChart, sectionTable } from './report';

interface Section {
  readonly id: string;
  /** The metric charted for the README. */
  readonly chartMetric: string;
  readonly run: (options: SectionOptions) => Promise<SectionResult>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- sections load lazily, so `--only` skips the others' setup */
const SECTIONS: Section[] = [
  { id: 'synth', chartMetric: 'wall time', run: (o) => require('./synth').run(o) },
  { id: 'handler', chartMetric: 'throughput', run: (o) => require('./handler').run(o) },
  { id: 'cold-start', chartMetric: 'module ready (from process start)', run: (o) => require('./cold-start').run(o) },
  { id: 'runner', chartMetric: 'throughput', run: (o) => require('./runner').run(o) },
  { id: 'runner-in-tests', chartMetric: 'wall time', run: (o) => require('./runner-in-tests').run(o) },
];
/* eslint-enable @typescript-eslint/no-require-imports */

const USAGE = `usage: npx ts-node --project bench/tsconfig.json bench/run.ts [options]
  --only=ID[,ID...]  run these sections only (${SECTIONS.map((s) => s.id).join(', ')}); results go to bench/.build/results
  --runs=N           measured rounds per figure (default 5; published figures need at least 5)
  --quick            2 rounds and smaller samples, for a smoke test (results go to bench/.build/results)
  --publish          with --only: replace these sections in bench/results/ and BENCHMARKS.md, keeping the others
  --render           re-render results.md and BENCHMARKS.md from bench/results/results.json, measuring nothing
  --help             this text`;

/** A command line that cannot be run. */
class UsageError extends Error {}

interface Options {
  readonly quick: boolean;
  readonly runs: number;
  readonly only?: string[];
  readonly render: boolean;
  readonly publish: boolean;
}

/** The command line, validated: anything unknown or malformed stops the run with a message naming it. */
function parseOptions(argv: string[]): Options | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        only: { type: 'string' },
        render: { type: 'boolean', default: false },
        publish: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.help) {
    console.log(USAGE);
    return undefined;
  }
  const quick = parsed.quick ?? false;
  let runs = quick ? 2 : 5;
  if (parsed.runs !== undefined) {
    if (!/^[1-9]\d*$/.test(parsed.runs)) {
      throw new UsageError(`--runs must be a positive whole number, got ${JSON.stringify(parsed.runs)}`);
    }
    runs = Number(parsed.runs);
  }
  if (!quick && runs < 5) throw new UsageError(`published figures need at least 5 runs, got --runs=${runs} (add --quick for fewer)`);
  let only: string[] | undefined;
  if (parsed.only !== undefined) {
    only = parsed.only.split(',').map((id) => id.trim());
    const unknown = only.filter((id) => !SECTIONS.some((s) => s.id === id));
    if (only.length === 0 || unknown.length > 0) {
      throw new UsageError(`--only names no section: ${JSON.stringify(unknown.length ? unknown.join(',') : parsed.only)}; `
        + `sections are ${SECTIONS.map((s) => s.id).join(', ')}`);
    }
  }
  const publish = parsed.publish ?? false;
  if (publish && (quick || only === undefined)) {
    throw new UsageError('--publish replaces the sections named by --only with a full (not --quick) measurement; a run without --only publishes everything');
  }
  return { quick, runs, only, render: parsed.render ?? false, publish };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const { quick, runs, only } = options;

  const root = path.join(__dirname, '..');
  // Only a full run replaces the published results; a quick or partial run writes beside the build output.
  const published = !quick && (!only || options.publish);
  const outDir = path.join(root, 'bench', published || options.render ? 'results' : '.build/results');
  mkdirSync(outDir, { recursive: true });
  if (options.render) {
    // Re-renders the Markdown of the last run (for example after a change to the report's layout).
    const last = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf-8'));
    const machine = { ...last.machine, versions: describeMachine().versions };
    writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify({ ...last, machine }, null, 2)}\n`);
    const markdown = renderMarkdown(last.results, machine, last.runs, last.quick, new Date(last.started));
    writeFileSync(path.join(outDir, 'results.md'), markdown);
    if (!last.quick) writeFileSync(path.join(root, 'BENCHMARKS.md'), markdown);
    console.log('re-rendered bench/results/results.md and BENCHMARKS.md from bench/results/results.json');
    return;
  }
  const started = new Date();
  const results: SectionResult[] = [];
  for (const section of SECTIONS.filter((s) => !only || only.includes(s.id))) {
    const t0 = Date.now();
    console.log(`\n=== ${section.id} (${runs} measured rounds after a warm-up${quick ? ', quick' : ''})`);
    const result = await section.run({ runs, quick, log: (line) => console.log(`  ${line}`) });
    results.push(result);
    console.log(`\n${result.title}\n`);
    console.log(sectionTable(result, false));
    for (const note of result.notes) console.log(`\nnote: ${note}`);
    console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    const chart = sectionChart(result, section.chartMetric);
    if (chart) writeFileSync(path.join(outDir, `${result.id}.svg`), `${chart}\n`);
  }

  const machine = describeMachine();
  let toPublish = { started, runs, results };
  if (only && options.publish) {
    // The other sections stay as last published; the ones measured now say when, and with how many rounds.
    const last = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf-8')) as { started: string; runs: number; results: SectionResult[] };
    const stamped = results.map((r) => ({ ...r, notes: [...r.notes, `This section was measured on ${started.toISOString().slice(0, 10)} with ${runs} rounds (\`--only=${only.join(',')} --publish\`); the others on ${last.started.slice(0, 10)}.`] }));
    const merged = last.results.map((r) => stamped.find((m) => m.id === r.id) ?? r);
    toPublish = { started: new Date(last.started), runs: last.runs, results: [...merged, ...stamped.filter((m) => !merged.includes(m))] };
  }
  writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify({ started: toPublish.started.toISOString(), runs: toPublish.runs, quick, machine, results: toPublish.results }, null, 2)}\n`);
  const markdown = renderMarkdown(toPublish.results, machine, toPublish.runs, quick, toPublish.started);
  writeFileSync(path.join(outDir, 'results.md'), markdown);
  if (published) writeFileSync(path.join(root, 'BENCHMARKS.md'), markdown);
  const missed = results.flatMap((r) => r.goals).filter((g) => !g.met);
  console.log(`\nwritten: ${path.relative(root, outDir)}/ (results.json, results.md, *.svg)${published ? ' and BENCHMARKS.md' : ''}`);
  console.log(missed.length ? `goals missed: ${missed.map((g) => `${g.section}: ${g.text}`).join('; ')}` : 'every goal met');
}

interface Machine {
  readonly cpus: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly versions: Record<string, string>;
}

function describeMachine(): Machine {
  let java = 'n/a';
  try {
    java = execSync('java -version 2>&1', { encoding: 'utf-8' }).split('\n')[0];
  } catch { /* no java */ }
  return {
    cpus: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    versions: {
      'aws-cdk-lib': packageVersion('aws-cdk-lib'),
      'aws-cdk (CLI)': packageVersion('aws-cdk'),
      '@aws-solutions-constructs/aws-dynamodbstreams-lambda': packageVersion('@aws-solutions-constructs/aws-dynamodbstreams-lambda'),
      '@aws-lambda-powertools/logger': packageVersion('@aws-lambda-powertools/logger'),
      '@aws-lambda-powertools/batch': packageVersion('@aws-lambda-powertools/batch'),
      'esbuild': packageVersion('esbuild'),
      'DynamoDB Local (amplify-dynamodb-simulator)': packageVersion('amplify-dynamodb-simulator'),
      'java': java,
    },
  };
}

function renderMarkdown(results: SectionResult[], machine: Machine, runs: number, quick: boolean, started: Date): string {
  const lines = [
    '# Benchmarks',
    '',
    `Measured with \`npm run bench\`${quick ? ' --quick' : ''} on ${started.toISOString().slice(0, 10)}: ${runs} measured rounds per figure after a `
      + 'warm-up round, contenders alternating within each round (these machines are shared and noisy); every figure is the median '
      + 'with its min..max, every ratio the median of per-round ratios taken in the same run.',
    '',
    `Machine: ${machine.cores} × ${machine.cpus}, ${machine.memoryGiB} GiB, Node.js ${machine.node}.`,
    '',
    '| component | version |',
    '| --- | --- |',
    ...Object.entries(machine.versions).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Goals',
    '',
    '| section | goal | met | measured |',
    '| --- | --- | --- | --- |',
    ...results.flatMap((r) => r.goals.map((g) => `| ${r.title} | ${g.text} | ${g.met ? 'yes' : '**no**'} | ${g.detail} |`)),
  ];
  for (const r of results) {
    lines.push('', `## ${r.title}`, '', `![${r.title}](bench/results/${r.id}.svg)`, '', sectionTable(r, true));
    if (r.notes.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  }
  return `${lines.join('\n')}\n`;
}

main().catch((e: Error) => {
  // Bad flags are the user's to fix: their message is enough. Anything else gets its stack.
  console.error(`bench failed: ${e instanceof UsageError ? e.message : e.stack ?? e}`);
  process.exit(1);
});
