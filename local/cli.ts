#!/usr/bin/env node
// The offline runner's command line: runs every stream-triggered table of a cloud assembly on
// DynamoDB Local, prints each handler's log lines as they arrive, and a summary when it stops.
import { readFileSync } from 'fs';
import { parseArgs } from 'util';
// Only through the public API (./index): the bundled CLI loads the bundled API instead of a second copy.
import { formatActivity, formatSummary, LocalRunner } from './index';

const USAGE = `usage: cdk-stream-triggered-table-local [options]

Runs a synthesized CDK app offline: every DynamoDB table (with its indexes, TTL and stream) on DynamoDB
Local, every S3 bucket on a local S3, the real code of the functions that event source mappings invoke
in their own Node.js processes (environment resolved, the AWS SDK at hand as on Lambda, every SDK call
kept on this machine), and each mapping's semantics (batching, filters, retries, bisection, partial
failures, failure destinations).

options:
  --cdk-out DIR          the cloud assembly to run (default: cdk.out)
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
  --help                 this text

Exit codes: 0 nothing lost; 1 records lost, or not idle in time; 2 the app cannot start; 3 DynamoDB
stopped answering during the run.

The embedded DynamoDB Local needs a Java runtime (17 or newer recommended) and the npm package
amplify-dynamodb-simulator, which ships the official jar: npm install --save-dev amplify-dynamodb-simulator`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'cdk-out': { type: 'string', default: 'cdk.out' },
      'endpoint': { type: 'string' },
      'env': { type: 'string', multiple: true, default: [] },
      'skip-unsupported': { type: 'boolean', default: false },
      'out': { type: 'string' },
      'seed': { type: 'string' },
      'until-idle': { type: 'boolean', default: false },
      'idle-timeout': { type: 'string', default: '60' },
      'reset-tables': { type: 'boolean', default: false },
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
  process.once('SIGINT', () => void (running ? finish() : process.exit(130)));
  process.once('SIGTERM', () => void (running ? finish() : process.exit(143)));
  const runner = await LocalRunner.start({
    cdkOut: values['cdk-out'],
    endpoint: values.endpoint,
    outDir: values.out,
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
  } else {
    console.log('running: write to the tables, Ctrl-C to stop');
  }
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
    console.log(`seeded ${list.length} item${list.length === 1 ? '' : 's'} into ${table.tableName}`);
  }
}

let stopping: Promise<void> | undefined;
let running: LocalRunner | undefined;
let engineFailed = false;

/** Prints the ledger, stops everything, and exits: with `failureCode` if given, else 1 when a record was lost. */
function finish(failureCode?: number): Promise<void> {
  stopping ??= (async () => {
    const runner = running!;
    const summary = await runner.summary();
    await runner.stop();
    console.log(formatSummary(summary));
    process.exit(failureCode ?? (summary.lost === 0 ? 0 : 1));
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
