import type { DynamoDBRecord } from 'aws-lambda';
import { compareSequenceNumbers } from '../engine/sequence';

/** How one stream record was disposed of. A record may be delivered more than once (at least once). */
export interface RecordDisposition {
  /** The ledger key the record was registered under: its stream's ARN, or its mapping's key when mappings share a stream. */
  readonly streamArn: string;
  readonly sequenceNumber: string;
  readonly itemKey: string;
  readonly eventName: string;
  /** Invocations that delivered it and were checkpointed past it. */
  deliveries: number;
  /** Invocations it was part of (successful or not). */
  invocations: number;
  filtered: boolean;
  /** Condition under which it went to the failure destination, when it did. */
  failedWith?: string;
  /** Set when it was dropped without a destination (retries or age ran out and there is none). */
  dropped?: string;
}

/** Totals of a run, the "nothing is lost" check included. */
export interface LedgerSummary {
  /** Records that exist in the streams (read independently of the mappings). */
  readonly written: number;
  readonly delivered: number;
  readonly filtered: number;
  readonly sentToFailureDestination: number;
  /** Dropped because no failure destination was configured (counted by the mapping, like DroppedEventCount). */
  readonly dropped: number;
  /** Records in the streams that no mapping disposed of: must be 0. */
  readonly lost: number;
}

/**
 * Every stream record the mappings read and what became of it, keyed by ledger key and sequence number.
 * The ledger key is the stream ARN, unless several mappings read one stream: each then has a key of its own,
 * so that each disposes of every record. First deliveries are also kept per item (and key), to check that
 * they follow write order.
 */
export class Ledger {
  private readonly records = new Map<string, RecordDisposition>();
  private readonly firstDeliveriesByItem = new Map<string, string[]>();

  /** Registers a record read from the stream (idempotent). */
  public seen(ledgerKey: string, record: DynamoDBRecord): RecordDisposition {
    const sequenceNumber = record.dynamodb!.SequenceNumber!;
    const key = `${ledgerKey}|${sequenceNumber}`;
    let entry = this.records.get(key);
    if (!entry) {
      entry = {
        streamArn: ledgerKey,
        sequenceNumber,
        itemKey: itemKeyOf(ledgerKey, record),
        eventName: record.eventName ?? '?',
        deliveries: 0,
        invocations: 0,
        filtered: false,
      };
      this.records.set(key, entry);
    }
    return entry;
  }

  public invoked(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
    for (const r of records) this.seen(ledgerKey, r).invocations++;
  }

  public delivered(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
    for (const r of records) {
      const entry = this.seen(ledgerKey, r);
      if (entry.deliveries === 0) {
        const list = this.firstDeliveriesByItem.get(entry.itemKey) ?? [];
        list.push(entry.sequenceNumber);
        this.firstDeliveriesByItem.set(entry.itemKey, list);
      }
      entry.deliveries++;
    }
  }

  public filtered(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
    for (const r of records) this.seen(ledgerKey, r).filtered = true;
  }

  public failed(ledgerKey: string, records: readonly DynamoDBRecord[], condition: string): void {
    for (const r of records) this.seen(ledgerKey, r).failedWith = condition;
  }

  public dropped(ledgerKey: string, records: readonly DynamoDBRecord[], condition: string): void {
    for (const r of records) this.seen(ledgerKey, r).dropped = condition;
  }

  public get(ledgerKey: string, sequenceNumber: string): RecordDisposition | undefined {
    return this.records.get(`${ledgerKey}|${sequenceNumber}`);
  }

  public isDisposed(ledgerKey: string, sequenceNumber: string): boolean {
    const e = this.get(ledgerKey, sequenceNumber);
    return e !== undefined && (e.deliveries > 0 || e.filtered || e.failedWith !== undefined || e.dropped !== undefined);
  }

  public all(): RecordDisposition[] {
    return [...this.records.values()];
  }

  /** Items whose first deliveries did not follow stream (write) order: must be empty. */
  public outOfOrderItems(): string[] {
    const bad: string[] = [];
    for (const [item, seqs] of this.firstDeliveriesByItem) {
      for (let i = 1; i < seqs.length; i++) {
        if (compareSequenceNumbers(seqs[i - 1], seqs[i]) > 0) {
          bad.push(item);
          break;
        }
      }
    }
    return bad;
  }

  /**
   * Totals against the records that exist in the streams, as the audit lists them: `streamArn` holds the
   * ledger key the audit was given (the stream ARN by default).
   */
  public summarize(existing: ReadonlyArray<{ streamArn: string; sequenceNumber: string }>): LedgerSummary {
    let delivered = 0; let filtered = 0; let failed = 0; let dropped = 0; let lost = 0;
    for (const { streamArn: ledgerKey, sequenceNumber } of existing) {
      const e = this.get(ledgerKey, sequenceNumber);
      if (!e || !this.isDisposed(ledgerKey, sequenceNumber)) lost++;
      else if (e.failedWith) failed++;
      else if (e.dropped) dropped++;
      else if (e.filtered) filtered++;
      else delivered++;
    }
    return { written: existing.length, delivered, filtered, sentToFailureDestination: failed, dropped, lost };
  }
}

/** Identifies an item across its records: the ledger key plus its key attributes in a stable order. */
export function itemKeyOf(ledgerKey: string, record: DynamoDBRecord): string {
  const keys = record.dynamodb?.Keys ?? {};
  const sorted = Object.keys(keys).sort().map((k) => [k, (keys as Record<string, unknown>)[k]]);
  return `${ledgerKey}|${JSON.stringify(sorted)}`;
}
