/**
 * Replays the failed batches of an event source mapping: lists their on-failure records, keeps those the
 * filters select, and invokes the function synchronously with the original records, batch by batch in
 * sequence order per shard, as the mapping would have. A batch is marked as replayed only after its
 * invocation succeeded; a batch that still fails keeps its place, and the batches behind it on its shard
 * wait (order is kept per shard). See the README, "Replay failed records".
 */
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBRecord } from 'aws-lambda';
import type { FailureRecord } from './failure-record';
import type { FailureEntry, FailureSource } from './failure-sources';
import { PastRetentionError, readRangeFromStream } from './stream-range';
import { compareSequenceNumbers } from '../local/engine/sequence';
import { judgeBatchResponse } from '../local/mapping/batch-response';
import { compilePattern } from '../local/mapping/filter-match';
import { plural } from '../local/wording';

export interface ReplayFilters {
  /** Only batches sent to the destination at or after this time. */
  readonly since?: Date;
  /** Only batches sent to the destination before this time. */
  readonly until?: Date;
  /** Only these conditions (`RetryAttemptsExhausted`, `RecordAgeExceeded`). */
  readonly conditions?: readonly string[];
  /** Only these shards. */
  readonly shardIds?: readonly string[];
  /**
   * Only batches with at least one record matching this event filter pattern (the mapping's filter syntax,
   * e.g. `{"dynamodb":{"Keys":{"pk":{"S":["order#1"]}}}}`), as an object or its JSON text. A batch is
   * replayed, and marked, as a whole.
   */
  readonly recordPattern?: unknown;
}

export interface ReplayOptions extends ReplayFilters {
  readonly source: FailureSource;
  /** Invoke this function (name or ARN) instead of the one each record names. */
  readonly functionName?: string;
  /** Show what would be replayed; invoke and mark nothing. */
  readonly dryRun?: boolean;
  /**
   * Replay a range read back from the stream even when it holds more records than the failed batch had
   * (records the mapping's filters dropped, or that another batch of the shard processed). Default false:
   * such a batch is skipped, saying so.
   */
  readonly wholeRange?: boolean;
  /**
   * Invocations of one batch before it is left as still failing: after a function error or a response that
   * fails the whole batch, the same records are sent again; after a reported batch item failure, the failed
   * record and those after it, as Lambda does. Default 1.
   */
  readonly attempts?: number;
  /** Read the function's `batchItemFailures` (the construct's default). Default true. */
  readonly reportBatchItemFailures?: boolean;
  /** Default: a client per region of the functions' ARNs, with the SDK's standard credentials and endpoint settings. */
  readonly lambdaClient?: LambdaClient;
  /** For ranges read back from the stream. Default: as for `lambdaClient`, in the stream's region. */
  readonly streamsClient?: DynamoDBStreamsClient;
  /** The time against the stream's retention. Default: now. */
  readonly now?: () => Date;
  /** Called once per batch, as it is decided. */
  readonly onOutcome?: (outcome: ReplayOutcome) => void;
}

export type ReplayStatus = 'replayed' | 'still-failing' | 'skipped' | 'would-replay';

export interface ReplayOutcome {
  readonly status: ReplayStatus;
  readonly location: string;
  readonly condition: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly timestamp: Date;
  /** Records of the batch (0 when they could not be read). */
  readonly records: number;
  /** Why it is still failing or skipped. */
  readonly reason?: string;
  /** Invocations made for it. */
  readonly invocations: number;
}

export interface ReplayReport {
  readonly source: string;
  readonly replayed: number;
  readonly stillFailing: number;
  readonly skipped: number;
  readonly wouldReplay: number;
  /** Records replayed by an earlier run whose marking was cut off: marked now, not replayed again. */
  readonly finishedMarks: readonly string[];
  readonly outcomes: readonly ReplayOutcome[];
}

/** What is decided for one batch. */
type Decision = Pick<ReplayOutcome, 'status' | 'records' | 'invocations' | 'reason'>;

