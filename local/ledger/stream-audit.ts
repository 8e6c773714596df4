import { GET_RECORDS_LIMIT, isIteratorLost, StreamSource } from '../engine/stream-source';

/** A record that exists in a stream. */
export interface ExistingRecord {
  readonly streamArn: string;
  readonly sequenceNumber: string;
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

  /**
   * @param startAfter per shard, the last sequence number before the mapping's start (LATEST): records up
   *   to it are not the mapping's to process.
   */
  constructor(private readonly source: StreamSource, private readonly streamArn: string,
    private readonly startAfter: (shardId: string) => string | undefined) {}

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
          this.found.push({ streamArn: this.streamArn, sequenceNumber: last });
        }
        if (page.records.length === 0) break;
        iterator = page.nextShardIterator;
      }
      this.cursors.set(shard.shardId, last);
    }
  }
}
