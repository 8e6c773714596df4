import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBRecord } from 'aws-lambda';
import { ArrivalClock, ArrivalReader } from './arrival-clock';
import { decideBatch, LastResponse } from './batch-decision';
import { Clock, realClock } from './clock';
import { compilePatterns } from './filter-match';
import { normalizeRecord, StreamsApiRecord, toEpochSeconds } from './normalize-record';
import type { MappingDefinition } from '../assembly/definitions';
import type { FailedBatch, FailureCondition, LocalFailureDestination } from '../destinations/failure-destination-writer';
import { GET_RECORDS_LIMIT, isIteratorLost, IteratorPosition, ShardInfo, StreamSource } from '../engine/stream-source';
import type { InvokeResult } from '../lambda/function-host';
import { itemKeyOf, Ledger } from '../ledger/ledger';

/** A Lambda invocation payload is at most 6 MB; the mapping cuts batches to fit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room for the event envelope (`{"Records":[...]}` and tumbling-window fields). */
const ENVELOPE_BYTES = 16 * 1024;

export type { Clock } from './clock';

/** What the mapping did, for logs and tests. */
export type MappingActivity =
  | { readonly type: 'invoke'; readonly shardId: string; readonly records: number; readonly result: InvokeResult; readonly event: unknown }
  | { readonly type: 'retry'; readonly shardId: string; readonly attempt: number; readonly reason: string; readonly records: number }
  | { readonly type: 'bisect'; readonly shardId: string; readonly records: number }
  | { readonly type: 'failure-destination'; readonly shardId: string; readonly condition: FailureCondition; readonly records: number; readonly location?: string }
  | { readonly type: 'dropped'; readonly shardId: string; readonly condition: FailureCondition; readonly records: number }
  | { readonly type: 'filtered'; readonly shardId: string; readonly records: number }
  | { readonly type: 'iterator-recovered'; readonly shardId: string; readonly reason: string }
  | { readonly type: 'error'; readonly shardId: string; readonly message: string };

export interface MappingEmulatorOptions {
  readonly mapping: MappingDefinition;
  /** The stream as DynamoDB Local names it: every Streams API call uses it. */
  readonly streamArn: string;
  /**
   * The stream ARN the function and the failure destination see (records' `eventSourceARN`, the tumbling-window
   * event's, the on-failure record's `streamArn`), e.g. with the stack's account and region instead of
   * DynamoDB Local's `ddblocal:000000000000`. Default: `streamArn`.
   */
  readonly eventSourceArn?: string;
  /** The key of this mapping's records in the ledger; mappings sharing a stream need different ones. Default: `streamArn`. */
  readonly ledgerKey?: string;
  readonly source: StreamSource;
  readonly invoke: (event: unknown) => Promise<InvokeResult>;
  readonly functionArn: string;
  readonly region: string;
  readonly ledger: Ledger;
  readonly destination?: LocalFailureDestination;
  readonly clock?: Clock;
  /**
   * Creation times of the stream's records, shared by every reader of the stream (each mapping and the audit) so
   * they agree. Default: one of its own on `clock`.
   */
  readonly arrivals?: ArrivalClock;
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
  lastResponse?: LastResponse;
}

/** What the shard runners and lanes need besides the options: resolved once for the mapping. */
interface MappingContext {
  readonly options: MappingEmulatorOptions;
  readonly eventSourceArn: string;
  readonly ledgerKey: string;
  readonly clock: Clock;
  /** Absent when the mapping is disabled: it reads nothing, so it must not hold the other readers' entries. */
  readonly arrivals?: ArrivalReader;
  readonly matches: (record: unknown) => boolean;
}

/**
 * Emulates one Lambda event source mapping on one DynamoDB stream, with the semantics of the service
 * (docs/offline-runner.md): shard lineage, greedy reads up to the batch size, the batching window, the
 * 6 MB payload limit, filters, retries with backoff, bisection, ReportBatchItemFailures, the retry and
 * record-age limits, parallelization with order kept per item key, and tumbling windows with state.
 * Records read from the stream stay in memory until disposed of, so an iterator that expires is
 * re-taken after the last record read: no gap, no re-read from the start.
 */
