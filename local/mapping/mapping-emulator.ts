import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBRecord } from 'aws-lambda';
import type { MappingDefinition } from '../assembly/read-assembly';
import { judgeBatchResponse } from './batch-response';
import type { FailedBatch, FailureCondition, LocalFailureDestination } from '../destinations/failure-destination-writer';
import { compilePatterns } from './filter-match';
import type { InvokeResult } from '../lambda/function-host';
import { itemKeyOf, Ledger } from '../ledger/ledger';
import { normalizeRecord } from './normalize-record';
import { GET_RECORDS_LIMIT, isIteratorLost, IteratorPosition, ShardInfo, StreamSource } from '../engine/stream-source';

/** A Lambda invocation payload is at most 6 MB; the mapping cuts batches to fit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room for the event envelope (`{"Records":[...]}` and tumbling-window fields). */
const ENVELOPE_BYTES = 16 * 1024;

/** Time as the mapping sees it (record age, tumbling windows): injectable, so tests can move it. */
export interface Clock {
  now(): number;
}

/** What the mapping did, for logs and tests. */
export type MappingActivity =
  | { readonly type: 'invoke'; readonly shardId: string; readonly records: number; readonly result: InvokeResult }
  | { readonly type: 'retry'; readonly shardId: string; readonly attempt: number; readonly reason: string; readonly records: number }
  | { readonly type: 'bisect'; readonly shardId: string; readonly records: number }
  | { readonly type: 'failure-destination'; readonly shardId: string; readonly condition: FailureCondition; readonly records: number; readonly location?: string }
  | { readonly type: 'dropped'; readonly shardId: string; readonly condition: FailureCondition; readonly records: number }
  | { readonly type: 'filtered'; readonly shardId: string; readonly records: number }
  | { readonly type: 'iterator-recovered'; readonly shardId: string; readonly reason: string }
  | { readonly type: 'error'; readonly shardId: string; readonly message: string };

export interface MappingEmulatorOptions {
  readonly mapping: MappingDefinition;
  readonly streamArn: string;
  readonly source: StreamSource;
  readonly invoke: (event: unknown) => Promise<InvokeResult>;
  readonly functionArn: string;
  readonly region: string;
  readonly ledger: Ledger;
  readonly destination?: LocalFailureDestination;
  readonly clock?: Clock;
  /** Pause after an empty poll; AWS polls each shard about four times a second. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** How often new shards are looked for. Default 1,000 ms. */
  readonly shardDiscoveryIntervalMs?: number;
  /** Backoff between retries of a failing batch: base doubled per attempt, capped. Default 100 ms .. 2 s. */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly onActivity?: (activity: MappingActivity) => void;
}

interface Queued {
  readonly record: DynamoDBRecord;
  readonly bytes: number;
  /** When the mapping read it (tumbling windows are cut on this clock). */
  readonly arrivedAt: number;
}

interface PendingBatch {
  records: DynamoDBRecord[];
  /** Failed invocations of exactly these records so far (bisecting starts the halves afresh). */
  attempts: number;
  lastResponse?: { statusCode: number; functionError?: string };
}

const realClock: Clock = { now: () => Date.now() };

/**
 * Emulates one Lambda event source mapping on one DynamoDB stream, with the semantics of the service
 * (see the shared notes): shard lineage, greedy reads up to the batch size, the batching window, the
 * 6 MB payload limit, filters, retries with backoff, bisection, ReportBatchItemFailures, the retry and
 * record-age limits, parallelization with order kept per item key, and tumbling windows with state.
 * Records read from the stream stay in memory until disposed of, so an iterator that expires is
 * re-taken after the last record read: no gap, no re-read from the start.
 */
export class MappingEmulator {
  private readonly clock: Clock;
  private readonly matches: (record: unknown) => boolean;
  private readonly shards = new Map<string, ShardRunner>();
  private readonly drained = new Set<string>();
  private readonly listed = new Set<string>();
  /** Per shard, the last sequence number that existed when the mapping started (LATEST starts after it). */
  private readonly startAfter = new Map<string, string | undefined>();
  private stopped = false;
  private discovery?: Promise<void>;
  private started = false;

  constructor(private readonly o: MappingEmulatorOptions) {
    this.clock = o.clock ?? realClock;
    this.matches = compilePatterns(o.mapping.filterPatterns);
  }

