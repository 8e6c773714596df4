import { compareSequenceNumbers, lowestSequenceNumber } from '../local/engine/sequence';
import { judgeBatchResponse } from '../local/mapping/batch-response';

// The response shapes Lambda accepts from a stream function with ReportBatchItemFailures.
const batch = ['000000000000000000009', '000000000000000000010', '100000000000000000000000'];

describe('judgeBatchResponse', () => {
  test.each([
    ['null', null], ['undefined', undefined], ['empty string', ''], ['{}', {}], ['[]', []],
    ['batchItemFailures: []', { batchItemFailures: [] }], ['batchItemFailures: null', { batchItemFailures: null }],
    ['a tumbling-window state', { state: { count: 3 } }],
  ])('success: %s', (_name, payload) => {
    expect(judgeBatchResponse(payload, batch, true)).toEqual({ kind: 'success' });
  });

  test.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, 'a batch item failure has no itemIdentifier: {"itemIdentifier":""}'],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, 'a batch item failure has no itemIdentifier: {"itemIdentifier":null}'],
    ['an identifier not in the batch', { batchItemFailures: [{ itemIdentifier: '42' }] }, 'itemIdentifier "42" is not a sequence number of this batch'],
    ['a wrong key name', { batchItemFailures: [{ itemId: batch[0] }] }, `a batch item failure has no itemIdentifier: {"itemId":"${batch[0]}"}`],
    ['batchItemFailures not an array', { batchItemFailures: 'x' }, 'batchItemFailures is not an array'],
    ['a non-empty array', [batch[0]], 'the response is a non-empty array, not {"batchItemFailures": [...]}'],
  ])('failure of the whole batch: %s', (_name, payload, reason) => {
    expect(judgeBatchResponse(payload, batch, true)).toEqual({ kind: 'failure', reason });
  });

  test('partial: the lowest reported sequence number, compared as an integer', () => {
    expect(judgeBatchResponse({ batchItemFailures: [{ itemIdentifier: batch[2] }, { itemIdentifier: batch[1] }] }, batch, true))
      .toEqual({ kind: 'partial', fromSequenceNumber: batch[1] });
  });

  test('without ReportBatchItemFailures every successful invocation is a success', () => {
    expect(judgeBatchResponse({ batchItemFailures: [{ itemIdentifier: batch[0] }] }, batch, false)).toEqual({ kind: 'success' });
  });
});

test('sequence numbers order as integers, not as text', () => {
  expect(compareSequenceNumbers('9', '10')).toBe(-1); // as text, '9' > '10'
  expect(compareSequenceNumbers('100000000000000000000000000000000000001', '100000000000000000000000000000000000000')).toBe(1);
  expect(lowestSequenceNumber(['300', '21', '1000'])).toBe('21');
});
