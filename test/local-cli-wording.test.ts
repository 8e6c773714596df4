import type { InvokeResult } from '../local/lambda/function-host';
import type { LedgerSummary } from '../local/ledger/ledger';
import type { MappingActivity } from '../local/mapping/mapping-emulator';
import { formatActivity, formatSummary } from '../local/report';
import type { RunSummary } from '../local/runner';

// What the CLI prints, word for word: one record is "1 record", any other count is plural, and a batch is
// "a 5-record batch" (the adjective stays singular), "an 8-record batch" before a vowel sound.

const failed: InvokeResult = { status: 'error', errorType: 'Error', errorMessage: 'boom', durationMs: 3, requestId: 'r', coldStart: false };

test.each<[string, MappingActivity, string | undefined]>([
  ['a failed invocation of one record', { type: 'invoke', shardId: 's', records: 1, result: failed, event: {} },
    'invocation of a 1-record batch failed: Error: boom'],
  ['a failed invocation of five', { type: 'invoke', shardId: 's', records: 5, result: failed, event: {} },
    'invocation of a 5-record batch failed: Error: boom'],
  ['a successful invocation is routine', { type: 'invoke', shardId: 's', records: 5, result: { ...failed, status: 'ok' }, event: {} }, undefined],
  ['retry 6 of five records', { type: 'retry', shardId: 'shard-1', attempt: 6, reason: 'Error: boom', records: 5 },
    'retry 6 of a 5-record batch on shard shard-1: Error: boom'],
  ['retry 1 of one record', { type: 'retry', shardId: 'shard-1', attempt: 1, reason: 'Error: boom', records: 1 },
    'retry 1 of a 1-record batch on shard shard-1: Error: boom'],
  ['retry 2 of eight records', { type: 'retry', shardId: 'shard-1', attempt: 2, reason: 'Error: boom', records: 8 },
    'retry 2 of an 8-record batch on shard shard-1: Error: boom'],
  ['a failed invocation of eleven', { type: 'invoke', shardId: 's', records: 11, result: failed, event: {} },
    'invocation of an 11-record batch failed: Error: boom'],
  ['a failed invocation of a hundred and eighty', { type: 'invoke', shardId: 's', records: 180, result: failed, event: {} },
    'invocation of a 180-record batch failed: Error: boom'],
  ['a failed invocation of eighteen thousand', { type: 'invoke', shardId: 's', records: 18_000, result: failed, event: {} },
    'invocation of an 18000-record batch failed: Error: boom'],
  ['bisecting', { type: 'bisect', shardId: 's', records: 2 }, 'bisecting a failed 2-record batch'],
  ['one record to the failure destination', { type: 'failure-destination', shardId: 's', condition: 'RetryAttemptsExhausted', records: 1, location: 's3://b/k' },
    '1 record sent to the failure destination (RetryAttemptsExhausted): s3://b/k'],
  ['three records to the failure destination', { type: 'failure-destination', shardId: 's', condition: 'RecordAgeExceeded', records: 3 },
    '3 records sent to the failure destination (RecordAgeExceeded)'],
  ['one record dropped', { type: 'dropped', shardId: 's', condition: 'RetryAttemptsExhausted', records: 1 },
    '1 record dropped (RetryAttemptsExhausted, no failure destination)'],
  ['two records dropped', { type: 'dropped', shardId: 's', condition: 'RetryAttemptsExhausted', records: 2 },
    '2 records dropped (RetryAttemptsExhausted, no failure destination)'],
  ['one record filtered', { type: 'filtered', shardId: 's', records: 1 }, '1 record filtered out'],
  ['no record filtered', { type: 'filtered', shardId: 's', records: 0 }, '0 records filtered out'],
  ['recovered after one failure', { type: 'recovered', shardId: 'shard-1', component: 'shard-reader', operation: 'GetRecords', failures: 1 },
    'GetRecords works again after 1 failure (shard-reader, shard shard-1)'],
  ['recovered after four failures', { type: 'recovered', shardId: '-', component: 'shard-discovery', operation: 'DescribeStream', failures: 4 },
    'DescribeStream works again after 4 failures (shard-discovery)'],
  ['one record not written in one try', {
    type: 'destination-delivery-failed', shardId: 's', condition: 'RetryAttemptsExhausted', records: 1, destination: 'q.jsonl', attempts: 1, message: 'EACCES',
  }, '1 record could not be written to q.jsonl (RetryAttemptsExhausted, 1 try): EACCES'],
  ['two records not written in three tries', {
    type: 'destination-delivery-failed', shardId: 's', condition: 'RetryAttemptsExhausted', records: 2, destination: 'q.jsonl', attempts: 3, message: 'EACCES',
  }, '2 records could not be written to q.jsonl (RetryAttemptsExhausted, 3 tries): EACCES'],
  ['stopped with one pending', { type: 'stopped', shardId: '-', pending: 1 }, 'stopped with 1 record pending'],
  ['stopped with two pending', { type: 'stopped', shardId: '-', pending: 2 }, 'stopped with 2 records pending'],
  ['stopped with nothing pending is routine', { type: 'stopped', shardId: '-', pending: 0 }, undefined],
])('activity: %s', (_, activity, expected) => {
  expect(formatActivity(activity)).toBe(expected);
});