  /** Starts polling. With LATEST, the current end of every shard is pinned first (never a LATEST iterator). */
  public async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.o.mapping.enabled) return;
    const shards = await this.o.source.describeStream(this.o.streamArn);
    if (this.o.mapping.startingPosition === 'LATEST') {
      for (const shard of shards) this.startAfter.set(shard.shardId, await this.lastSequenceNumber(shard.shardId));
    }
    this.launch(shards);
    this.discovery = this.discoverShards();
  }

  /** True when nothing is queued or being invoked on any shard. */
  public isQuiet(): boolean {
    return [...this.shards.values()].every((s) => s.isQuiet());
  }

  /** Where an audit of the stream should start for this shard: records before it are not the mapping's. */
  public auditStart(shardId: string): string | undefined {
    return this.startAfter.get(shardId);
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.shards.values()].map((s) => s.stop()));
    await this.discovery;
  }

  private launch(shards: ShardInfo[]): void {
    // Every listed shard is known before any starts: a child listed before its parent must still wait.
    for (const shard of shards) this.listed.add(shard.shardId);
    for (const shard of shards) {
      if (this.shards.has(shard.shardId)) continue;
      const runner = new ShardRunner(this.o, shard, this.clock, this.matches, {
        isStopped: () => this.stopped,
        parentDrained: () => !shard.parentShardId || this.drained.has(shard.parentShardId) || !this.isKnown(shard.parentShardId),
        markDrained: () => this.drained.add(shard.shardId),
        initialPosition: () => this.initialPosition(shard.shardId),
      });
      this.shards.set(shard.shardId, runner);
      runner.run().catch((e) => this.o.onActivity?.({ type: 'error', shardId: shard.shardId, message: String(e?.stack ?? e) }));
    }
  }

  /** A parent no longer listed was trimmed with its records: its children need not wait. */
  private isKnown(shardId: string): boolean {
    return this.listed.has(shardId);
  }

  private initialPosition(shardId: string): IteratorPosition {
    const after = this.startAfter.get(shardId);
    return after ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after } : { type: 'TRIM_HORIZON' };
  }

  private async discoverShards(): Promise<void> {
    const interval = this.o.shardDiscoveryIntervalMs ?? 1000;
    while (!this.stopped) {
      await sleep(interval);
      if (this.stopped) break;
      try {
        // Shards created after the start hold only new records: they are read from TRIM_HORIZON.
        this.launch(await this.o.source.describeStream(this.o.streamArn));
      } catch (e) {
        this.o.onActivity?.({ type: 'error', shardId: '-', message: `DescribeStream failed: ${String(e)}` });
      }
    }
  }

  private async lastSequenceNumber(shardId: string): Promise<string | undefined> {
    let iterator: string | undefined = await this.o.source.getShardIterator(this.o.streamArn, shardId, { type: 'TRIM_HORIZON' });
    let last: string | undefined;
    while (iterator) {
      const page = await this.o.source.getRecords(iterator, GET_RECORDS_LIMIT);
      if (page.records.length === 0) break;
      last = page.records[page.records.length - 1].dynamodb?.SequenceNumber ?? last;
      iterator = page.nextShardIterator;
    }
    return last;
  }
}

interface ShardHooks {
  isStopped(): boolean;
  parentDrained(): boolean;
  markDrained(): void;
  initialPosition(): IteratorPosition;
}

/** Reads one shard and feeds its lanes (one lane per parallelization slot). */
class ShardRunner {
  private readonly lanes: Lane[];
  private lastRead?: string;
  private reading = true;
  private loop?: Promise<void>;

  constructor(
    private readonly o: MappingEmulatorOptions,
    private readonly shard: ShardInfo,
    private readonly clock: Clock,
    matches: (record: unknown) => boolean,
    private readonly hooks: ShardHooks,
  ) {
    const factor = Math.max(1, o.mapping.parallelizationFactor);
    this.lanes = Array.from({ length: factor }, () => new Lane(o, shard.shardId, clock, matches, hooks));
  }

  public isQuiet(): boolean {
    return this.lanes.every((l) => l.isQuiet());
  }

  public async run(): Promise<void> {
    this.loop = this.read();
    await this.loop;
  }

  public async stop(): Promise<void> {
    this.reading = false;
    for (const lane of this.lanes) lane.stop();
    await this.loop;
  }

