import type { DynamoDBRecord } from 'aws-lambda';
import { pause, STOPPED, Stopped, unlessStopped } from './abortable';
import { Lane } from './lane';
import type { MappingContext, ShardHooks } from './mapping-context';
import { normalizeRecord, StreamsApiRecord, toEpochSeconds } from './normalize-record';
import { describeError, RetryEpisode } from './retry-episode';
import { GET_RECORDS_LIMIT, isIteratorLost, IteratorPosition, RecordsPage, ShardInfo } from '../engine/stream-source';
import { itemKeyOf } from '../ledger/ledger';

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
    this.episode = new RetryEpisode(context.streamCallBackoff, {
      started: (error, operation) => context.emit({
        type: 'error',
        shardId,
        component: 'shard-reader',
        operation,
        message: `${operation} failed: ${describeError(error)}`,
        affects: `shard ${shardId} is not read until ${operation} succeeds (retried with backoff); its records wait in the stream`,
        retrying: true,
      }),
      ended: (failures, operation) => context.emit({ type: 'recovered', shardId, component: 'shard-reader', operation, failures }),
    });
  }

  public isQuiet(): boolean {
    return this.lanes.every((l) => l.isQuiet());
  }

  /** Records the shard's lanes hold and have not disposed of. */
  public heldRecords(): number {
    return this.lanes.reduce((n, l) => n + l.heldRecords(), 0);
  }

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
    const poll = this.context.options.pollIntervalMs ?? 250;
    // Shard lineage: a child is read only once its parent is drained, so each item's records stay in order.
    while (!this.hooks.parentDrained()) {
      if (!await pause(poll, signal)) return;
    }
    const lanesDone = this.lanes.map((l) => l.run());
    let iterator: string | undefined | Stopped = await this.takeIterator(this.hooks.initialPosition());

    while (typeof iterator === 'string') {
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
      if (caughtUp && iterator && !await pause(poll, signal)) break;
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
