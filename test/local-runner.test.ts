import { randomUUID } from 'crypto';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { IteratorPosition, StreamSource } from '../local/engine/stream-source';
import type { MappingActivity } from '../local/mapping/mapping-emulator';
import { LocalRunner } from '../local/runner';
import {
  AttributeCondition, ChangeEventName, Duration, StreamFilter, synthRunnerApp,
} from './fixtures/runner-app';
import { dispositions, expectNothingLost, invocations, parsed, seqOf, tempDir } from './local-runner-helpers';

// Each test checks one mapping behaviour against the real DynamoDB Local, the real function processes and
// a ledger of every record in the streams: each record ends delivered, filtered, or in a failure record.

const dir = tempDir('stt-runner-');
const cdkOut = path.join(dir, 'cdk.out');
const runId = randomUUID();
const clockOffset = { ms: 0 };
const activity: Array<{ table: string; a: MappingActivity }> = [];
let expireNextRead = false;
let runner: LocalRunner;

/** Wraps the Streams API so a test can make the Expiring table's next GetRecords find its iterator expired. */
function faultInjecting(source: StreamSource): StreamSource {
  const streamOf = new Map<string, string>();
  return {
    describeStream: (arn) => source.describeStream(arn),
    getShardIterator: async (arn: string, shardId: string, position: IteratorPosition) => {
      const it = await source.getShardIterator(arn, shardId, position);
      streamOf.set(it, arn);
      return it;
    },
    getRecords: async (iterator, limit) => {
      const arn = streamOf.get(iterator);
      if (expireNextRead && arn?.includes('Expiring')) {
        expireNextRead = false;
        throw Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
      }
      const page = await source.getRecords(iterator, limit);
      if (page.nextShardIterator && arn) streamOf.set(page.nextShardIterator, arn);
      return page;
    },
  };
}

