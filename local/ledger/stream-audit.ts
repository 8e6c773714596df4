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
    for (const shard of await this.source.describeStream(this.streamArn)) {
      const after = this.cursors.has(shard.shardId) ? this.cursors.get(shard.shardId) : this.startAfter(shard.shardId);
      let iterator: string | undefined;
      try {
        iterator = await this.source.getShardIterator(this.streamArn, shard.shardId,
          after ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after } : { type: 'TRIM_HORIZON' });
      } catch (e) {
        if (isIteratorLost(e)) continue;
        throw e;
      }
      let last = after;
      while (iterator) {
        const page = await this.source.getRecords(iterator, GET_RECORDS_LIMIT);
        for (const r of page.records) {
          last = r.dynamodb!.SequenceNumber!;
          const minute = r.dynamodb!.ApproximateCreationDateTime;
          if (minute !== undefined) this.arrivals?.creationTime(last, toEpochSeconds(minute));
          this.found.push({ streamArn: this.ledgerKey, sequenceNumber: last });
        }
        if (page.records.length === 0) break;
        iterator = page.nextShardIterator;
      }
      this.cursors.set(shard.shardId, last);
    }
  }
}
