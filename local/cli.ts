#!/usr/bin/env node
// The offline runner's command line: runs every stream-triggered table of a cloud assembly on
// DynamoDB Local, prints each handler's log lines as they arrive, and a summary when it stops.
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
  --endpoint URL         use a DynamoDB Local you already run instead of starting the embedded one
  --out DIR              the runner's folder: local S3 objects, queue and topic failure records
                         (default: next to the assembly, .local-runner/; emptied at start)
  --until-idle           exit once every record written so far is disposed of (default: run until Ctrl-C)
  --help                 this text

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
      'until-idle': { type: 'boolean', default: false },
      'help': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const environment: Record<string, string> = {};
  for (const assignment of values.env) {
    const match = /^(.+)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(assignment);
    if (!match) throw new Error(`--env ${assignment}: expected FUNCTION.VARIABLE=VALUE, e.g. --env MyStack/MyFunction.API_KEY=local-key`);
    environment[`${match[1]}.${match[2]}`] = match[3];
  }
  const runner = await LocalRunner.start({
    cdkOut: values['cdk-out'],
    endpoint: values.endpoint,
    outDir: values.out,
    environment,
    skipUnsupportedFunctions: values['skip-unsupported'],
    onLogLine: (line, functionId) => console.log(`[${functionId}] ${line}`),
    onActivity: (activity, mappingId) => {
      const text = formatActivity(activity);
      if (text) console.log(`[${mappingId}] ${text}`);
    },
    onWarning: (message) => console.log(`warning: ${message}`),
  });
  console.log(`DynamoDB Local: ${runner.endpoint}`);
  console.log(`local S3: ${runner.s3Endpoint}`);
  for (const t of runner.tables) {
    console.log(`  table ${t.tableName} (${t.id})${t.streamArn ? `, stream ${t.streamArn}` : ''}`);
    for (const m of t.mappings) console.log(`    mapping ${m.id} -> function ${m.function.functionName}`);
  }
  for (const b of runner.buckets) console.log(`  bucket ${b.bucketName} (${b.id})`);

  let stopping = false;
  const finish = async () => {
    if (stopping) return;
    stopping = true;
    const summary = await runner.summary();
    await runner.stop();
    console.log(formatSummary(summary));
    process.exitCode = summary.lost === 0 ? 0 : 1;
  };
  process.once('SIGINT', () => void finish());
  process.once('SIGTERM', () => void finish());
  if (values['until-idle']) {
    await runner.waitForIdle();
    await finish();
  } else {
    console.log('running: write to the tables, Ctrl-C to stop');
  }
}

main().catch((e: Error) => {
  console.error(`error: ${e.message}`);
  if (/java/i.test(e.message)) console.error('(or pass --endpoint http://localhost:8000 to use a DynamoDB Local you run)');
  process.exitCode = 2;
});

