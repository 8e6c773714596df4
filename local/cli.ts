#!/usr/bin/env node
// The offline runner's command line: runs every stream-triggered table of a cloud assembly on
// DynamoDB Local, prints each handler's log lines as they arrive, and a summary when it stops.
import { readFileSync } from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
// Only through the public API (./index): the bundled CLI loads the bundled API instead of a second copy
// (what else it imports holds no state: a copy of it is harmless).
import { formatActivity, formatSummary, LocalRunner, RunSummary } from './index';
import { SourceWatcher } from './watch/source-watcher';
import { CdkProject, readCdkProject, synthesize } from './watch/synthesize';
import { plural } from './wording';

const USAGE = `usage: cdk-stream-triggered-table-local [options]

Runs a synthesized CDK app offline: every DynamoDB table (with its indexes, TTL and stream) on DynamoDB
Local, every S3 bucket on a local S3, the real code of the functions that event source mappings invoke
in their own Node.js processes (environment resolved, the AWS SDK at hand as on Lambda, every SDK call
kept on this machine), and each mapping's semantics (batching, filters, retries, bisection, partial
failures, failure destinations).

options:
  --cdk-out DIR          the cloud assembly to run (default: cdk.out; with --watch, cdk.json's "output")
  --env FN.VAR=VALUE     a value for a function's environment variable the runner cannot resolve offline
                         (an SSM parameter, a secret, a custom resource's attribute); FN is the function's
                         construct path (Stack/MyFunction) or Stack/LogicalId; repeat for more
  --skip-unsupported     run the rest of the app when a mapping's function is not Node.js
  --endpoint URL         use a DynamoDB Local you already run instead of starting the embedded one; a table
                         of the app's name that already exists there is refused (its data is left alone)
  --reset-tables         with --endpoint: delete and recreate such tables instead (their items are lost)
  --out DIR              the runner's folder: local S3 objects, queue and topic failure records
                         (default: next to the assembly, .local-runner/; emptied at start)
  --seed FILE            write these items once the app runs: a JSON object of table (construct path or its
                         last segment) to a list of items, e.g. {"Orders": [{"pk": "order#1"}]}
  --until-idle           exit once every record written so far is disposed of (default: run until Ctrl-C)
  --idle-timeout SECS    with --until-idle: give up after this long, print the ledger, exit 1 (default 60)
  --watch                synthesize the app (the "app" command of cdk.json in this folder) at start and
                         whenever its sources change, and swap in what changed: the tables keep their items,
                         new tables are created, a changed function gets new processes, a changed mapping
                         restarts where it was
  --help                 this text

Ctrl-C (SIGINT), SIGTERM or SIGHUP: the batches in flight get up to 2 s to finish (a second Ctrl-C stops
at once; what is still held is pending at stop, not lost), then the ledger is printed and the CLI exits
with its code. Before the app runs, a signal exits at once with 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP).

Exit codes: 0 nothing lost; 1 records lost, or not idle in time; 2 the app cannot start; 3 DynamoDB
stopped answering during the run.

The embedded DynamoDB Local needs a Java runtime (17 or newer recommended) and the npm package
amplify-dynamodb-simulator, which ships the official jar: npm install --save-dev amplify-dynamodb-simulator`;