  private async read(): Promise<void> {
    // Shard lineage: a child is read only once its parent is drained, so each item's records stay in order.
    while (!this.hooks.parentDrained()) {
      if (this.hooks.isStopped()) return;
      await sleep(this.o.pollIntervalMs ?? 250);
    }
    const lanesDone = this.lanes.map((l) => l.run());
    let iterator: string | undefined = await this.takeIterator(this.hooks.initialPosition());
    const poll = this.o.pollIntervalMs ?? 250;

    while (this.reading && !this.hooks.isStopped() && iterator) {
      let page;
      try {
        page = await this.o.source.getRecords(iterator, GET_RECORDS_LIMIT);
      } catch (e) {
        const lost = isIteratorLost(e);
        if (!lost) {
          this.o.onActivity?.({ type: 'error', shardId: this.shard.shardId, message: `GetRecords failed: ${String(e)}` });
          await sleep(poll);
          continue;
        }
        // Re-take the iterator right after the last record read: nothing skipped, nothing read twice.
        this.o.onActivity?.({ type: 'iterator-recovered', shardId: this.shard.shardId, reason: lost });
        iterator = await this.recoverIterator();
        continue;
      }
      const now = this.clock.now();
      for (const raw of page.records) {
        const record = normalizeRecord(raw, { eventSourceARN: this.o.streamArn, awsRegion: this.o.region, lambdaEventId: true });
        this.o.ledger.seen(this.o.streamArn, record);
        this.lastRead = record.dynamodb!.SequenceNumber!;
        const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
        this.laneFor(record).push({ record, bytes, arrivedAt: now });
      }
      // Read greedily while records keep coming (so a batch can gather up to 10,000 records from several
      // GetRecords calls); once caught up, the lanes may invoke with what they hold.
      const caughtUp = page.records.length < GET_RECORDS_LIMIT;
      for (const lane of this.lanes) lane.setCaughtUp(caughtUp);
      iterator = page.nextShardIterator;
      if (caughtUp && iterator) await sleep(poll);
    }
    if (!iterator) {
      // The shard is closed and fully read: finish its records, then let its children start.
      for (const lane of this.lanes) lane.close();
      await Promise.all(lanesDone);
      this.hooks.markDrained();
    } else {
      for (const lane of this.lanes) lane.stop();
      await Promise.all(lanesDone);
    }
  }

  private async takeIterator(position: IteratorPosition): Promise<string | undefined> {
    try {
      return await this.o.source.getShardIterator(this.o.streamArn, this.shard.shardId, position);
    } catch (e) {
      if (isIteratorLost(e) === 'trimmed' && position.type !== 'TRIM_HORIZON') {
        // The position itself fell out of the 24-hour retention: the oldest record left is next.
        return this.o.source.getShardIterator(this.o.streamArn, this.shard.shardId, { type: 'TRIM_HORIZON' });
      }
      if ((e as { name?: string })?.name === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  }

  private recoverIterator(): Promise<string | undefined> {
    return this.takeIterator(this.lastRead
      ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastRead }
      : this.hooks.initialPosition());
  }

  private laneFor(record: DynamoDBRecord): Lane {
    if (this.lanes.length === 1) return this.lanes[0];
    return this.lanes[fnv1a(itemKeyOf('', record)) % this.lanes.length];
  }
}

/**
 * One slot of the parallelization factor: records of the same item always land in the same lane, and a
 * lane processes its batches one after another, so order is kept per item key.
 */
class Lane {
  private readonly queue: Queued[] = [];
  private caughtUp = false;
  private closed = false;
  private stopping = false;
  private busy = false;
  private wake?: () => void;
  private window?: { start: number; end: number; state: unknown };
  /**
   * When the oldest queued record was queued (the batching window runs from it). Real time, not the
   * injectable clock: the window is a wait the lane does, while the clock stands for record time (age, tumbling).
   */
  private oldestQueuedAt = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly o: MappingEmulatorOptions,
    private readonly shardId: string,
    private readonly clock: Clock,
    private readonly matches: (record: unknown) => boolean,
    private readonly hooks: ShardHooks,
  ) {}

  public push(item: Queued): void {
    this.queue.push(item);
    this.poke();
  }

  public setCaughtUp(value: boolean): void {
    this.caughtUp = value;
    if (value) this.poke();
  }

  public close(): void {
    this.closed = true;
    this.caughtUp = true;
    this.poke();
  }

  public stop(): void {
    this.stopping = true;
    this.poke();
  }

  public isQuiet(): boolean {
    return this.queue.length === 0 && !this.busy && this.window === undefined;
  }

