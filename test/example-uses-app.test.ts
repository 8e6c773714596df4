import { rmSync } from 'fs';
import * as path from 'path';
import { synthExampleApp } from './helpers';
import { parsed, tempDir } from './local-runner-helpers';
import type { MappingActivity } from '../local/mapping/mapping-emulator';
import { LocalRunner } from '../local/runner';

// examples/uses-app, synthesized with the CDK CLI and run offline as a user would: the uses DynamoDB
// Streams are for, each checked by what it left in the app's tables and buckets.

const dir = tempDir('stt-uses-app-');
const cdkOut = path.join(dir, 'cdk.out');
const invocations: Array<{ mapping: string; event: unknown }> = [];
let runner: LocalRunner;

beforeAll(async () => {
  synthExampleApp(cdkOut, 'uses-app');
  runner = await LocalRunner.start({
    cdkOut,
    outDir: path.join(dir, 'run'),
    pollIntervalMs: 100,
    retryBackoff: { baseMs: 10, maxMs: 50 },
    onActivity: (a: MappingActivity, mapping) => {
      if (a.type === 'invoke' && a.result.status === 'ok') invocations.push({ mapping, event: a.event });
    },
  });
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await runner.waitForIdle();
  const summary = await runner.summary();
  expect(summary.lost).toBe(0);
  expect(summary.outOfOrderItems).toEqual([]);
});

test('aggregation: the summary table holds the count and average of each product, and its own change log shows each update', async () => {
  const reviews = runner.table('Reviews');
  await reviews.put({ productId: 'lamp', reviewId: 'r1', rating: 4 });
  await reviews.put({ productId: 'lamp', reviewId: 'r2', rating: 2 });
  await reviews.put({ productId: 'desk', reviewId: 'r3', rating: 3 });
  await runner.waitForIdle();
  await reviews.update({ productId: 'lamp', reviewId: 'r1' }, { rating: 5 });
  await reviews.delete({ productId: 'lamp', reviewId: 'r2' });
  await runner.waitForIdle();

  const summaries = runner.table('ProductSummaries');
  expect(await summaries.get({ productId: 'lamp', sk: 'summary' })).toEqual({
    productId: 'lamp', sk: 'summary', reviewCount: 1, ratingSum: 5, averageRating: 5,
  });
  expect(await summaries.get({ productId: 'desk', sk: 'summary' })).toMatchObject({ reviewCount: 1, ratingSum: 3, averageRating: 3 });
  // The chained table's bundled change log (its filter keeps only the summary items).
  const changes = parsed(summaries).filter((l) => l.message === 'change');
  expect(changes.map((c) => [c.eventName, c.keys.productId, c.newImage?.reviewCount])).toEqual([
    ['INSERT', 'lamp', 1], ['MODIFY', 'lamp', 2], ['INSERT', 'desk', 1], ['MODIFY', 'lamp', 2], ['MODIFY', 'lamp', 1],
  ]);
});

test('two consumers of the reviews\' stream: the aggregation and the change log each receive every change', async () => {
  const reviews = runner.table('Reviews');
  expect(reviews.mappings.map((m) => [m.id, m.function.id])).toEqual([
    ['ReviewsExample/Reviews', 'ReviewsExample/AggregateReviews'],
    ['ReviewsExample/Reviews/ChangeLog', 'ReviewsExample/Reviews/ChangeLog/Handler'],
  ]);
  const rows = (await runner.summary()).mappings.filter((m) => m.table === reviews.id);
  expect(rows.map((m) => m.id)).toEqual(['ReviewsExample/Reviews', 'ReviewsExample/Reviews/ChangeLog']);
  for (const row of rows) expect(row.summary).toMatchObject({ written: 5, delivered: 5, lost: 0 });
  const changes = parsed(runner.function('ReviewsExample/Reviews/ChangeLog/Handler')).filter((l) => l.message === 'change');
  expect(changes.map((c) => [c.eventName, c.keys.reviewId])).toEqual([
    ['INSERT', 'r1'], ['INSERT', 'r2'], ['INSERT', 'r3'], ['MODIFY', 'r1'], ['REMOVE', 'r2'],
  ]);
});

test('aggregation is idempotent: every batch delivered a second time changes nothing', async () => {
  const before = await runner.table('ProductSummaries').get({ productId: 'lamp', sk: 'summary' });
  const delivered = invocations.filter((i) => i.mapping === 'ReviewsExample/Reviews');
  expect(delivered.length).toBeGreaterThan(0);
  for (const { event } of delivered) {
    const result = await runner.function('AggregateReviews').invoke(event);
    expect(result).toMatchObject({ status: 'ok', payload: { batchItemFailures: [] } });
  }
  expect(await runner.table('ProductSummaries').get({ productId: 'lamp', sk: 'summary' })).toEqual(before);
  const replayed = parsed(runner.function('AggregateReviews')).filter((l) => l.message === 'review change already applied');
  expect(replayed).toHaveLength(5);
});

test('archive: the old image of every modified or deleted document is an object in the bucket of another stack', async () => {
  const documents = runner.table('Documents');
  await documents.put({ docId: 'doc-1', title: 'Draft' });
  await runner.waitForIdle();
  await documents.update({ docId: 'doc-1' }, { title: 'Final' });
  await runner.waitForIdle();
  await documents.delete({ docId: 'doc-1' });
  await runner.waitForIdle();

  const archive = runner.bucket('DocumentArchive');
  const keys = await archive.keys('documents/doc-1/');
  expect(keys).toHaveLength(2); // the INSERT is filtered out: it has no old image
  const titles = await Promise.all(keys.map(async (key) => JSON.parse(await archive.getText(key)).title.S));
  expect(titles.sort()).toEqual(['Draft', 'Final']);
  for (const key of keys) expect(key).toMatch(/^documents\/doc-1\/\d{10}-[0-9a-f]{32}\.json$/);
});

test('notification: SNS is not run offline, so the message fails at once with that reason and lands in the failure bucket', async () => {
  await runner.table('ChatRooms').put({ roomId: 'room-1', members: ['ada', 'grace'] });
  await runner.table('ChatMessages').put({ roomId: 'room-1', sentAt: '2026-12-01T10:00:00Z', sender: 'ada', text: 'hello' });
  await runner.waitForIdle();

  const errors = runner.function('NotifyMembers').logLines.filter((l) => l.includes('Invoke Error'));
  expect(errors).toHaveLength(3); // retryAttempts: 2
  expect(errors[0]).toContain('SNS Publish is not run offline');
  const [record] = await runner.table('ChatMessages').failureRecords();
  expect(record.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
  expect(JSON.parse(record.payload!).Records[0].dynamodb.Keys).toEqual({ roomId: { S: 'room-1' }, sentAt: { S: '2026-12-01T10:00:00Z' } });
});
