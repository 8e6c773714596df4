// `npm run demo`: synthesizes the example apps with the real CDK CLI and runs each offline with the local
// runner: every table on DynamoDB Local, every bucket on a local S3, the functions' real code. A scripted
// series of changes flows through the uses DynamoDB Streams are for (a change log, an aggregation into a
// summary table that is itself stream-triggered, an archive of old images in S3, a notification through
// SNS, which is not run offline), poison records land with their payload in the failure buckets, and a
// ledger ends each run: `lost: 0`.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { formatActivity, formatSummary } from '../local/report';
import { LocalMapping, LocalRunner } from '../local/runner';

const root = path.join(__dirname, '..');

function synth(app: string): string {
  const appDir = path.join(root, 'examples', app);
  const cdkOut = path.join(appDir, 'cdk.out');
  console.log(`$ cdk synth (examples/${app})`);
  const started = Date.now();
  execFileSync(path.join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', cdkOut], {
    cwd: appDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, JSII_DEPRECATED: 'quiet' },
  });
  console.log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s into ${path.relative(root, cdkOut)}\n`);
  return cdkOut;
}

/** The last two segments of a construct path: enough to tell the functions apart. */
const short = (id: string) => id.split('/').slice(-2).join('/');

function describe(runner: LocalRunner): string {
  const lines: string[] = [];
  for (const t of runner.tables) {
    const key = `${t.definition.partitionKey.name}${t.definition.sortKey ? ` + ${t.definition.sortKey.name}` : ''}`;
    lines.push(`table ${t.tableName} (${key}; stream ${t.definition.streamViewType ?? 'none'}${t.definition.timeToLiveAttribute ? `; TTL ${t.definition.timeToLiveAttribute}` : ''})`);
    for (const m of t.mappings) lines.push(`  -> ${describeMapping(m)}`);
  }
  for (const b of runner.buckets) lines.push(`bucket ${b.bucketName}`);
  for (const s of runner.skipped) lines.push(`not run: ${s.id} (${s.reason})`);
  return lines.join('\n');
}

function describeMapping(m: LocalMapping): string {
  const d = m.definition.mapping;
  const fn = m.function.definition;
  const env = Object.entries(fn.environment).filter(([k]) => !k.startsWith('POWERTOOLS_') && !k.startsWith('CHANGE_LOG_'));
  return [
    `${m.function.functionName} (${fn.runtime}, ${fn.memorySize} MiB, ${fn.timeoutSeconds} s)`,
    `     batch ${d.batchSize}, retries ${d.maximumRetryAttempts}, bisect ${d.bisectBatchOnFunctionError}, partial ${d.reportBatchItemFailures}`
      + `${d.filterPatterns.length ? `, filter ${d.filterPatterns.map((f) => JSON.stringify(f)).join(' | ')}` : ''}`
      + `${d.onFailure ? `, failures to ${d.onFailure.kind.toUpperCase()} ${d.onFailure.bucketName ?? d.onFailure.logicalId}` : ''}`,
    ...(env.length ? [`     environment ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
  ].join('\n');
}

const step = (text: string) => console.log(`\n--- ${text}`);

async function withRunner(app: string, scenario: (runner: LocalRunner) => Promise<void>): Promise<boolean> {
  const cdkOut = synth(app);
  step(`starting the local runner on examples/${app} (DynamoDB Local, a local S3, one Node.js process per function)`);
  const runner = await LocalRunner.start({
    cdkOut,
    outDir: path.join(root, 'examples', app, '.local-runner'),
    onLogLine: (line, functionId) => console.log(`[${short(functionId)}] ${line}`),
    onActivity: (activity, mappingId) => {
      const text = formatActivity(activity);
      if (text) console.log(`[${short(mappingId)} mapping] ${text}`);
    },
    onWarning: (message) => console.log(`warning: ${message}`),
  });
  const stop = () => void runner.stop().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    console.log(`DynamoDB Local at ${runner.endpoint}, local S3 at ${runner.s3Endpoint}\n`);
    console.log(describe(runner));
    await scenario(runner);
    const summary = await runner.summary();
    console.log(formatSummary(summary));
    return summary.lost === 0 && summary.outOfOrderItems.length === 0;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await runner.stop();
  }
}

async function printFailureRecords(mapping: LocalMapping, keyOf: (record: any) => string): Promise<void> {
  for (const record of await mapping.failureRecords()) {
    const payload = JSON.parse(record.payload ?? '{"Records":[]}');
    console.log(`${record.requestContext.condition} after ${record.requestContext.approximateInvokeCount} invocations: `
      + `${record.DDBStreamBatchInfo.batchSize} record(s) [${payload.Records.map(keyOf).join(', ')}], `
      + `payload kept (${Buffer.byteLength(record.payload ?? '')} bytes)`);
  }
  console.log(`in ${mapping.failureDestination?.location}`);
}