  public async run(): Promise<void> {
    const m = this.o.mapping;
    const windowMs = m.maxBatchingWindowSeconds * 1000;
    while (!this.stopping && !this.hooks.isStopped()) {
      const next = this.readyBatch(windowMs);
      if (next) {
        this.busy = true;
        try {
          await this.process(next);
        } finally {
          this.busy = false;
        }
        continue;
      }
      if (this.closed && this.queue.length === 0) {
        await this.endWindow();
        return;
      }
      if (this.window && this.queue.length === 0 && this.clock.now() >= this.window.end) {
        // Not quiet meanwhile: the window stays set until its final invocation is done.
        await this.endWindow();
        continue;
      }
      await this.idle(windowMs);
    }
  }

  /** The next batch if one is due: full, or the reader caught up and the batching window has passed. */
  private readyBatch(windowMs: number): Queued[] | undefined {
    if (this.queue.length === 0) return undefined;
    const m = this.o.mapping;
    const tumblingMs = m.tumblingWindowSeconds * 1000;
    // A batch never spans two tumbling windows.
    const windowOf = (q: Queued) => (tumblingMs > 0 ? Math.floor(q.arrivedAt / tumblingMs) : 0);
    const first = windowOf(this.queue[0]);
    let count = 0;
    let bytes = ENVELOPE_BYTES;
    while (count < this.queue.length && count < m.batchSize && windowOf(this.queue[count]) === first) {
      if (count > 0 && bytes + this.queue[count].bytes > MAX_PAYLOAD_BYTES) break;
      bytes += this.queue[count].bytes;
      count++;
    }
    const full = count === m.batchSize || count < this.queue.length; // full by size, payload or window boundary
    const waited = Date.now() - this.oldestQueuedAt >= windowMs;
    if (full || (this.caughtUp && waited) || this.closed) {
      const batch = this.queue.splice(0, count);
      this.oldestQueuedAt = this.queue.length ? Date.now() : Number.MAX_SAFE_INTEGER;
      return batch;
    }
    return undefined;
  }

