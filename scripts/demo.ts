// `npm run demo`: synthesizes the example app with the real CDK CLI, prints what it creates, then runs
// it offline on DynamoDB Local with the local runner: a scripted series of changes flows through the real
// handlers, poison payments land (with their payload) in the local failure bucket, and a summary ends it.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { readAssembly, StreamTriggeredTableDefinition } from '../local/assembly/read-assembly';
import { formatActivity, formatSummary } from '../local/report';
import { LocalRunner } from '../local/runner';

const root = path.join(__dirname, '..');
const appDir = path.join(root, 'examples', 'orders-app');
const cdkOut = path.join(appDir, 'cdk.out');
const outDir = path.join(appDir, '.local-runner');

function synth(): void {
  console.log('$ cdk synth (examples/orders-app)');
  const started = Date.now();
  execFileSync(path.join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', cdkOut], {
    cwd: appDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, JSII_DEPRECATED: 'quiet' },
  });
  console.log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s into ${path.relative(root, cdkOut)}\n`);
}

function describe(t: StreamTriggeredTableDefinition): string {
  const m = t.mapping;
  const key = (k?: { name: string; type: string }) => (k ? `${k.name} (${k.type})` : '-');
  const code = t.handler.assetPath ? path.relative(root, t.handler.assetPath) : t.handler.inlineCode ? 'inline' : '-';
  const rows: Array<[string, string]> = [
    ['table', `${t.table.logicalId}: partition key ${key(t.table.partitionKey)}, sort key ${key(t.table.sortKey)}`],
    ['stream', t.table.streamViewType],
    ['TTL attribute', t.table.timeToLiveAttribute ?? '-'],
    ['handler', `${t.handler.logicalId}: ${t.handler.runtime}, ${t.handler.memorySize} MiB, ${t.handler.timeoutSeconds} s, ${t.handler.handler} in ${code}`],
    ['environment', Object.entries(t.handler.environment).map(([k, v]) => `${k}=${v}`).join(' ') || '-'],
    ['mapping', `start ${m.startingPosition}, batch ${m.batchSize}, window ${m.maxBatchingWindowSeconds} s, parallel ${m.parallelizationFactor}`],
    ['failures', `retries ${m.maximumRetryAttempts}, max record age ${m.maximumRecordAgeSeconds} s, bisect ${m.bisectBatchOnFunctionError}, `
      + `partial batch responses ${m.reportBatchItemFailures}`],
    ['filters', m.filterPatterns.length ? m.filterPatterns.map((f) => JSON.stringify(f)).join(' | ') : 'none (every record)'],
    ['failure destination', m.onFailure ? `${m.onFailure.kind.toUpperCase()} ${m.onFailure.logicalId}` : 'none'],
    ['alarms', `${t.alarmMetrics.length}: ${t.alarmMetrics.join(', ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`${t.id}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

const step = (text: string) => console.log(`\n--- ${text}`);

async function run(): Promise<number> {
  synth();
  const tables = readAssembly(cdkOut);
  console.log(`${tables.length} stream-triggered tables:\n`);
  console.log(tables.map(describe).join('\n\n'));

  step('starting the local runner (DynamoDB Local, one Node.js process per function)');
  const runner = await LocalRunner.start({
    cdkOut,
    outDir,
    onLogLine: (line, tableId) => console.log(`[${tableId.split('/').pop()}] ${line}`),
    onActivity: (activity, tableId) => {
      const text = formatActivity(activity);
      if (text) console.log(`[${tableId.split('/').pop()} mapping] ${text}`);
    },
  });
  const stop = () => void runner.stop().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    console.log(`DynamoDB Local at ${runner.endpoint}`);
    const orders = runner.table('Orders');
    const payments = runner.table('Payments');

    step('Orders: insert, update one attribute, delete (email is redacted in the log)');
    await orders.put({ pk: 'order#1', status: 'NEW', email: 'ada@example.com', total: 19.99, lines: [{ sku: 'A-1', qty: 2 }] });
    await runner.waitForIdle();
    await orders.update({ pk: 'order#1' }, { status: 'SHIPPED' });
    await runner.waitForIdle();
    await orders.delete({ pk: 'order#1' });
    await runner.waitForIdle();

    step('Orders: an item whose TTL has passed (DynamoDB deletes it; the change line says ttlDelete: true)');
    await orders.put({ pk: 'order#2', status: 'ABANDONED', expiresAt: Math.floor(Date.now() / 1000) - 60 });
    await waitFor(() => orders.logLines.some((l) => l.includes('"ttlDelete":true')), 30_000, 'the TTL delete');
    await runner.waitForIdle();

    step('Orders: a scratch item (tmp#...) that the filter drops');
    await orders.put({ pk: 'tmp#scratch', status: 'DRAFT' });
    await runner.waitForIdle();

    step('Payments (own function): a good payment, a poison one (negative amount), another good one');
    await payments.put({ paymentId: 'pay#1', amount: 10 });
    await runner.waitForIdle();
    await payments.put({ paymentId: 'pay#2', amount: -5 });
    await runner.waitForIdle();
    await payments.put({ paymentId: 'pay#3', amount: 20 });
    await runner.waitForIdle();

    step('the local failure bucket');
    for (const record of await payments.failureRecords()) {
      const payload = JSON.parse(record.payload ?? '{"Records":[]}');
      const ids = payload.Records.map((r: any) => r.dynamodb.Keys.paymentId.S).join(', ');
      console.log(`${record.requestContext.condition} after ${record.requestContext.approximateInvokeCount} invocations: `
        + `${record.DDBStreamBatchInfo.batchSize} record(s) [${ids}], payload kept (${Buffer.byteLength(record.payload ?? '')} bytes)`);
    }
    console.log(`written under ${path.relative(root, payments.failureDestination!.location)}`);

    const summary = await runner.summary();
    console.log(formatSummary(summary));
    return summary.lost === 0 && summary.outOfOrderItems.length === 0 ? 0 : 1;
  } finally {
    await runner.stop();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

run().then((code) => process.exit(code), (e) => {
  console.error(`demo failed: ${e.stack ?? e}`);
  process.exit(1);
});
