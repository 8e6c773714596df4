import type { DynamoDBRecord } from 'aws-lambda';
import { pause, STOPPED, Stopped, unlessStopped } from './abortable';
import { Lane } from './lane';
import type { MappingContext, ShardHooks } from './mapping-context';
import { normalizeRecord, StreamsApiRecord, toEpochSeconds } from './normalize-record';
import { RetryEpisode, streamCallEpisode } from './retry-episode';
import { lowestSequenceNumber } from '../engine/sequence';
import { GET_RECORDS_LIMIT, isIteratorLost, IteratorPosition, RecordsPage, ShardInfo } from '../engine/stream-source';
import { itemKeyOf } from '../ledger/ledger';

const DEFAULT_POLL_INTERVAL_MS = 250;
const DEFAULT_IDLE_POLL_INTERVAL_MS = 2000;
/** Empty polls at the full rate (two seconds at the default) before a reader with a doorbell starts to slow down. */
const EMPTY_POLLS_BEFORE_BACKOFF = 8;

/**
 * Reads one shard and feeds its lanes (one lane per parallelization slot).
 *
 * As Lambda's poller, it never gives up on a shard: a Streams call that fails is retried with a growing,
 * bounded backoff (reported once per episode), an iterator that expires is re-taken after the last record
 * read, and only a closed shard read to its end (or a shard that no longer exists) ends the reading.
 */
export class ShardRunner {
  private readonly lanes: Lane[];
  private lastRead?: string;
  private loop?: Promise<void>;
  private readonly episode: RetryEpisode;

  constructor(private readonly context: MappingContext, private readonly shard: ShardInfo, private readonly hooks: ShardHooks) {
    const factor = Math.max(1, context.options.mapping.parallelizationFactor);
    const shardId = shard.shardId;
    this.lanes = Array.from({ length: factor }, (_, i) =>
      new Lane(context, shardId, factor > 1 ? `lane ${i + 1} of ${factor} of shard ${shardId}` : `the lane of shard ${shardId}`));
    this.episode = streamCallEpisode(context, 'shard-reader', shardId,
      (operation) => `shard ${shardId} is not read until ${operation} succeeds (retried with backoff); its records wait in the stream`);
  }

  public isQuiet(): boolean {
    return this.lanes.every((l) => l.isQuiet());
  }

  /** Where the shard's held records are, one phrase per busy lane. */
  public describe(): string[] {
    return this.lanes.map((l) => l.describe()).filter((d): d is string => d !== undefined);
  }

  /** Records the shard's lanes hold and have not disposed of. */
  public heldRecords(): number {
    return this.lanes.reduce((n, l) => n + l.heldRecords(), 0);
  }