/** How long Ctrl-C lets the batches in flight finish before the mappings stop. */
const STOP_GRACE_MS = 2_000;
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'cdk-out': { type: 'string' },
      'endpoint': { type: 'string' },
      'env': { type: 'string', multiple: true, default: [] },
      'skip-unsupported': { type: 'boolean', default: false },
      'out': { type: 'string' },
      'seed': { type: 'string' },
      'until-idle': { type: 'boolean', default: false },
      'idle-timeout': { type: 'string', default: '60' },
      'reset-tables': { type: 'boolean', default: false },
      'watch': { type: 'boolean', default: false },
      'help': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const idleTimeoutSeconds = Number(values['idle-timeout']);
  if (!(idleTimeoutSeconds > 0)) throw new Error(`--idle-timeout ${values['idle-timeout']}: expected a number of seconds above 0`);
  const environment: Record<string, string> = {};
  for (const assignment of values.env) {
    const match = /^(.+)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(assignment);
    if (!match) throw new Error(`--env ${assignment}: expected FUNCTION.VARIABLE=VALUE, e.g. --env MyStack/MyFunction.API_KEY=local-key`);
    environment[`${match[1]}.${match[2]}`] = match[3];
  }
  // The runner decides when the engines stop: after the ledger is read (every engine runs in a process group
  // of its own, so a terminal's Ctrl-C reaches this process only).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));

  const project = values.watch ? readCdkProject(process.cwd()) : undefined;
  const cdkOut = path.resolve(values['cdk-out'] ?? project?.output ?? 'cdk.out');
  // The runner's default, decided here: --watch must not watch the folder the runner writes to.
  const outDir = path.resolve(values.out ?? path.join(path.dirname(cdkOut), '.local-runner'));
  if (project) {
    console.log(`synthesizing: ${project.appCommand}`);
    const synth = await synthesize(project, cdkOut);
    if (!synth.ok) throw new Error(`the app did not synthesize:\n${synth.output.trimEnd()}`);
  }
  const runner = await LocalRunner.start({
    cdkOut,
    endpoint: values.endpoint,
    outDir,
    environment,
    skipUnsupportedFunctions: values['skip-unsupported'],
    resetTables: values['reset-tables'],
    onLogLine: (line, functionId) => console.log(`[${functionId}] ${line}`),
    onActivity: (activity, mappingId) => {
      const text = formatActivity(activity);
      if (text) console.log(`[${mappingId}] ${text}`);
    },
    onWarning: (message) => console.log(`warning: ${message}`),
    onEngineFailure: (message) => {
      engineFailed = true;
      console.error(`error: ${message}`);
      void finish(3);
    },
  });
  running = runner;
  console.log(`DynamoDB Local: ${runner.endpoint}`);
  console.log(`local S3: ${runner.s3Endpoint}`);
  // What `cdk-stream-triggered-table replay` is pointed at offline (AWS_ENDPOINT_URL_LAMBDA).
  console.log(`Lambda Invoke: ${runner.lambdaEndpoint}`);
  for (const t of runner.tables) {
    console.log(`  table ${t.tableName} (${t.id})${t.streamArn ? `, stream ${t.streamArn}` : ''}`);
    for (const m of t.mappings) console.log(`    mapping ${m.id} -> function ${m.function.functionName}`);
  }
  for (const b of runner.buckets) console.log(`  bucket ${b.bucketName} (${b.id})`);
  if (values.seed) await seed(runner, values.seed);

  if (values['until-idle']) {
    try {
      await runner.waitForIdle(idleTimeoutSeconds * 1000);
    } catch (e) {
      // Not idle in time: the ledger of what happened is still worth printing. (DynamoDB going away was said already.)
      if (!engineFailed) console.error(`error: ${(e as Error).message}`);
      await finish(engineFailed ? 3 : 1);
      return;
    }
    await finish();
    return;
  }
  if (project) {
    watcher = new SourceWatcher({
      directory: project.directory,
      ignore: [cdkOut, outDir],
      onChange: (files) => reloadAfter(project, cdkOut, files),
    });
    console.log('running: write to the tables; edit the app and it is reloaded; Ctrl-C to stop');
  } else {
    console.log('running: write to the tables, Ctrl-C to stop');
  }
}

let watcher: SourceWatcher | undefined;
/** The reload in progress, and whether more changes came in meanwhile (one more reload then covers them all). */
let reloading: Promise<void> | undefined;
/** Its swap in the runner, which a stop waits for (a synthesis it does not: its result is thrown away). */
let swapping: Promise<unknown> | undefined;
let reloadAgain: string[] | undefined;

