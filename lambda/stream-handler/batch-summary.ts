/**
 * The one summary line per invocation: what came in, what was logged, what Lambda will send again.
 */
import { DescribedRecord, EventName } from './describe-record';

/** ok: every record logged. partial: a record failed, Lambda resends from it. failed: the whole batch is retried. */
export type Outcome = 'ok' | 'partial' | 'failed';

export type SummaryLine = {
  outcome: Outcome;
  records: number;
  processed: number;
  failures: number;
  eventNames: Record<EventName, number>;
  ttlDeletes: number;
  oldestAgeMs?: number;
  failedSequenceNumber?: string;
};

export class BatchSummary {
  private processed = 0;
  private ttlDeletes = 0;
  private oldestAgeMs: number | undefined;
  private readonly eventNames: Record<EventName, number> = { INSERT: 0, MODIFY: 0, REMOVE: 0 };

  constructor(private readonly records: number) {}

  public add(record: DescribedRecord): void {
    this.processed++;
    this.eventNames[record.eventName]++;
    if (record.ttlDelete) {
      this.ttlDeletes++;
    }
    // A record without a plausible creation time has no age: it does not count towards the oldest.
    if (record.ageMs !== undefined && (this.oldestAgeMs === undefined || record.ageMs > this.oldestAgeMs)) {
      this.oldestAgeMs = record.ageMs;
    }
  }

  public line(outcome: Outcome, failedSequenceNumber?: string): SummaryLine {
    const line: SummaryLine = {
      outcome,
      records: this.records,
      processed: this.processed,
      failures: outcome === 'ok' ? 0 : 1,
      eventNames: { ...this.eventNames },
      ttlDeletes: this.ttlDeletes,
    };
    if (this.oldestAgeMs !== undefined) {
      line.oldestAgeMs = this.oldestAgeMs;
    }
    if (failedSequenceNumber !== undefined) {
      line.failedSequenceNumber = failedSequenceNumber;
    }
    return line;
  }
}
