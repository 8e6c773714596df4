/**
 * What an invocation outside the mappings (through the Lambda endpoint: the replay command, `aws lambda
 * invoke`) does to the ledger: the stream records it processed are counted as replayed, under the key of
 * each mapping of that function on the records' stream. Processed means as the mapping would judge it: all
 * of them on success, those before the reported one on a batch item failure, none on a function error.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { Ledger } from './ledger';
import { compareSequenceNumbers } from '../engine/sequence';
import type { InvokeResult } from '../lambda/function-host';
import { judgeBatchResponse } from '../mapping/batch-response';

export interface ReplayedMapping {
  readonly ledgerKey: string;
  /** The stream ARN its function sees on every record. */
  readonly eventSourceArn: string;
  readonly reportBatchItemFailures: boolean;
}

export function countReplayed(ledger: Ledger, mappings: readonly ReplayedMapping[], event: unknown, result: InvokeResult): void {
  const records = (event as { Records?: unknown })?.Records;
  if (result.status !== 'ok' || !Array.isArray(records)) return;
  for (const mapping of mappings) {
    const own = (records as DynamoDBRecord[]).filter((r) => r?.eventSourceARN === mapping.eventSourceArn
      && typeof r.dynamodb?.SequenceNumber === 'string');
    if (own.length === 0) continue;
    const verdict = judgeBatchResponse(result.payload, own.map((r) => r.dynamodb!.SequenceNumber!), mapping.reportBatchItemFailures);
    if (verdict.kind === 'failure') continue;
    const processed = verdict.kind === 'success' ? own
      : own.filter((r) => compareSequenceNumbers(r.dynamodb!.SequenceNumber!, verdict.fromSequenceNumber) < 0);
    ledger.replayed(mapping.ledgerKey, processed);
  }
}