export async function replayFailedRecords(options: ReplayOptions): Promise<ReplayReport> {
  const now = options.now ?? (() => new Date());
  const matches = options.recordPattern === undefined ? undefined : compilePattern(parsePattern(options.recordPattern));
  const lambda = clientsByRegion((region) => options.lambdaClient ?? new LambdaClient(region ? { region } : {}));
  const streams = clientsByRegion((region) => options.streamsClient ?? new DynamoDBStreamsClient(region ? { region } : {}));
  const listing = await options.source.list();
  const outcomes: ReplayOutcome[] = [];
  const decide = (entry: FailureEntry, decision: Decision) => {
    const r = entry.record;
    const outcome: ReplayOutcome = {
      status: decision.status,
      location: r.location,
      condition: r.condition,
      shardId: r.shardId,
      startSequenceNumber: r.startSequenceNumber,
      endSequenceNumber: r.endSequenceNumber,
      timestamp: r.timestamp,
      records: decision.records,
      invocations: decision.invocations,
      ...(decision.reason ? { reason: decision.reason } : {}),
    };
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  };

  /** Reads the batch's records, checks them against the options, and invokes the function with them. */
  const replay = async (failure: FailureRecord): Promise<Decision> => {
    let records: DynamoDBRecord[];
    try {
      records = failure.records ?? await readRangeFromStream(streams(regionOf(failure.streamArn)), failure, now());
    } catch (e) {
      // Past the retention, the batch can never be replayed: it blocks nothing behind it.
      return { status: e instanceof PastRetentionError ? 'skipped' : 'still-failing', records: 0, invocations: 0, reason: (e as Error).message };
    }
    if (!failure.records && failure.batchSize > 0 && records.length !== failure.batchSize && !options.wholeRange) {
      return {
        status: 'skipped',
        records: records.length,
        invocations: 0,
        reason: `the stream holds ${plural(records.length, 'record')} in this range, the failed batch had ${failure.batchSize}: `
          + 'the others were filtered out or processed in another batch; replay the whole range with --whole-range',
      };
    }
    if (matches && !records.some((record) => matches(record))) {
      return { status: 'skipped', records: records.length, invocations: 0, reason: 'no record matches the record filter' };
    }
    if (options.dryRun) return { status: 'would-replay', records: records.length, invocations: 0 };
    const functionName = options.functionName ?? failure.functionArn;
    const result = await invokeUntilDone(lambda(regionOf(functionName)), functionName, records, options);
    return { status: result.failure === undefined ? 'replayed' : 'still-failing', records: records.length, invocations: result.invocations, reason: result.failure };
  };

  const selected: FailureEntry[] = [];
  for (const entry of listing.entries) {
    if (selectedByRecordFields(entry.record, options)) selected.push(entry);
    else await options.source.release(entry);
  }

  for (const shard of byShardInSequenceOrder(selected)) {
    let blockedBy: string | undefined;
    for (const entry of shard) {
      const decision: Decision = blockedBy
        ? { status: 'skipped', records: entry.record.batchSize, invocations: 0, reason: `behind ${blockedBy} on its shard, which still fails: order is kept per shard` }
        : await replay(entry.record);
      if (decision.status === 'replayed') {
        // Marked only now: a crash before this line leaves the batch to be replayed again, never lost.
        await options.source.markReplayed(entry);
        decide(entry, decision);
        continue;
      }
      decide(entry, decision);
      await options.source.release(entry);
      if (decision.status === 'still-failing') blockedBy = entry.record.location;
    }
  }
  const count = (status: ReplayStatus) => outcomes.filter((o) => o.status === status).length;
  return {
    source: options.source.description,
    replayed: count('replayed'),
    stillFailing: count('still-failing'),
    skipped: count('skipped'),
    wouldReplay: count('would-replay'),
    finishedMarks: listing.finishedMarks,
    outcomes,
  };
}

/** Invokes with the batch; after a reported item failure, again from that record on, up to `attempts` times. */
async function invokeUntilDone(client: LambdaClient, functionName: string, batch: DynamoDBRecord[], options: ReplayOptions):
Promise<{ invocations: number; failure?: string }> {
  const attempts = options.attempts ?? 1;
  let remaining = batch;
  let failure = '';
  for (let invocation = 1; invocation <= attempts; invocation++) {
    const out = await client.send(new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify({ Records: remaining })),
    }));
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    const payload = text.length > 0 ? JSON.parse(text) : null;
    if (out.FunctionError) {
      failure = `the function failed (${out.FunctionError}): ${payload?.errorType ?? 'Error'}: ${payload?.errorMessage ?? text}`;
      continue;
    }
    const verdict = judgeBatchResponse(payload, remaining.map((r) => r.dynamodb!.SequenceNumber!), options.reportBatchItemFailures ?? true);
    if (verdict.kind === 'success') return { invocations: invocation };
    if (verdict.kind === 'failure') {
      failure = `the function's response fails the whole batch: ${verdict.reason}`;
      continue;
    }
    // The records before the reported one are processed; it and those after it are sent again.
    remaining = remaining.filter((r) => compareSequenceNumbers(r.dynamodb!.SequenceNumber!, verdict.fromSequenceNumber) >= 0);
    failure = `the function reported record ${verdict.fromSequenceNumber} as failed (the ${batch.length - remaining.length} before it were processed)`;
  }
  return { invocations: attempts, failure };
}

function selectedByRecordFields(r: FailureRecord, f: ReplayFilters): boolean {
  if (f.since && r.timestamp < f.since) return false;
  if (f.until && r.timestamp >= f.until) return false;
  if (f.conditions && !f.conditions.includes(r.condition)) return false;
  if (f.shardIds && !f.shardIds.includes(r.shardId)) return false;
  return true;
}

/** Batches grouped by stream and shard, each group in sequence-number order (compared as integers). */
function byShardInSequenceOrder(entries: FailureEntry[]): FailureEntry[][] {
  const shards = new Map<string, FailureEntry[]>();
  for (const entry of entries) {
    const key = `${entry.record.streamArn} ${entry.record.shardId}`;
    const shard = shards.get(key);
    if (shard) shard.push(entry);
    else shards.set(key, [entry]);
  }
  return [...shards.keys()].sort().map((key) => shards.get(key)!
    .sort((a, b) => compareSequenceNumbers(a.record.startSequenceNumber, b.record.startSequenceNumber)));
}

function parsePattern(pattern: unknown): unknown {
  if (typeof pattern !== 'string') return pattern;
  try {
    return JSON.parse(pattern);
  } catch (e) {
    throw new Error(`the record filter is not JSON: ${(e as Error).message}`);
  }
}

/** The region an ARN names, or undefined for a bare name (the SDK's own region then). */
function regionOf(nameOrArn: string): string | undefined {
  return nameOrArn.startsWith('arn:') ? nameOrArn.split(':')[3] || undefined : undefined;
}

function clientsByRegion<T>(create: (region: string | undefined) => T): (region: string | undefined) => T {
  const clients = new Map<string, T>();
  return (region) => {
    const key = region ?? '';
    if (!clients.has(key)) clients.set(key, create(region));
    return clients.get(key)!;
  };
}
