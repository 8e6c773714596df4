import { Clock, realClock } from './clock';

/**
 * When each record of one stream was written, as AWS would tell it. DynamoDB Local rounds a record's
 * `ApproximateCreationDateTime` down to the minute; AWS gives the write time rounded down to the second.
 * The closest local witness of the write time is the first moment any reader of the stream read the
 * record, so that is what is remembered, per sequence number, and every reader (each mapping on the
 * stream and the audit) gets the same answer whichever of them read first.
 *
 * Memory: an entry is forgotten as soon as every reader that joined has asked for it, so with readers that
 * keep up nothing accumulates. Entries some reader never asks for (a mapping that started at LATEST, or
 * was stopped, or lags far behind) are bounded by `maxEntries`: past it the oldest entries are forgotten,
 * and a reader that comes to such a record later stamps it afresh, which the clamp to the record's minute
 * keeps within DynamoDB Local's own accuracy.
 */
export class ArrivalClock {
  private readonly entries = new Map<string, { seconds: number; askedBy: number }>();
  private readonly maxEntries: number;
  private readers = 0;

  constructor(private readonly clock: Clock = realClock, options: { readonly maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /**
   * Adds a reader of the stream. Every reader joins before any of them reads: a record all joined readers
   * have asked for is forgotten, so one who joins later would stamp it again.
   */
  public join(): ArrivalReader {
    this.readers++;
    return { creationTime: (sequenceNumber, minuteSeconds) => this.creationTime(sequenceNumber, minuteSeconds) };
  }

  /** Records remembered now (for tests and diagnostics). */
  public get size(): number {
    return this.entries.size;
  }

  private creationTime(sequenceNumber: string, minuteSeconds: number): number {
    const entry = this.entries.get(sequenceNumber);
    if (entry) {
      entry.askedBy++;
      if (entry.askedBy >= this.readers) this.entries.delete(sequenceNumber);
      return entry.seconds;
    }
    // Not written before its minute began, nor after it ended (a reader may come to it much later).
    const firstRead = Math.floor(this.clock.now() / 1000);
    const seconds = Math.min(minuteSeconds + 59, Math.max(minuteSeconds, firstRead));
    if (this.readers > 1) {
      this.entries.set(sequenceNumber, { seconds, askedBy: 1 });
      // A Map iterates in insertion order: the first key is the oldest entry.
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return seconds;
  }
}

/** One reader's view of an `ArrivalClock`. */
export interface ArrivalReader {
  /**
   * The record's creation time in epoch seconds: when a reader of the stream first read it, floored to the
   * second and clamped into `[minuteSeconds, minuteSeconds + 59]`. Each reader asks once per record.
   * @param minuteSeconds DynamoDB Local's `ApproximateCreationDateTime` (epoch seconds, rounded down to the minute)
   */
  creationTime(sequenceNumber: string, minuteSeconds: number): number;
}