beforeAll(async () => {
  synthRunnerApp(cdkOut, runId, {
    ThrowRetry: { bisectBatchOnError: false, retryAttempts: 2, maxBatchingWindow: Duration.seconds(1) },
    Bisect: { retryAttempts: 1, maxBatchingWindow: Duration.seconds(1) },
    // A window wide enough that five puts in a row land in one batch, even on a busy machine.
    Partial: { maxBatchingWindow: Duration.seconds(3) },
    Responses: { retryAttempts: 1, bisectBatchOnError: false },
    Timeout: { retryAttempts: 1, bisectBatchOnError: false, timeoutSeconds: 1 },
    RecordAge: { maxRecordAge: Duration.hours(1) },
    Window: { maxBatchingWindow: Duration.seconds(2) },
    Filters: {
      filters: [StreamFilter.eventName([ChangeEventName.INSERT]).and(StreamFilter.newImage('status', AttributeCondition.stringEquals(['KEEP'])))],
    },
    Traps: {},
    Tumbling: { tumblingWindow: Duration.seconds(3) },
    Expiring: {},
  });
  // The traps cannot pass the construct's synth-time checks: write them into the template, as a hand-edited
  // template would have them, to prove that the runner (like AWS) never matches them.
  const templateFile = path.join(cdkOut, 'RunnerTest.template.json');
  const template = JSON.parse(readFileSync(templateFile, 'utf-8'));
  const trapMapping = Object.values<any>(template.Resources)
    .find((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && String(r.Metadata?.['aws:cdk:path']).startsWith('RunnerTest/Traps/'));
  trapMapping.Properties.FilterCriteria = {
    Filters: [
      { dynamodb: { NewImage: { status: ['KEEP'] } } }, // type key left out
      { dynamodb: { NewImage: { qty: { N: [{ numeric: ['>', 0] }] } } } }, // numeric on an N
      { dynamodb: { NewImage: { status: [{ exists: true }] } } }, // exists on a non-leaf
    ].map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
  };
  writeFileSync(templateFile, JSON.stringify(template));
  runner = await LocalRunner.start({
    cdkOut,
    outDir: path.join(dir, 'destinations'),
    clock: { now: () => Date.now() + clockOffset.ms },
    pollIntervalMs: 100,
    retryBackoff: { baseMs: 20, maxMs: 100 },
    wrapStreamSource: faultInjecting,
    onActivity: (a, table) => activity.push({ table, a }),
  });
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await runner.waitForIdle();
  await expectNothingLost(runner);
});

test('a thrown error with a retry limit: exactly 1 + retries invocations, then a failure record of the whole batch', async () => {
  const t = runner.table('ThrowRetry');
  await Promise.all([t.put({ pk: 't1' }), t.put({ pk: 't2', mode: 'throw' }), t.put({ pk: 't3' })]);
  await runner.waitForIdle();

  const calls = invocations(t);
  expect(calls.map((c) => c.size)).toEqual([3, 3, 3]);
  const seqs = calls[0].seqs;
  const [record] = await t.failureRecords();
  expect(await t.failureRecords()).toHaveLength(1);
  expect(record.requestContext).toEqual({
    requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    functionArn: expect.stringMatching(/^arn:aws:lambda:eu-west-1:123456789012:function:RunnerTest-ThrowRetryFunction/),
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 3,
  });
  expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  expect(record.DDBStreamBatchInfo).toMatchObject({
    startSequenceNumber: seqs[0],
    endSequenceNumber: seqs[2],
    batchSize: 3,
    streamArn: t.streamArn,
    approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
  });
  expect(JSON.parse(record.payload!).Records.map((r: any) => r.dynamodb.SequenceNumber)).toEqual(seqs);
  expect(dispositions(runner, t).map((d) => d.failedWith)).toEqual(['RetryAttemptsExhausted', 'RetryAttemptsExhausted', 'RetryAttemptsExhausted']);
});

test('bisect on error: the failure record covers only the bad record, the others are delivered', async () => {
  const t = runner.table('Bisect');
  for (const [pk, mode] of [['b1'], ['b2'], ['b3', 'throw'], ['b4']]) await t.put({ pk, mode });
  await runner.waitForIdle();

  expect(invocations(t).map((c) => c.keys)).toEqual([
    ['b1', 'b2', 'b3', 'b4'], ['b1', 'b2'], ['b3', 'b4'], ['b3'], ['b3'], ['b4'],
  ]);
  const records = await t.failureRecords();
  expect(records).toHaveLength(1);
  expect(records[0].DDBStreamBatchInfo).toMatchObject({ batchSize: 1, startSequenceNumber: seqOf(t, 'b3'), endSequenceNumber: seqOf(t, 'b3') });
  expect(records[0].requestContext.approximateInvokeCount).toBe(2); // bisecting does not use up retries
  const delivered = dispositions(runner, t).filter((d) => d.deliveries > 0).map((d) => d.sequenceNumber);
  expect(delivered).toEqual(['b1', 'b2', 'b4'].map((pk) => seqOf(t, pk)));
});

test('partial failure: the records before the failed one are not resent, the ones after it are', async () => {
  const t = runner.table('Partial');
  for (const [pk, mode] of [['p1'], ['p2'], ['p3', 'fail-once'], ['p4'], ['p5']]) await t.put({ pk, mode });
  await runner.waitForIdle();

  expect(invocations(t).map((c) => c.keys)).toEqual([['p1', 'p2', 'p3', 'p4', 'p5'], ['p3', 'p4', 'p5']]);
  const byPk = Object.fromEntries(['p1', 'p2', 'p3', 'p4', 'p5'].map((pk) => [pk, runner.ledger.get(t.mappings[0].ledgerKey, seqOf(t, pk))!]));
  expect(Object.values(byPk).map((d) => d.invocations)).toEqual([1, 1, 2, 2, 2]);
  expect(Object.values(byPk).map((d) => d.deliveries)).toEqual([1, 1, 1, 1, 1]);
  expect(await t.failureRecords()).toEqual([]);
});

describe('responses', () => {
  test.each([
    ['an empty itemIdentifier', '{"batchItemFailures":[{"itemIdentifier":""}]}'],
    ['a null itemIdentifier', '{"batchItemFailures":[{"itemIdentifier":null}]}'],
    ['an itemIdentifier not in the batch', '{"batchItemFailures":[{"itemIdentifier":"1"}]}'],
    ['a wrong key name', '{"batchItemFailures":[{"itemId":"$SEQ"}]}'],
  ])('malformed partial response (%s) fails the whole batch until the retry limit', async (name, respond) => {
    const t = runner.table('Responses');
    const before = (await t.failureRecords()).length;
    const calls = invocations(t).length;
    const pk = `malformed ${name}`;
    await t.put({ pk, respond });
    await runner.waitForIdle();
    expect(invocations(t).slice(calls).map((c) => c.keys)).toEqual([[pk], [pk]]);
    const records = await t.failureRecords();
    expect(records).toHaveLength(before + 1);
    expect(records[before].DDBStreamBatchInfo.startSequenceNumber).toBe(seqOf(t, pk));
    expect(records[before].responseContext.functionError).toBeUndefined();
  });

  test.each([
    ['null', 'null'], ['{}', '{}'], ['[]', '[]'],
    ['batchItemFailures []', '{"batchItemFailures":[]}'], ['batchItemFailures null', '{"batchItemFailures":null}'],
  ])('success shape %s checkpoints the batch', async (name, respond) => {
    const t = runner.table('Responses');
    const calls = invocations(t).length;
    const pk = `success ${name}`;
    await t.put({ pk, respond });
    await runner.waitForIdle();
    expect(invocations(t).slice(calls).map((c) => c.keys)).toEqual([[pk]]);
    expect(runner.ledger.get(t.mappings[0].ledgerKey, seqOf(t, pk))).toMatchObject({ deliveries: 1, invocations: 1 });
  });
});

test('a handler timeout is a function error: retried, then sent to the failure destination', async () => {
  const t = runner.table('Timeout');
  await t.put({ pk: 'slow', mode: 'sleep', ms: 3000 });
  await runner.waitForIdle();
  const timeouts = activity.filter(({ table, a }) => table.endsWith('/Timeout') && a.type === 'invoke' && a.result.errorType === 'Sandbox.Timedout');
  expect(timeouts).toHaveLength(2);
  expect((timeouts[0].a as any).result.errorMessage).toBe('Task timed out after 1.00 seconds');
  const [record] = await t.failureRecords();
  expect(record.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
  expect(record.responseContext.functionError).toBe('Unhandled');
});

test('the record-age limit sends old records to the failure destination without invoking (fake clock)', async () => {
  const t = runner.table('RecordAge');
  clockOffset.ms = Duration.hours(2).toMilliseconds();
  try {
    await t.put({ pk: 'old' });
    await runner.waitForIdle();
  } finally {
    clockOffset.ms = 0;
  }
  expect(invocations(t)).toEqual([]);
  const [record] = await t.failureRecords();
  expect(record.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
  expect(JSON.parse(record.payload!).Records[0].dynamodb.Keys).toEqual({ pk: { S: 'old' } });
});

test('the batching window gathers records written over time into one invocation', async () => {
  const t = runner.table('Window');
  for (let i = 1; i <= 5; i++) {
    await t.put({ pk: `w${i}` });
    await new Promise((r) => setTimeout(r, 150));
  }
  await runner.waitForIdle();
  expect(invocations(t).map((c) => c.keys)).toEqual([['w1', 'w2', 'w3', 'w4', 'w5']]);
});

test('filters: non-matching records are dropped and checkpointed past, never delivered', async () => {
  const t = runner.table('Filters');
  await t.put({ pk: 'keep', status: 'KEEP' });
  await t.put({ pk: 'drop', status: 'DROP' });
  await t.update({ pk: 'keep' }, { status: 'KEEP', note: 'changed' }); // a MODIFY: filtered out
  await runner.waitForIdle();
  expect(invocations(t).flatMap((c) => c.keys)).toEqual(['keep']);
  const d = dispositions(runner, t);
  expect(d.map((x) => [x.eventName, x.deliveries, x.filtered])).toEqual([['INSERT', 1, false], ['INSERT', 0, true], ['MODIFY', 0, true]]);
});

test('filter traps match nothing: a missing type key, numeric on an N, exists on a non-leaf', async () => {
  const t = runner.table('Traps');
  await t.put({ pk: 'trap', status: 'KEEP', qty: 5 });
  await runner.waitForIdle();
  expect(invocations(t)).toEqual([]);
  expect(dispositions(runner, t).map((d) => d.filtered)).toEqual([true]);
});

test('a tumbling window carries state between invocations and ends with a final invocation', async () => {
  const t = runner.table('Tumbling');
  for (let i = 1; i <= 4; i++) await t.put({ pk: `tw${i}` });
  await runner.waitForIdle(30_000);
  const finals = parsed(t).filter((l) => l.msg === 'window-final');
  expect(finals.reduce((n, f) => n + f.count, 0)).toBe(4);
  for (const inv of invocations(t)) {
    expect(inv.window).toEqual({ start: expect.any(String), end: expect.any(String) });
    expect(Date.parse(inv.window!.end) - Date.parse(inv.window!.start)).toBe(3000);
  }
  expect(invocations(t).filter((c) => c.isFinalInvokeForWindow).every((c) => c.size === 0)).toBe(true);
});

test('an iterator that expires mid-run is re-taken after the last record read: no gap, no duplicate', async () => {
  const t = runner.table('Expiring');
  for (let i = 1; i <= 3; i++) await t.put({ pk: `e${i}` });
  await runner.waitForIdle();
  expireNextRead = true;
  // The next poll meets the expired iterator (an idle reader polls less often: up to its idle interval).
  for (const until = Date.now() + 5000; expireNextRead && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
  expect(expireNextRead).toBe(false);
  for (let i = 4; i <= 6; i++) await t.put({ pk: `e${i}` });
  await runner.waitForIdle();
  expect(activity.some(({ table, a }) => table.endsWith('/Expiring') && a.type === 'iterator-recovered')).toBe(true);
  expect(invocations(t).flatMap((c) => c.keys)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  expect(dispositions(runner, t).map((d) => d.deliveries)).toEqual([1, 1, 1, 1, 1, 1]);
});
