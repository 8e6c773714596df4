import { GET_RECORDS_LIMIT, isIteratorLost, StreamSource } from '../engine/stream-source';
import type { ArrivalClock, ArrivalReader } from '../mapping/arrival-clock';
import { toEpochSeconds } from '../mapping/normalize-record';

/** A record that exists in a stream. */
export interface ExistingRecord {
  /** The ledger key the audit was given (the stream ARN by default): `Ledger.summarize` looks records up by it. */
  readonly streamArn: string;
  readonly sequenceNumber: string;
}

export interface StreamAuditOptions {
  /** The ledger key of the mapping audited, when it is not the stream ARN (several mappings on one stream). */
  readonly ledgerKey?: string;
  /**
   * The stream's arrival clock, shared with its mappings: the audit stamps the records it reads too, so that
   * a record the audit reads first still gets its time from that first read.
   */
  readonly arrivals?: ArrivalClock;
}

/**
 * Reads a stream independently of its mapping, to know every record that exists: the ledger is checked
 * against this list, so a record the mapping never saw still counts (as lost). Reads incrementally.
 */
export class StreamAudit {
  private readonly cursors = new Map<string, string | undefined>();
  /**
   * Shards read to their end and still open: the iterator their last page gave, to go on from. A refresh reads
   * these first and describes the stream again only when it must (see `read`), so a refresh that finds nothing
   * new costs one GetRecords per open shard.
   */
  private readonly open = new Map<string, string>();
  /** Shards read to their end that are closed: nothing is ever added to them. */
  private readonly closed = new Set<string>();
  /** Set when a shard closed (its children appear only then), an iterator was lost, or nothing was read yet. */
  private mustDescribe = true;
  private readonly found: ExistingRecord[] = [];
  /** The read in progress: reads run one at a time, or two would start at one cursor and count records twice. */
  private reading: Promise<void> = Promise.resolve();
  private readonly ledgerKey: string;
  private readonly arrivals?: ArrivalReader;

  /**
   * @param startAfter per shard, the last sequence number before the mapping's start (LATEST): records up
   *   to it are not the mapping's to process.
   */
  constructor(private readonly source: StreamSource, private readonly streamArn: string,
    private readonly startAfter: (shardId: string) => string | undefined, options: StreamAuditOptions = {}) {
    this.ledgerKey = options.ledgerKey ?? streamArn;
    // Joined now, before anyone reads: see ArrivalClock.join.
    this.arrivals = options.arrivals?.join();
  }

  public get records(): readonly ExistingRecord[] {
    return this.found;
  }

  /** Reads whatever was added since the last refresh. */
  public refresh(): Promise<void> {
    this.reading = this.reading.catch(() => undefined).then(() => this.read());
    return this.reading;
  }

  private async read(): Promise<void> {
    for (const [shardId, iterator] of [...this.open]) {
      try {
        await this.readShard(shardId, iterator);
      } catch (e) {
        // Expired (held too long) or trimmed: read again from its cursor below.
        if (!isIteratorLost(e)) throw e;
      }
    }
    // A shard gets children only when it closes, so while every shard read so far is open there is no other.
    if (!this.mustDescribe) return;
    // Cleared first, so that a shard closing or an iterator lost during this pass sets it again; a pass that fails
    // sets it again below, so the next refresh describes the stream too.
    this.mustDescribe = false;
    try {
      await this.readNewShards();
    } catch (e) {
      this.mustDescribe = true;
      throw e;
    }
  }

  /** Describes the stream and reads every shard not read to its end yet from its cursor (or the mapping's start). */
  private async readNewShards(): Promise<void> {
    for (const shard of await this.source.describeStream(this.streamArn)) {
      if (this.open.has(shard.shardId) || this.closed.has(shard.shardId)) continue;
      const after = this.cursors.has(shard.shardId) ? this.cursors.get(shard.shardId) : this.startAfter(shard.shardId);
      let iterator: string;
      try {
        iterator = await this.source.getShardIterator(this.streamArn, shard.shardId,
          after ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after } : { type: 'TRIM_HORIZON' });
      } catch (e) {
        if (!isIteratorLost(e)) throw e;
        this.mustDescribe = true; // tried again at the next refresh
        continue;
      }
      await this.readShard(shard.shardId, iterator);
    }
  }

  /** Reads the shard from `iterator` to its end: open with the iterator to go on from, or closed. */
  private async readShard(shardId: string, iterator: string): Promise<void> {
    let last = this.cursors.has(shardId) ? this.cursors.get(shardId) : this.startAfter(shardId);
    let next: string | undefined = iterator;
    try {
      while (next) {
        const page = await this.source.getRecords(next, GET_RECORDS_LIMIT);
        for (const r of page.records) {
          last = r.dynamodb!.SequenceNumber!;
          const minute = r.dynamodb!.ApproximateCreationDateTime;
          if (minute !== undefined) this.arrivals?.creationTime(last, toEpochSeconds(minute));
          this.found.push({ streamArn: this.ledgerKey, sequenceNumber: last });
        }
        next = page.nextShardIterator;
        if (page.records.length === 0) break;
      }
    } catch (e) {
      // Whatever failed, the shard is read again from its cursor (past what was read), after describing the stream.
      this.open.delete(shardId);
      this.mustDescribe = true;
      throw e;
    } finally {
      this.cursors.set(shardId, last);
    }
    if (next) {
      this.open.set(shardId, next);
    } else {
      this.open.delete(shardId);
      this.closed.add(shardId);
      this.mustDescribe = true;
    }
  }
}