export class MappingEmulator {
  private readonly context: MappingContext;
  private readonly shards = new Map<string, ShardRunner>();
  private readonly drained = new Set<string>();
  private readonly listed = new Set<string>();
  /** Per shard, the last sequence number that existed when the mapping started (LATEST starts after it). */
  private readonly startAfter = new Map<string, string | undefined>();
  private stopped = false;
  private discovery?: Promise<void>;
  private started = false;

  constructor(private readonly options: MappingEmulatorOptions) {
    const clock = options.clock ?? realClock;
    this.context = {
      options,
      eventSourceArn: options.eventSourceArn ?? options.streamArn,
      ledgerKey: options.ledgerKey ?? options.streamArn,
      clock,
      // Joined now, not at start: another reader may read first, and the stamp must wait for this one.
      arrivals: options.mapping.enabled ? (options.arrivals ?? new ArrivalClock(clock)).join() : undefined,
      matches: compilePatterns(options.mapping.filterPatterns),
    };
  }

  /** Starts polling. With LATEST, the current end of every shard is pinned first (never a LATEST iterator). */
  public async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.options.mapping.enabled) return;
    const shards = await this.options.source.describeStream(this.options.streamArn);
    if (this.options.mapping.startingPosition === 'LATEST') {
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
      const runner = new ShardRunner(this.context, shard, {
        isStopped: () => this.stopped,
        parentDrained: () => !shard.parentShardId || this.drained.has(shard.parentShardId) || !this.isKnown(shard.parentShardId),
        markDrained: () => this.drained.add(shard.shardId),
        initialPosition: () => this.initialPosition(shard.shardId),
      });
      this.shards.set(shard.shardId, runner);
      runner.run().catch((e) => this.options.onActivity?.({ type: 'error', shardId: shard.shardId, message: String(e?.stack ?? e) }));
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
    const interval = this.options.shardDiscoveryIntervalMs ?? 1000;
    while (!this.stopped) {
      await sleep(interval);
      if (this.stopped) break;
      try {
        // Shards created after the start hold only new records: they are read from TRIM_HORIZON.
        this.launch(await this.options.source.describeStream(this.options.streamArn));
      } catch (e) {
        this.options.onActivity?.({ type: 'error', shardId: '-', message: `DescribeStream failed: ${String(e)}` });
      }
    }
  }

  private async lastSequenceNumber(shardId: string): Promise<string | undefined> {
    let iterator: string | undefined = await this.options.source.getShardIterator(this.options.streamArn, shardId, { type: 'TRIM_HORIZON' });
    let last: string | undefined;
    while (iterator) {
      const page = await this.options.source.getRecords(iterator, GET_RECORDS_LIMIT);
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

  private readonly options: MappingEmulatorOptions;

  constructor(private readonly context: MappingContext, private readonly shard: ShardInfo, private readonly hooks: ShardHooks) {
    this.options = context.options;
    const factor = Math.max(1, this.options.mapping.parallelizationFactor);
    this.lanes = Array.from({ length: factor }, () => new Lane(context, shard.shardId, hooks));
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
      await sleep(this.options.pollIntervalMs ?? 250);
    }
    const lanesDone = this.lanes.map((l) => l.run());
    let iterator: string | undefined = await this.takeIterator(this.hooks.initialPosition());
    const poll = this.options.pollIntervalMs ?? 250;

    while (this.reading && !this.hooks.isStopped() && iterator) {
      let page;
      try {
        page = await this.options.source.getRecords(iterator, GET_RECORDS_LIMIT);
      } catch (e) {
        const lost = isIteratorLost(e);
        if (!lost) {
          this.options.onActivity?.({ type: 'error', shardId: this.shard.shardId, message: `GetRecords failed: ${String(e)}` });
          await sleep(poll);
          continue;
        }
        // Re-take the iterator right after the last record read: nothing skipped, nothing read twice. Before
        // any record, DynamoDB Local trims a fresh TRIM_HORIZON iterator of an empty shard now and then: a quirk
        // of the engine with nothing to recover, so it is not reported.
        if (this.lastRead) this.options.onActivity?.({ type: 'iterator-recovered', shardId: this.shard.shardId, reason: lost });
        iterator = await this.recoverIterator();
        continue;
      }
      const now = this.context.clock.now();
      for (const raw of page.records) {
        const record = normalizeRecord(raw, {
          eventSourceARN: this.context.eventSourceArn,
          awsRegion: this.options.region,
          lambdaEventId: true,
          approximateCreationDateTime: this.creationTime(raw),
        });
        this.options.ledger.seen(this.context.ledgerKey, record);
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
      return await this.options.source.getShardIterator(this.options.streamArn, this.shard.shardId, position);
    } catch (e) {
      if (isIteratorLost(e) === 'trimmed' && position.type !== 'TRIM_HORIZON') {
        // The position itself fell out of the 24-hour retention: the oldest record left is next.
        return this.options.source.getShardIterator(this.options.streamArn, this.shard.shardId, { type: 'TRIM_HORIZON' });
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

  /** The record's creation time to the second (DynamoDB Local gives only its minute). */
  private creationTime(raw: StreamsApiRecord): number | undefined {
    const minute = raw.dynamodb?.ApproximateCreationDateTime;
    const sequenceNumber = raw.dynamodb?.SequenceNumber;
    if (minute === undefined || sequenceNumber === undefined || !this.context.arrivals) return undefined;
    return this.context.arrivals.creationTime(sequenceNumber, toEpochSeconds(minute));
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

  private readonly options: MappingEmulatorOptions;
  private readonly clock: Clock;

  constructor(private readonly context: MappingContext, private readonly shardId: string, private readonly hooks: ShardHooks) {
    this.options = context.options;
    this.clock = context.clock;
  }

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
    const windowMs = this.options.mapping.maxBatchingWindowSeconds * 1000;
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
    const mapping = this.options.mapping;
    const tumblingMs = mapping.tumblingWindowSeconds * 1000;
    // A batch never spans two tumbling windows.
    const windowOf = (q: Queued) => (tumblingMs > 0 ? Math.floor(q.arrivedAt / tumblingMs) : 0);
    const first = windowOf(this.queue[0]);
    let count = 0;
    let bytes = ENVELOPE_BYTES;
    while (count < this.queue.length && count < mapping.batchSize && windowOf(this.queue[count]) === first) {
      if (count > 0 && bytes + this.queue[count].bytes > MAX_PAYLOAD_BYTES) break;
      bytes += this.queue[count].bytes;
      count++;
    }
    const full = count === mapping.batchSize || count < this.queue.length; // full by size, payload or window boundary
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

  private async process(queued: Queued[]): Promise<void> {
    const { ledger, mapping } = this.options;
    const { ledgerKey } = this.context;
    const tumblingMs = mapping.tumblingWindowSeconds * 1000;
    if (tumblingMs > 0) {
      const start = Math.floor(queued[0].arrivedAt / tumblingMs) * tumblingMs;
      if (this.window && this.window.start !== start) await this.endWindow();
      if (!this.window) this.window = { start, end: start + tumblingMs, state: {} };
    }

    // Filters: records that do not match are dropped and checkpointed past, never delivered.
    const kept: DynamoDBRecord[] = [];
    const dropped: DynamoDBRecord[] = [];
    for (const q of queued) (this.context.matches(q.record) ? kept : dropped).push(q.record);
    if (dropped.length > 0) {
      ledger.filtered(ledgerKey, dropped);
      this.options.onActivity?.({ type: 'filtered', shardId: this.shardId, records: dropped.length });
    }
    if (kept.length === 0) return;

    const pending: PendingBatch[] = [{ records: kept, attempts: 0 }];
    while (pending.length > 0) {
      const batch = pending[0];
      // The record-age limit: records older than it go to the failure destination without an invocation.
      if (mapping.maximumRecordAgeSeconds >= 0) {
        const limit = this.clock.now() - mapping.maximumRecordAgeSeconds * 1000;
        const isExpired = (r: DynamoDBRecord) => r.dynamodb!.ApproximateCreationDateTime! * 1000 < limit;
        const expired = batch.records.filter(isExpired);
        if (expired.length > 0) {
          await this.sendToFailureDestination(expired, 'RecordAgeExceeded', batch.attempts, batch.lastResponse);
          batch.records = batch.records.filter((r) => !isExpired(r));
          if (batch.records.length === 0) {
            pending.shift();
            continue;
          }
        }
      }

      const event = this.event(batch.records, false);
      ledger.invoked(ledgerKey, batch.records);
      let result: InvokeResult;
      try {
        result = await this.options.invoke(event);
      } catch (e) {
        // The runner is stopping: no outcome, so nothing is checkpointed or sent anywhere.
        if (this.stopping || this.hooks.isStopped()) return;
        throw e;
      }
      this.options.onActivity?.({ type: 'invoke', shardId: this.shardId, records: batch.records.length, result, event });

      const sequenceNumbers = batch.records.map((r) => r.dynamodb!.SequenceNumber!);
      const decision = decideBatch(mapping, { sequenceNumbers, attempts: batch.attempts }, result);
      switch (decision.action) {
        case 'checkpoint-all':
          ledger.delivered(ledgerKey, batch.records);
          this.keepState(result);
          pending.shift();
          break;
        case 'bisect':
          this.options.onActivity?.({ type: 'bisect', shardId: this.shardId, records: batch.records.length });
          pending.splice(0, 1,
            { records: batch.records.slice(0, decision.firstHalf), attempts: 0 },
            { records: batch.records.slice(decision.firstHalf), attempts: 0 });
          break;
        case 'failure-destination':
          ledger.delivered(ledgerKey, batch.records.slice(0, decision.checkpoint));
          await this.sendToFailureDestination(batch.records.slice(decision.checkpoint), decision.condition,
            decision.invokeCount, decision.lastResponse);
          pending.shift();
          break;
        case 'retry':
          // The records before the checkpoint are done and not resent.
          ledger.delivered(ledgerKey, batch.records.slice(0, decision.checkpoint));
          batch.records = batch.records.slice(decision.checkpoint);
          batch.attempts = decision.attempt;
          batch.lastResponse = decision.lastResponse;
          this.options.onActivity?.({
            type: 'retry', shardId: this.shardId, attempt: decision.attempt, reason: decision.reason, records: batch.records.length,
          });
          await sleep(this.backoff(decision.attempt));
          break;
      }
    }
  }

  private backoff(attempt: number): number {
    const { baseMs, maxMs } = this.options.retryBackoff ?? { baseMs: 100, maxMs: 2000 };
    return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  }

  private event(records: DynamoDBRecord[], isFinalInvokeForWindow: boolean): unknown {
    if (!this.window) return { Records: records };
    return {
      Records: records,
      window: { start: new Date(this.window.start).toISOString(), end: new Date(this.window.end).toISOString() },
      state: this.window.state,
      shardId: this.shardId,
      eventSourceARN: this.context.eventSourceArn,
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
      const result = await this.options.invoke(event);
      this.options.onActivity?.({ type: 'invoke', shardId: this.shardId, records: 0, result, event });
      if (result.status === 'ok' || attempt >= Math.max(0, this.options.mapping.maximumRetryAttempts)) break;
      await sleep(this.backoff(attempt + 1));
    }
    this.window = undefined;
  }

  private async sendToFailureDestination(records: DynamoDBRecord[], condition: FailureCondition, invokeCount: number,
    lastResponse?: LastResponse): Promise<void> {
    const { ledger, destination } = this.options;
    if (!destination) {
      ledger.dropped(this.context.ledgerKey, records, condition);
      this.options.onActivity?.({ type: 'dropped', shardId: this.shardId, condition, records: records.length });
      return;
    }
    const batch: FailedBatch = {
      condition,
      functionArn: this.options.functionArn,
      approximateInvokeCount: invokeCount,
      lastResponse: lastResponse ?? { statusCode: 200 },
      shardId: this.shardId,
      streamArn: this.context.eventSourceArn,
      records,
      event: this.event(records, false),
      now: new Date(this.clock.now()),
    };
    const location = await destination.write(batch);
    ledger.failed(this.context.ledgerKey, records, condition);
    this.options.onActivity?.({ type: 'failure-destination', shardId: this.shardId, condition, records: records.length, location });
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