  // ---- Hand-over hook (the runner's reload): where a successor of this mapping resumes the shard. ----
  /**
   * At the first record read and not yet disposed of (it and everything after it are read again), else
   * right after the last record read; undefined when nothing was read.
   */
  public resumePosition(): IteratorPosition | undefined {
    const held = this.lanes.flatMap((l) => l.heldSequenceNumbers());
    if (held.length) return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: lowestSequenceNumber(held) };
    return this.lastRead ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastRead } : undefined;
  }
  // ---- end of the hand-over hook ----

  /** Reads the shard until it is drained or the mapping stops. Never rejects: an error of its own is reported. */
  public run(): Promise<void> {
    this.loop ??= this.read().catch((e) => this.context.emit({
      type: 'error',
      shardId: this.shard.shardId,
      component: 'shard-reader',
      message: `the reader of shard ${this.shard.shardId} failed: ${String((e as Error)?.stack ?? e)}`,
      affects: `shard ${this.shard.shardId} is no longer read after ${this.lastRead ?? 'its start'}; its records read so far are still processed`,
      retrying: false,
    }));
    return this.loop;
  }

  /** Resolves once the reader and its lanes have ended (the mapping's stop signal ends them). */
  public async stop(): Promise<void> {
    await this.loop;
  }

  private async read(): Promise<void> {
    const { signal } = this.context;
    const poll = this.context.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    // Shard lineage: a child is read only once its parent is drained, so each item's records stay in order.
    while (!this.hooks.parentDrained()) {
      if (!await pause(poll, signal)) return;
    }
    const lanesDone = this.lanes.map((l) => l.run());
    let iterator: string | undefined | Stopped = await this.takeIterator(this.hooks.initialPosition());
    let emptyPolls = 0;

    while (typeof iterator === 'string') {
      // A ring during the call may be a write the page does not hold yet: then the next poll is at once.
      const ringsBefore = this.context.options.doorbell?.count;
      const page = await this.readPage(iterator);
      if (page === STOPPED) break;
      if (page === 'expired' || page === 'trimmed') {
        // Re-take the iterator right after the last record read: nothing skipped, nothing read twice. Before
        // any record, DynamoDB Local trims a fresh TRIM_HORIZON iterator of an empty shard now and then: a quirk
        // of the engine with nothing to recover, so it is not reported.
        if (this.lastRead) this.context.emit({ type: 'iterator-recovered', shardId: this.shard.shardId, reason: page });
        iterator = await this.recoverIterator();
        continue;
      }
      this.dispatch(page.records);
      // Read greedily while records keep coming (so a batch can gather up to 10,000 records from several
      // GetRecords calls); once caught up, the lanes may invoke with what they hold.
      const caughtUp = page.records.length < GET_RECORDS_LIMIT;
      for (const lane of this.lanes) lane.setCaughtUp(caughtUp);
      iterator = page.nextShardIterator;
      emptyPolls = page.records.length ? 0 : emptyPolls + 1;
      if (caughtUp && iterator && !await this.waitForNextPoll(emptyPolls, ringsBefore)) break;
    }
    if (iterator === undefined) {
      // The shard is closed and fully read: finish its records, then let its children start.
      for (const lane of this.lanes) lane.close();
      await Promise.all(lanesDone);
      // A lane that failed still holds records of this shard: its children wait, or their records would overtake them.
      if (!this.lanes.some((l) => l.hasCrashed)) this.hooks.markDrained();
    } else {
      await Promise.all(lanesDone);
    }
  }

  /**
   * The pause before the next GetRecords of a caught-up shard: `pollIntervalMs`, as AWS polls; with a doorbell,
   * cut short by a ring and, once the shard has been empty for a while, longer and longer (up to
   * `idlePollIntervalMs`), since a write through the runner rings anyway. False when the mapping stops.
   */
  private waitForNextPoll(emptyPolls: number, ringsBefore: number | undefined): Promise<boolean> {
    const { options, signal } = this.context;
    const poll = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!options.doorbell) return pause(poll, signal);
    const idle = Math.max(poll, options.idlePollIntervalMs ?? DEFAULT_IDLE_POLL_INTERVAL_MS);
    // Four times longer per empty poll past the full-rate ones: 1 s, 4 s, 16 s at the defaults (capped at `idle`).
    const wait = emptyPolls <= EMPTY_POLLS_BEFORE_BACKOFF ? poll : Math.min(idle, poll * 4 ** (emptyPolls - EMPTY_POLLS_BEFORE_BACKOFF));
    return options.doorbell.wait(wait, signal, ringsBefore);
  }

  /** Registers the page's records in the ledger as held by the mapping, and queues each in its item's lane. */
  private dispatch(records: readonly StreamsApiRecord[]): void {
    const { ledger } = this.context.options;
    const now = this.context.clock.now();
    for (const raw of records) {
      const record = normalizeRecord(raw, {
        eventSourceARN: this.context.eventSourceArn,
        awsRegion: this.context.options.region,
        lambdaEventId: true,
        approximateCreationDateTime: this.creationTime(raw),
      });
      ledger.held(this.context.ledgerKey, [record]);
      this.lastRead = record.dynamodb!.SequenceNumber!;
      const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
      this.laneFor(record).push({ record, bytes, arrivedAt: now });
    }
  }

  /** One GetRecords call, retried until it succeeds, the iterator is lost, or the mapping stops. */
  private async readPage(iterator: string): Promise<RecordsPage | 'expired' | 'trimmed' | Stopped> {
    const { signal, options } = this.context;
    for (;;) {
      try {
        const page = await unlessStopped(options.source.getRecords(iterator, GET_RECORDS_LIMIT), signal);
        if (page !== STOPPED) this.episode.succeeded();
        return page;
      } catch (e) {
        const lost = isIteratorLost(e);
        if (lost) return lost;
        if (!await pause(this.episode.failed(e, 'GetRecords'), signal)) return STOPPED;
      }
    }
  }

  /**
   * An iterator at `position`, retried until it is had or the mapping stops; undefined when the shard no
   * longer exists (trimmed with its records, or its stream deleted), which ends the reading as a closed shard.
   */
  private async takeIterator(position: IteratorPosition): Promise<string | undefined | Stopped> {
    const { signal, options } = this.context;
    let at = position;
    for (;;) {
      try {
        const iterator = await unlessStopped(options.source.getShardIterator(options.streamArn, this.shard.shardId, at), signal);
        if (iterator !== STOPPED) this.episode.succeeded();
        return iterator;
      } catch (e) {
        if (isIteratorLost(e) === 'trimmed' && at.type !== 'TRIM_HORIZON') {
          // The position itself fell out of the 24-hour retention: the oldest record left is next.
          at = { type: 'TRIM_HORIZON' };
          continue;
        }
        if ((e as { name?: string })?.name === 'ResourceNotFoundException') return undefined;
        if (!await pause(this.episode.failed(e, 'GetShardIterator'), signal)) return STOPPED;
      }
    }
  }

  private recoverIterator(): Promise<string | undefined | Stopped> {
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
