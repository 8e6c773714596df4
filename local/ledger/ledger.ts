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
  /** Invocations outside the mapping (the replay of a failed batch, through the Lambda endpoint) that processed it. */
  replays: number;
  filtered: boolean;
  /** Condition under which it went to the failure destination, when it did. */
  failedWith?: string;
  /** Set when it was dropped without a destination (retries or age ran out and there is none). */
  dropped?: string;
  /**
   * Set when it was bound for the failure destination under this condition and the destination could not be
   * written (AWS's DestinationDeliveryFailures): the mapping moved past it, as AWS's does.
   */
  destinationDeliveryFailed?: string;
  /**
   * True while its mapping holds it: read and not yet disposed of (queued in a lane, in the batching window,
   * in flight, waiting for a retry). Such a record is pending, not lost.
   */
  held: boolean;
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
  /**
   * Bound for the failure destination, which could not be written (AWS's DestinationDeliveryFailures): the
   * mapping moved past them, so they are neither retried nor lost, but they are nowhere else.
   */
  readonly destinationDeliveryFailed: number;
  /** Of `sentToFailureDestination`, those a replay processed afterwards (each counted once, however often replayed). */
  readonly replayed: number;
  /** Read by their mapping and not yet disposed of: queued, in the batching window, in flight, waiting for a retry. */
  readonly pending: number;
  /** Of `pending`, those whose mapping was stopped while it held them: they stay pending for good. */
  readonly pendingAtStop: number;
  /** Records in the streams of disabled mappings (`disabledMappings`): a disabled mapping reads nothing, as on AWS. */
  readonly notRead: number;
  /** The ledger keys of the disabled mappings summarized. */
  readonly disabledMappings: readonly string[];
  /** Records in the streams that a mapping neither disposed of nor holds (it never read them): must be 0. */
  readonly lost: number;
}

/**
 * Every stream record the mappings read and what became of it, keyed by ledger key and sequence number.
 * The ledger key is the stream ARN, unless several mappings read one stream: each then has a key of its own,
 * so that each disposes of every record. First deliveries are also kept per item (and key), to check that
 * they follow write order.
 *
 * A record the mapping read and still holds (queued, in flight, waiting for a retry) is pending; one it never
 * read is lost, unless its mapping is disabled (not read, as on AWS). A stopped mapping's pending records
 * stay pending, counted as pending at stop.
 */
export class Ledger {
  private readonly records = new Map<string, RecordDisposition>();
  private readonly firstDeliveriesByItem = new Map<string, string[]>();
  private readonly heldCounts = new Map<string, number>();
  private readonly stoppedKeys = new Set<string>();
  private readonly disabledKeys = new Set<string>();
  private readonly releaseListeners = new Set<() => void>();

