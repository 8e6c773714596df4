import { BatchDecision, decideBatch, InvocationOutcome, RetrySettings } from '../local/mapping/batch-decision';

// Lambda's retry, bisect and partial-failure rules, decided without a stream or a function.

const seqs = ['000000000000000000009', '000000000000000000010', '000000000000000000011', '000000000000000000012', '000000000000000000013'];
const three = seqs.slice(0, 3);

const settings: RetrySettings = { maximumRetryAttempts: 2, bisectBatchOnFunctionError: false, reportBatchItemFailures: true };
const bisecting: RetrySettings = { ...settings, bisectBatchOnFunctionError: true };

const returned = (payload: unknown): InvocationOutcome => ({ status: 'ok', payload });
const thrown: InvocationOutcome = { status: 'error', errorType: 'Error', errorMessage: 'boom' };
const failures = (...ids: string[]) => returned({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
const malformed = returned({ batchItemFailures: 'x' });

const ok = { statusCode: 200 };
const unhandled = { statusCode: 200, functionError: 'Unhandled' };

type Row = [name: string, settings: RetrySettings, batch: readonly string[], attempts: number, outcome: InvocationOutcome, expected: BatchDecision];

const rows: Row[] = [
  // Success
  ['a null response', settings, three, 0, returned(null), { action: 'checkpoint-all' }],
  ['an empty batchItemFailures', settings, three, 1, failures(), { action: 'checkpoint-all' }],
  ['reported failures without ReportBatchItemFailures', { ...settings, reportBatchItemFailures: false }, three, 0, failures(three[1]),
    { action: 'checkpoint-all' }],
  ['a malformed response without ReportBatchItemFailures', { ...settings, reportBatchItemFailures: false }, three, 0, malformed,
    { action: 'checkpoint-all' }],

  // Partial responses: checkpoint before the lowest reported record, count an attempt, never bisect
  ['a partial failure from the second record', settings, three, 0, failures(three[1]),
    { action: 'retry', checkpoint: 1, attempt: 1, reason: `partial failure from ${three[1]}`, lastResponse: ok }],
  ['a partial failure from the first record checkpoints nothing', settings, three, 0, failures(three[0]),
    { action: 'retry', checkpoint: 0, attempt: 1, reason: `partial failure from ${three[0]}`, lastResponse: ok }],
  ['the lowest of several reported records, as an integer', settings, three, 0, failures(three[2], three[1]),
    { action: 'retry', checkpoint: 1, attempt: 1, reason: `partial failure from ${three[1]}`, lastResponse: ok }],
  ['a partial failure is not bisected', bisecting, three, 0, failures(three[2]),
    { action: 'retry', checkpoint: 2, attempt: 1, reason: `partial failure from ${three[2]}`, lastResponse: ok }],
  ['a partial failure past the retry limit checkpoints, then gives up on the rest', settings, three, 2, failures(three[1]),
    { action: 'failure-destination', checkpoint: 1, condition: 'RetryAttemptsExhausted', invokeCount: 3, lastResponse: ok }],

  // Function errors
  ['a function error without bisect', settings, three, 0, thrown,
    { action: 'retry', checkpoint: 0, attempt: 1, reason: 'Error: boom', lastResponse: unhandled }],
  ['a function error counts on from earlier attempts', settings, three, 1, thrown,
    { action: 'retry', checkpoint: 0, attempt: 2, reason: 'Error: boom', lastResponse: unhandled }],
  ['a function error past the retry limit', settings, three, 2, thrown,
    { action: 'failure-destination', checkpoint: 0, condition: 'RetryAttemptsExhausted', invokeCount: 3, lastResponse: unhandled }],
  ['no retries at all', { ...settings, maximumRetryAttempts: 0 }, three, 0, thrown,
    { action: 'failure-destination', checkpoint: 0, condition: 'RetryAttemptsExhausted', invokeCount: 1, lastResponse: unhandled }],
  ['-1 retries forever', { ...settings, maximumRetryAttempts: -1 }, three, 10_000, thrown,
    { action: 'retry', checkpoint: 0, attempt: 10_001, reason: 'Error: boom', lastResponse: unhandled }],
  ['a function error with bisect splits an odd batch, the larger half first', bisecting, seqs, 0, thrown, { action: 'bisect', firstHalf: 3 }],
  ['a function error with bisect splits two records', bisecting, seqs.slice(0, 2), 0, thrown, { action: 'bisect', firstHalf: 1 }],
  ['bisecting does not count an attempt, even at the retry limit', bisecting, three, 2, thrown, { action: 'bisect', firstHalf: 2 }],
  ['a single record is retried, not bisected', bisecting, three.slice(0, 1), 0, thrown,
    { action: 'retry', checkpoint: 0, attempt: 1, reason: 'Error: boom', lastResponse: unhandled }],
  ['a single record past the retry limit', bisecting, three.slice(0, 1), 2, thrown,
    { action: 'failure-destination', checkpoint: 0, condition: 'RetryAttemptsExhausted', invokeCount: 3, lastResponse: unhandled }],

  // A malformed response with ReportBatchItemFailures fails the whole batch, like a function error, but the
  // invocation itself succeeded: no functionError.
  ['a malformed response', settings, three, 0, malformed,
    { action: 'retry', checkpoint: 0, attempt: 1, reason: 'batchItemFailures is not an array', lastResponse: ok }],
  ['an itemIdentifier not in the batch', settings, three, 0, failures('42'),
    { action: 'retry', checkpoint: 0, attempt: 1, reason: 'itemIdentifier "42" is not a sequence number of this batch', lastResponse: ok }],
  ['a malformed response is bisected like a function error', bisecting, three, 0, malformed, { action: 'bisect', firstHalf: 2 }],
  ['a malformed response past the retry limit', settings, three, 2, malformed,
    { action: 'failure-destination', checkpoint: 0, condition: 'RetryAttemptsExhausted', invokeCount: 3, lastResponse: ok }],
];

test.each(rows)('%s', (_name, retrySettings, sequenceNumbers, attempts, outcome, expected) => {
  expect(decideBatch(retrySettings, { sequenceNumbers, attempts }, outcome)).toEqual(expected);
});
