#!/usr/bin/env node
// The offline runner's command line: runs every stream-triggered table of a cloud assembly on
// DynamoDB Local, prints each handler's log lines as they arrive, and a summary when it stops.
import { parseArgs } from 'util';
// Only through the public API (./index): the bundled CLI loads the bundled API instead of a second copy.
import { formatActivity, formatSummary, LocalRunner } from './index';

const USAGE = `usage: cdk-stream-triggered-table-local [options]

Runs the stream-triggered tables of a synthesized CDK app offline: the tables and streams on DynamoDB
Local, the real handler code in its own Node.js processes, and the event source mapping's semantics
(batching, filters, retries, bisection, partial failures, failure destinations).

options:
  --cdk-out DIR     the cloud assembly to run (default: cdk.out)
  --endpoint URL    use a DynamoDB Local you already run instead of starting the embedded one
  --out DIR         where failure destinations are written (default: next to the assembly, .local-runner/)
  --until-idle      exit once every record written so far is disposed of (default: run until Ctrl-C)
  --help            this text

The embedded DynamoDB Local needs a Java runtime (17 or newer recommended) and the npm package
amplify-dynamodb-simulator, which ships the official jar: npm install --save-dev amplify-dynamodb-simulator`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'cdk-out': { type: 'string', default: 'cdk.out' },
      'endpoint': { type: 'string' },
      'out': { type: 'string' },
      'until-idle': { type: 'boolean', default: false },
      'help': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const runner = await LocalRunner.start({
    cdkOut: values['cdk-out'],
    endpoint: values.endpoint,
    outDir: values.out,
    onLogLine: (line, tableId) => console.log(`[${tableId}] ${line}`),
    onActivity: (activity, tableId) => {
      const text = formatActivity(activity);
      if (text) console.log(`[${tableId}] ${text}`);
    },
  });
  console.log(`DynamoDB Local: ${runner.endpoint}`);
  for (const t of runner.tables) console.log(`  ${t.id}: table ${t.tableName}, stream ${t.streamArn}`);

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