  /** Calls `listener` whenever a held record is disposed of (what `waitForIdle` waits on); returns its removal. */
  public onRelease(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

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
        replays: 0,
        filtered: false,
        held: false,
      };
      this.records.set(key, entry);
    }
    return entry;
  }

  /** The mapping holds these records until it disposes of them (it read them, and queued them for a lane). */
  public held(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
    for (const r of records) {
      const entry = this.seen(ledgerKey, r);
      if (entry.held || isDisposed(entry)) continue;
      entry.held = true;
      this.heldCounts.set(ledgerKey, (this.heldCounts.get(ledgerKey) ?? 0) + 1);
    }
  }

  /** Records the mapping of `ledgerKey` holds now (see `held`). */
  public pendingCount(ledgerKey: string): number {
    return this.heldCounts.get(ledgerKey) ?? 0;
  }

  /** The mapping of `ledgerKey` was stopped: what it still holds is pending at stop. */
  public mappingStopped(ledgerKey: string): void {
    this.stoppedKeys.add(ledgerKey);
  }

  /** The mapping of `ledgerKey` is disabled: it reads nothing, so its stream's records are not read rather than lost. */
  public mappingDisabled(ledgerKey: string): void {
    this.disabledKeys.add(ledgerKey);
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
      this.release(entry);
    }
  }

  /** A replay (an invocation outside the mapping) processed these records. They keep their disposition. */
  public replayed(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
    for (const r of records) this.seen(ledgerKey, r).replays++;
  }

  public filtered(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
    this.dispose(ledgerKey, records, (e) => { e.filtered = true; });
  }

  public failed(ledgerKey: string, records: readonly DynamoDBRecord[], condition: string): void {
    this.dispose(ledgerKey, records, (e) => { e.failedWith = condition; });
  }

  public dropped(ledgerKey: string, records: readonly DynamoDBRecord[], condition: string): void {
    this.dispose(ledgerKey, records, (e) => { e.dropped = condition; });
  }

  /** The failure destination could not be written for these records (bound there under `condition`). */
  public destinationDeliveryFailed(ledgerKey: string, records: readonly DynamoDBRecord[], condition: string): void {
    this.dispose(ledgerKey, records, (e) => { e.destinationDeliveryFailed = condition; });
  }

  public get(ledgerKey: string, sequenceNumber: string): RecordDisposition | undefined {
    return this.records.get(`${ledgerKey}|${sequenceNumber}`);
  }

  public isDisposed(ledgerKey: string, sequenceNumber: string): boolean {
    const e = this.get(ledgerKey, sequenceNumber);
    return e !== undefined && isDisposed(e);
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
   * @param ledgerKeys the mappings summarized, so that a disabled one is named even when its stream is empty
   */
  public summarize(existing: ReadonlyArray<{ streamArn: string; sequenceNumber: string }>, ledgerKeys: readonly string[] = []): LedgerSummary {
    let delivered = 0; let filtered = 0; let failed = 0; let replayed = 0; let dropped = 0; let deliveryFailed = 0;
    let pending = 0; let pendingAtStop = 0; let notRead = 0; let lost = 0;
    const disabled = new Set(ledgerKeys.filter((k) => this.disabledKeys.has(k)));
    for (const { streamArn: ledgerKey, sequenceNumber } of existing) {
      const e = this.get(ledgerKey, sequenceNumber);
      if (e && isDisposed(e)) {
        if (e.failedWith && e.replays > 0) replayed++;
        if (e.failedWith) failed++;
        else if (e.destinationDeliveryFailed) deliveryFailed++;
        else if (e.dropped) dropped++;
        else if (e.filtered) filtered++;
        else delivered++;
      } else if (e?.held) {
        pending++;
        if (this.stoppedKeys.has(ledgerKey)) pendingAtStop++;
      } else if (this.disabledKeys.has(ledgerKey)) {
        notRead++;
        disabled.add(ledgerKey);
      } else {
        lost++;
      }
    }
    return {
      written: existing.length,
      delivered,
      filtered,
      sentToFailureDestination: failed,
      replayed,
      dropped,
      destinationDeliveryFailed: deliveryFailed,
      pending,
      pendingAtStop,
      notRead,
      disabledMappings: [...disabled].sort(),
      lost,
    };
  }

  private dispose(ledgerKey: string, records: readonly DynamoDBRecord[], mark: (entry: RecordDisposition) => void): void {
    for (const r of records) {
      const entry = this.seen(ledgerKey, r);
      mark(entry);
      this.release(entry);
    }
  }

  /** A disposed record is no longer held. */
  private release(entry: RecordDisposition): void {
    if (!entry.held) return;
    entry.held = false;
    this.heldCounts.set(entry.streamArn, (this.heldCounts.get(entry.streamArn) ?? 1) - 1);
    for (const listener of this.releaseListeners) listener();
  }
}

/** Identifies an item across its records: the ledger key plus its key attributes in a stable order. */
export function itemKeyOf(ledgerKey: string, record: DynamoDBRecord): string {
  const keys = record.dynamodb?.Keys ?? {};
  const sorted = Object.keys(keys).sort().map((k) => [k, (keys as Record<string, unknown>)[k]]);
  return `${ledgerKey}|${JSON.stringify(sorted)}`;
}

/** Delivered, filtered out, or gone to the failure destination, dropped, or bound there and undeliverable. */
function isDisposed(e: RecordDisposition): boolean {
  return e.deliveries > 0 || e.filtered || e.failedWith !== undefined || e.dropped !== undefined
    || e.destinationDeliveryFailed !== undefined;
}