// The counts these lines are about (a count the ledger gains later is left out: these lines do not depend on it).
const counts = ['written', 'delivered', 'filtered', 'sentToFailureDestination', 'dropped', 'destinationDeliveryFailed',
  'pending', 'pendingAtStop', 'notRead', 'lost'];
const nothing = { ...Object.fromEntries(counts.map((c) => [c, 0])), disabledMappings: [] } as Partial<LedgerSummary> as LedgerSummary;

/** A run of one mapping, `Stack/Orders`, whose ledger and the run's are `totals`. */
function run(totals: Partial<LedgerSummary>, more: { enabled?: boolean; outOfOrderItems?: string[] } = {}): RunSummary {
  const summary = { ...nothing, ...totals };
  return {
    ...summary,
    tables: [{ id: 'Stack/Orders/Table', summary, logLines: 0 }],
    mappings: [{ id: 'Stack/Orders', table: 'Stack/Orders/Table', function: 'Stack/Fn', enabled: more.enabled ?? true, summary }],
    functions: [{ id: 'Stack/Fn', logLines: 0 }],
    outOfOrderItems: more.outOfOrderItems ?? [],
    skipped: [],
  } as RunSummary;
}

test.each<[string, RunSummary, string]>([
  ['one record pending at stop', run({ written: 1, pending: 1, pendingAtStop: 1 }),
    'pending at stop: 1 record was still queued, in flight or waiting for a retry'],
  ['two records pending at stop', run({ written: 2, pending: 2, pendingAtStop: 2 }),
    'pending at stop: 2 records were still queued, in flight or waiting for a retry'],
  ['a disabled mapping with one record', run({ written: 1, notRead: 1 }, { enabled: false }),
    'disabled: Stack/Orders (Enabled: false in the template; its 1 record was not read)'],
  ['a disabled mapping with none', run({}, { enabled: false }),
    'disabled: Stack/Orders (Enabled: false in the template; its 0 records were not read)'],
  ['one record not written to its failure destination', run({ written: 1, destinationDeliveryFailed: 1 }),
    '1 record could not be written to its failure destination (counted as DestinationDeliveryFailures; see the errors above)'],
  ['two records not written to their failure destination', run({ written: 2, destinationDeliveryFailed: 2 }),
    '2 records could not be written to their failure destination (counted as DestinationDeliveryFailures; see the errors above)'],
  ['one item out of order', run({ written: 2, delivered: 2 }, { outOfOrderItems: ['a'] }), 'lost: 0; out of order: 1 item'],
  ['two items out of order', run({ written: 4, delivered: 4 }, { outOfOrderItems: ['a', 'b'] }), 'lost: 0; out of order: 2 items'],
])('ledger: %s', (_, summary, line) => {
  expect(formatSummary(summary).split('\n')).toContain(line);
});

test('the ledger says nothing of what did not happen', () => {
  const text = formatSummary(run({ written: 3, delivered: 3 }));
  expect(text).not.toMatch(/pending at stop|disabled:|could not be written|out of order/);
  expect(text.split('\n').slice(-1)).toEqual(['lost: 0']);
});