async function orders(runner: LocalRunner): Promise<void> {
  const ordersTable = runner.table('Orders');
  const payments = runner.table('Payments');

  step('Orders (the change log): insert, update one attribute, delete (email is redacted in the log)');
  await ordersTable.put({ pk: 'order#1', status: 'NEW', email: 'ada@example.com', total: 19.99, lines: [{ sku: 'A-1', qty: 2 }] });
  await runner.waitForIdle();
  await ordersTable.update({ pk: 'order#1' }, { status: 'SHIPPED' });
  await runner.waitForIdle();
  await ordersTable.delete({ pk: 'order#1' });
  await runner.waitForIdle();

  step('Orders: an item whose TTL has passed (DynamoDB deletes it; the change line says ttlDelete: true)');
  await ordersTable.put({ pk: 'order#2', status: 'ABANDONED', expiresAt: Math.floor(Date.now() / 1000) - 60 });
  await waitFor(() => ordersTable.logLines.some((l) => l.includes('"ttlDelete":true')), 30_000, 'the TTL delete');
  await runner.waitForIdle();

  step('Orders: a scratch item (tmp#...) that the filter drops');
  await ordersTable.put({ pk: 'tmp#scratch', status: 'DRAFT' });
  await runner.waitForIdle();

  step('Payments (own function): a good payment, a poison one (negative amount), another good one');
  for (const [paymentId, amount] of [['pay#1', 10], ['pay#2', -5], ['pay#3', 20]] as const) {
    await payments.put({ paymentId, amount });
    await runner.waitForIdle();
  }

  step('the Payments failure bucket (on the local S3)');
  await printFailureRecords(payments.mappings[0], (r) => r.dynamodb.Keys.paymentId.S);
}

async function uses(runner: LocalRunner): Promise<void> {
  step('Reviews (aggregation): two reviews of a product, one edited, one deleted');
  const reviews = runner.table('Reviews');
  await reviews.put({ productId: 'lamp', reviewId: 'r1', rating: 4, text: 'bright' });
  await reviews.put({ productId: 'lamp', reviewId: 'r2', rating: 2, text: 'flickers' });
  await runner.waitForIdle();
  await reviews.update({ productId: 'lamp', reviewId: 'r1' }, { rating: 5 });
  await reviews.delete({ productId: 'lamp', reviewId: 'r2' });
  await runner.waitForIdle();
  const summaryTable = runner.table('ProductSummaries');
  const summary = await summaryTable.get({ productId: 'lamp', sk: 'summary' });
  console.log(`ProductSummaries holds ${JSON.stringify(summary)} (expected 1 review, average 5)`);
  const chained = summaryTable.logLines.filter((l) => l.includes('"message":"change"')).length;
  console.log(`the ProductSummaries change log (a chained stream-triggered table) logged ${chained} summary changes`);

  step('Documents (archive): a document written, edited, deleted; its old images go to S3');
  const documents = runner.table('Documents');
  await documents.put({ docId: 'doc-1', title: 'Draft', body: 'first words' });
  await runner.waitForIdle();
  await documents.update({ docId: 'doc-1' }, { title: 'Final' });
  await runner.waitForIdle();
  await documents.delete({ docId: 'doc-1' });
  await runner.waitForIdle();
  const archive = runner.bucket('DocumentArchive');
  for (const key of await archive.keys('documents/')) {
    const image = JSON.parse(await archive.getText(key));
    console.log(`s3://${archive.bucketName}/${key}: title ${JSON.stringify(image.title?.S ?? image.title)}`);
  }

  step('ChatMessages (notification): a message to a room of three; SNS is not run offline, so it fails and lands in the failure bucket');
  await runner.table('ChatRooms').put({ roomId: 'room-1', members: ['ada', 'grace', 'linus'] });
  await runner.table('ChatMessages').put({ roomId: 'room-1', sentAt: new Date().toISOString(), sender: 'ada', text: 'standup in 5' });
  await runner.waitForIdle();
  await printFailureRecords(runner.table('ChatMessages').mappings[0], (r) => `${r.dynamodb.Keys.roomId.S} ${r.dynamodb.Keys.sentAt.S}`);
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(): Promise<number> {
  const ordersOk = await withRunner('orders-app', orders);
  console.log('');
  const usesOk = await withRunner('uses-app', uses);
  return ordersOk && usesOk ? 0 : 1;
}

run().then((code) => process.exit(code), (e) => {
  console.error(`demo failed: ${e.stack ?? e}`);
  process.exit(1);
});