/** Re-synthesizes the app and swaps in what changed; one reload at a time, the runner keeps running whatever fails. */
function reloadAfter(project: CdkProject, cdkOut: string, files: string[]): void {
  if (reloading) {
    reloadAgain = [...(reloadAgain ?? []), ...files];
    return;
  }
  reloading = (async () => {
    const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');
    console.log(`changed: ${shown}; synthesizing`);
    const synth = await synthesize(project, cdkOut);
    if (stopping) return;
    if (!synth.ok) {
      console.error(`error: the app did not synthesize; still running the version before:\n${synth.output.trimEnd()}`);
      return;
    }
    try {
      const swap = running!.reload(cdkOut);
      swapping = swap.catch(() => undefined);
      const changes = await swap;
      console.log(changes.length
        ? [`reloaded (synthesized in ${(synth.ms / 1000).toFixed(1)} s):`, ...changes.map((c) => `  ${c}`)].join('\n')
        : 'reloaded: nothing the runner runs changed');
    } catch (e) {
      console.error(`error: could not reload; still running the version before: ${(e as Error).message}`);
    }
  })().finally(() => {
    reloading = undefined;
    const more = reloadAgain;
    reloadAgain = undefined;
    if (more && !stopping) reloadAfter(project, cdkOut, [...new Set(more)].sort());
  });
}

/** A second signal while stopping skips the wait for the batches in flight. */
let signalled = false;
let skipGrace: () => void = () => {};

function onSignal(signal: keyof typeof SIGNAL_EXIT_CODES): void {
  if (!running) {
    // Nothing runs yet: nothing to report. The exit hooks of the engines being started stop them.
    process.exit(SIGNAL_EXIT_CODES[signal]);
  }
  if (signalled) {
    skipGrace();
    return;
  }
  signalled = true;
  void finish(undefined, STOP_GRACE_MS);
}

/** Writes the items of a seed file, table by table, in order. */
async function seed(runner: LocalRunner, file: string): Promise<void> {
  let items: Record<string, unknown>;
  try {
    items = JSON.parse(readFileSync(file, 'utf-8'));
  } catch (e) {
    throw new Error(`--seed ${file}: ${(e as Error).message}`);
  }
  if (typeof items !== 'object' || items === null || Array.isArray(items)) {
    throw new Error(`--seed ${file}: expected an object of table to a list of items`);
  }
  for (const [tableId, list] of Object.entries(items)) {
    if (!Array.isArray(list)) throw new Error(`--seed ${file}: ${tableId} is not a list of items`);
    const table = runner.table(tableId);
    for (const item of list) await table.put(item as Record<string, unknown>);
    console.log(`seeded ${plural(list.length, 'item')} into ${table.tableName}`);
  }
}

let stopping: Promise<void> | undefined;
let running: LocalRunner | undefined;
let engineFailed = false;

/**
 * Stops in this order: no new poll (after up to `graceMs` for the batches in flight to finish), the streams
 * read for the ledger while DynamoDB still runs, the ledger printed, then the functions and engines stopped.
 * Exits with `failureCode` if given, else with the ledger's code.
 */
function finish(failureCode?: number, graceMs = 0): Promise<void> {
  stopping ??= (async () => {
    const runner = running!;
    watcher?.close();
    await swapping;
    if (graceMs > 0 && !engineFailed) {
      console.log(`stopping: the batches in flight get up to ${graceMs / 1000} s to finish (Ctrl-C again to stop now)`);
      const skipped = new Promise<void>((resolve) => (skipGrace = resolve));
      await Promise.race([runner.waitForIdle(graceMs).catch(() => undefined), skipped]);
    }
    await runner.stopMappings();
    let summary: RunSummary | undefined;
    try {
      summary = await runner.summary();
      console.log(formatSummary(summary));
    } catch (e) {
      console.error(`error: the ledger could not be read: ${(e as Error).message}`);
    }
    await runner.stop();
    process.exit(failureCode ?? (engineFailed || !summary ? 3 : summary.lost === 0 ? 0 : 1));
  })();
  return stopping;
}

main().catch((e: Error) => {
  console.error(`error: ${e.message}`);
  if (/java/i.test(e.message)) console.error('(or pass --endpoint http://localhost:8000 to use a DynamoDB Local you run)');
  // Failing after the start (a bad seed file, say): the ledger is printed and nothing is left running.
  if (running) void finish(2);
  else process.exitCode = 2;
});