  private poke(): void {
    if (this.queue.length > 0 && this.oldestQueuedAt === Number.MAX_SAFE_INTEGER) this.oldestQueuedAt = Date.now();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private idle(windowMs: number): Promise<void> {
    const timeout = this.queue.length > 0 ? Math.max(1, windowMs - (Date.now() - this.oldestQueuedAt)) : 100;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, timeout);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async process(batch: Queued[]): Promise<void> {
    const { ledger, streamArn } = this.o;
    const tumblingMs = this.o.mapping.tumblingWindowSeconds * 1000;
    if (tumblingMs > 0) {
      const start = Math.floor(batch[0].arrivedAt / tumblingMs) * tumblingMs;
      if (this.window && this.window.start !== start) await this.endWindow();
      if (!this.window) this.window = { start, end: start + tumblingMs, state: {} };
    }

    // Filters: records that do not match are dropped and checkpointed past, never delivered.
    const kept: DynamoDBRecord[] = [];
    const dropped: DynamoDBRecord[] = [];
    for (const q of batch) (this.matches(q.record) ? kept : dropped).push(q.record);
    if (dropped.length > 0) {
      ledger.filtered(streamArn, dropped);
      this.o.onActivity?.({ type: 'filtered', shardId: this.shardId, records: dropped.length });
    }
    if (kept.length === 0) return;

    const m = this.o.mapping;
    const pending: PendingBatch[] = [{ records: kept, attempts: 0 }];
    while (pending.length > 0) {
      const cur = pending[0];
      // The record-age limit: records older than it go to the failure destination without an invocation.
      if (m.maximumRecordAgeSeconds >= 0) {
        const limit = this.clock.now() - m.maximumRecordAgeSeconds * 1000;
        const isExpired = (r: DynamoDBRecord) => r.dynamodb!.ApproximateCreationDateTime! * 1000 < limit;
        const expired = cur.records.filter(isExpired);
        if (expired.length > 0) {
          await this.sendToFailureDestination(expired, 'RecordAgeExceeded', cur.attempts, cur.lastResponse);
          cur.records = cur.records.filter((r) => !isExpired(r));
          if (cur.records.length === 0) {
            pending.shift();
            continue;
          }
        }
      }

      const event = this.event(cur.records, false);
      ledger.invoked(streamArn, cur.records);
      let result: InvokeResult;
      try {
        result = await this.o.invoke(event);
      } catch (e) {
        // The runner is stopping: no outcome, so nothing is checkpointed or sent anywhere.
        if (this.stopping || this.hooks.isStopped()) return;
        throw e;
      }
      this.o.onActivity?.({ type: 'invoke', shardId: this.shardId, records: cur.records.length, result });
      const verdict = result.status === 'error'
        ? { kind: 'failure' as const, reason: `${result.errorType}: ${result.errorMessage}` }
        : judgeBatchResponse(result.payload, cur.records.map((r) => r.dynamodb!.SequenceNumber!), m.reportBatchItemFailures);

      if (verdict.kind === 'success') {
        ledger.delivered(streamArn, cur.records);
        this.keepState(result);
        pending.shift();
        continue;
      }

      cur.lastResponse = { statusCode: 200, functionError: result.status === 'error' ? 'Unhandled' : undefined };
      if (verdict.kind === 'partial') {
        // Checkpoint before the reported record: the records before it are done and not resent.
        const from = cur.records.findIndex((r) => r.dynamodb!.SequenceNumber === verdict.fromSequenceNumber);
        ledger.delivered(streamArn, cur.records.slice(0, from));
        cur.records = cur.records.slice(from);
      } else if (m.bisectBatchOnFunctionError && cur.records.length > 1) {
        // Bisect: retry each half; splitting does not use up retries.
        const half = Math.ceil(cur.records.length / 2);
        this.o.onActivity?.({ type: 'bisect', shardId: this.shardId, records: cur.records.length });
        pending.splice(0, 1, { records: cur.records.slice(0, half), attempts: 0 }, { records: cur.records.slice(half), attempts: 0 });
        continue;
      }
      cur.attempts++;
      if (m.maximumRetryAttempts >= 0 && cur.attempts > m.maximumRetryAttempts) {
        await this.sendToFailureDestination(cur.records, 'RetryAttemptsExhausted', cur.attempts, cur.lastResponse);
        pending.shift();
        continue;
      }
      const reason = verdict.kind === 'partial' ? `partial failure from ${verdict.fromSequenceNumber}` : verdict.reason;
      this.o.onActivity?.({ type: 'retry', shardId: this.shardId, attempt: cur.attempts, reason, records: cur.records.length });
      await sleep(this.backoff(cur.attempts));
    }
  }

  private backoff(attempt: number): number {
    const { baseMs, maxMs } = this.o.retryBackoff ?? { baseMs: 100, maxMs: 2000 };
    return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  }

  private event(records: DynamoDBRecord[], isFinalInvokeForWindow: boolean): unknown {
    if (!this.window) return { Records: records };
    return {
      Records: records,
      window: { start: new Date(this.window.start).toISOString(), end: new Date(this.window.end).toISOString() },
      state: this.window.state,
      shardId: this.shardId,
      eventSourceARN: this.o.streamArn,
      isFinalInvokeForWindow,
      isWindowTerminatedEarly: false,
    };
  }

  private keepState(result: InvokeResult): void {
    if (!this.window) return;
    const state = (result.payload as { state?: unknown } | null)?.state;
    if (state !== undefined && state !== null) this.window.state = state;
  }

  /** Ends the current tumbling window with its final invocation (no records, the window's state). */
  private async endWindow(): Promise<void> {
    if (!this.window) return;
    const event = this.event([], true);
    for (let attempt = 0; ; attempt++) {
      const result = await this.o.invoke(event);
      this.o.onActivity?.({ type: 'invoke', shardId: this.shardId, records: 0, result });
      if (result.status === 'ok' || attempt >= Math.max(0, this.o.mapping.maximumRetryAttempts)) break;
      await sleep(this.backoff(attempt + 1));
    }
    this.window = undefined;
  }

  private async sendToFailureDestination(records: DynamoDBRecord[], condition: FailureCondition, invokeCount: number,
    lastResponse?: { statusCode: number; functionError?: string }): Promise<void> {
    const { ledger, streamArn, destination } = this.o;
    if (!destination) {
      ledger.dropped(streamArn, records, condition);
      this.o.onActivity?.({ type: 'dropped', shardId: this.shardId, condition, records: records.length });
      return;
    }
    const batch: FailedBatch = {
      condition,
      functionArn: this.o.functionArn,
      approximateInvokeCount: invokeCount,
      lastResponse: lastResponse ?? { statusCode: 200 },
      shardId: this.shardId,
      streamArn,
      records,
      event: this.event(records, false),
      now: new Date(this.clock.now()),
    };
    const location = await destination.write(batch);
    ledger.failed(streamArn, records, condition);
    this.o.onActivity?.({ type: 'failure-destination', shardId: this.shardId, condition, records: records.length, location });
  }
}

/* eslint-disable no-bitwise -- a hash is bit arithmetic */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
/* eslint-enable no-bitwise */
