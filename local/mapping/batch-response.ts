import { lowestSequenceNumber } from '../engine/sequence';

/**
 * How Lambda reads a stream function's response when the mapping has ReportBatchItemFailures
 * (docs/offline-runner.md): a success, a partial failure from the lowest reported sequence number, or a
 * failure of the whole batch when the response is malformed.
 */
export type BatchVerdict =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly fromSequenceNumber: string }
  | { readonly kind: 'failure'; readonly reason: string };

export function judgeBatchResponse(payload: unknown, batchSequenceNumbers: readonly string[], reportBatchItemFailures: boolean): BatchVerdict {
  // Without ReportBatchItemFailures any successful invocation checkpoints the whole batch.
  if (!reportBatchItemFailures) return { kind: 'success' };
  // Counted as success: null or empty response, {}, [], {"batchItemFailures": []}, {"batchItemFailures": null}.
  if (payload === null || payload === undefined || payload === '') return { kind: 'success' };
  if (Array.isArray(payload)) {
    return payload.length === 0 ? { kind: 'success' } : { kind: 'failure', reason: 'the response is a non-empty array, not {"batchItemFailures": [...]}' };
  }
  if (typeof payload !== 'object') return { kind: 'success' };
  const failures = (payload as Record<string, unknown>).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not an array' };
  if (failures.length === 0) return { kind: 'success' };

  const inBatch = new Set(batchSequenceNumbers);
  const reported: string[] = [];
  for (const failure of failures) {
    const id = failure !== null && typeof failure === 'object' ? (failure as Record<string, unknown>).itemIdentifier : undefined;
    if (typeof id !== 'string' || id.length === 0) {
      return { kind: 'failure', reason: `a batch item failure has no itemIdentifier: ${JSON.stringify(failure)}` };
    }
    if (!inBatch.has(id)) {
      return { kind: 'failure', reason: `itemIdentifier ${JSON.stringify(id)} is not a sequence number of this batch` };
    }
    reported.push(id);
  }
  // Lambda checkpoints at the lowest reported sequence number and resends everything from there on.
  return { kind: 'partial', fromSequenceNumber: lowestSequenceNumber(reported) };
}
