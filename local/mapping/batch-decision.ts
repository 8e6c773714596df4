import { judgeBatchResponse } from './batch-response';
import type { MappingDefinition } from '../assembly/definitions';
import type { InvokeResult } from '../lambda/function-host';

/** The mapping settings that decide what follows an invocation. `maximumRetryAttempts` -1 retries forever. */
export type RetrySettings = Pick<MappingDefinition, 'maximumRetryAttempts' | 'bisectBatchOnFunctionError' | 'reportBatchItemFailures'>;

/** The batch that was just invoked. */
export interface PendingBatchState {
  /** Its records' sequence numbers, in stream order. */
  readonly sequenceNumbers: readonly string[];
  /** Failed invocations of exactly these records before this one. */
  readonly attempts: number;
}

/** What the invocation came back with: a function error, or a payload. */
export type InvocationOutcome = Pick<InvokeResult, 'status' | 'payload' | 'errorType' | 'errorMessage'>;

/** The invocation's response as the failure destination reports it (`responseContext`). */
export interface LastResponse {
  readonly statusCode: number;
  readonly functionError?: string;
}

/**
 * What the mapping does next with the batch:
 * - `checkpoint-all`: every record is done.
 * - `bisect`: the first `firstHalf` records and the rest become two batches, each with no attempts yet.
 * - `retry`: the first `checkpoint` records are done (a partial response), the rest is invoked again after
 *   the backoff of attempt `attempt`, which is now the rest's count of failed attempts.
 * - `failure-destination`: likewise the first `checkpoint` records are done; the rest go to the on-failure
 *   destination with `invokeCount` as `approximateInvokeCount`.
 */
export type BatchDecision =
  | { readonly action: 'checkpoint-all' }
  | { readonly action: 'bisect'; readonly firstHalf: number }
  | { readonly action: 'retry'; readonly checkpoint: number; readonly attempt: number; readonly reason: string; readonly lastResponse: LastResponse }
  | {
    readonly action: 'failure-destination';
    readonly checkpoint: number;
    readonly condition: 'RetryAttemptsExhausted';
    readonly invokeCount: number;
    readonly lastResponse: LastResponse;
  };

/**
 * Lambda's retry, bisect and partial-failure rules for one invocation of a stream batch:
 * - A response that reports batch item failures checkpoints before the lowest reported record; the rest is
 *   retried, and that counts as an attempt. It is never bisected.
 * - A failure of the whole batch (a function error, or a malformed response with ReportBatchItemFailures) is
 *   bisected when BisectBatchOnFunctionError is set and the batch holds more than one record; splitting
 *   does not count as an attempt. Otherwise it counts as an attempt.
 * - Once the attempts exceed MaximumRetryAttempts (unless -1), the records go to the failure destination.
 */
export function decideBatch(settings: RetrySettings, batch: PendingBatchState, outcome: InvocationOutcome): BatchDecision {
  const verdict = outcome.status === 'error'
    ? { kind: 'failure' as const, reason: `${outcome.errorType}: ${outcome.errorMessage}` }
    : judgeBatchResponse(outcome.payload, batch.sequenceNumbers, settings.reportBatchItemFailures);
  if (verdict.kind === 'success') return { action: 'checkpoint-all' };

  // The invoke call itself succeeds (200) even when the function fails; Lambda then adds functionError.
  const lastResponse: LastResponse = outcome.status === 'error' ? { statusCode: 200, functionError: 'Unhandled' } : { statusCode: 200 };
  let checkpoint = 0;
  if (verdict.kind === 'partial') {
    checkpoint = batch.sequenceNumbers.indexOf(verdict.fromSequenceNumber);
    if (checkpoint < 0) throw new Error(`sequence number ${verdict.fromSequenceNumber} is not in the batch`);
  } else if (settings.bisectBatchOnFunctionError && batch.sequenceNumbers.length > 1) {
    return { action: 'bisect', firstHalf: Math.ceil(batch.sequenceNumbers.length / 2) };
  }

  const attempts = batch.attempts + 1;
  if (settings.maximumRetryAttempts >= 0 && attempts > settings.maximumRetryAttempts) {
    return { action: 'failure-destination', checkpoint, condition: 'RetryAttemptsExhausted', invokeCount: attempts, lastResponse };
  }
  const reason = verdict.kind === 'partial' ? `partial failure from ${verdict.fromSequenceNumber}` : verdict.reason;
  return { action: 'retry', checkpoint, attempt: attempts, reason, lastResponse };
}
