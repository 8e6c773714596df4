import type { DynamoDBRecord } from 'aws-lambda';
import { pause, STOPPED, Stopped, unlessStopped } from './abortable';
import { decideBatch, LastResponse } from './batch-decision';
import type { MappingContext, Queued } from './mapping-context';
import { describeError } from './retry-episode';
import { deliverFailedBatch } from '../destinations/destination-delivery';
import type { FailedBatch, FailureCondition } from '../destinations/failure-destination-writer';
import type { InvokeResult } from '../lambda/function-host';
import { batchOf, plural } from '../wording';

/** A Lambda invocation payload is at most 6 MB; the mapping cuts batches to fit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room for the event envelope (`{"Records":[...]}` and tumbling-window fields). */
const ENVELOPE_BYTES = 16 * 1024;

interface PendingBatch {
  records: DynamoDBRecord[];
  /** Failed invocations of exactly these records so far (bisecting starts the halves afresh). */
  attempts: number;
  lastResponse?: LastResponse;
}

/**
 * One slot of the parallelization factor: records of the same item always land in the same lane, and a
 * lane processes its batches one after another, so order is kept per item key.
 *
 * A stop ends the lane at once, whatever it waits for (the batching window, a backoff, an invocation in
 * flight): its records stay held in the ledger, pending at stop, and an outcome that comes later is ignored.
 * An error in the lane's own code ends the lane too, reported once; its records stay pending.
 */
export class Lane {
  private readonly queue: Queued[] = [];
  /** The batch being processed (records of it may be disposed of already). */
  private current: readonly Queued[] = [];
  private caughtUp = false;
  private closed = false;
  private busy = false;
  private crashed = false;
  private wake?: () => void;
  private window?: { start: number; end: number; state: unknown };
  /**
   * When the oldest queued record was queued (the batching window runs from it). Real time, not the
   * injectable clock: the window is a wait the lane does, while the clock stands for record time (age, tumbling).
   */
  private oldestQueuedAt = Number.MAX_SAFE_INTEGER;
  /** What the lane is doing with its current batch, in words (for `waitForIdle`'s timeout message, while busy). */
  private doing?: string;

  constructor(private readonly context: MappingContext, private readonly shardId: string, private readonly name: string) {}

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

  /** True when the lane ended on an error of its own (reported): what it holds stays pending. */
  public get hasCrashed(): boolean {
    return this.crashed;
  }

  /** Records the lane holds and has not disposed of: queued, in the batching window, in flight, waiting for a retry. */
  public heldRecords(): number {
    const { ledger } = this.context.options;
    const unfinished = this.current.filter((q) => !ledger.isDisposed(this.context.ledgerKey, q.record.dynamodb!.SequenceNumber!));
    return this.queue.length + unfinished.length;
  }

  // ---- Hand-over hook (the runner's reload): where a successor of this mapping resumes. ----
  /** Sequence numbers of the records the lane holds and has not disposed of (see `heldRecords`). */
  public heldSequenceNumbers(): string[] {
    const { ledger } = this.context.options;
    return [...this.current, ...this.queue].map((q) => q.record.dynamodb!.SequenceNumber!)
      .filter((seq) => !ledger.isDisposed(this.context.ledgerKey, seq));
  }
  // ---- end of the hand-over hook ----

  /** Where the lane's records are, in words; undefined when it holds none. */
  public describe(): string | undefined {
    const held = this.heldRecords();
    if (held === 0 && !this.busy) return undefined;
    const queued = this.queue.length ? `${plural(this.queue.length, 'record')} queued` : '';
    const current = this.busy ? (this.doing ?? 'processing a batch') : '';
    return `${this.name}: ${[current, queued].filter(Boolean).join('; ') || plural(held, 'record')}${this.crashed ? ' (the lane failed: they stay pending)' : ''}`;
  }

  public isQuiet(): boolean {
    return !this.busy && this.window === undefined && this.heldRecords() === 0;
  }

  /** Processes batches until the shard is closed and done, or the mapping stops. Never rejects. */
  public async run(): Promise<void> {
    try {
      await this.loop();
    } catch (e) {
      this.crashed = true;
      this.context.emit({
        type: 'error',
        shardId: this.shardId,
        component: 'lane',
        message: `${this.name} failed: ${String((e as Error)?.stack ?? e)}`,
        affects: `${this.describeHeld()} stay pending, and so do the records of this slot read later`,
        retrying: false,
      });
    }
  }

  /** For the crash report, which must not fail in turn (the ledger may be what failed). */
  private describeHeld(): string {
    try {
      return `its ${this.heldRecords()} records`;
    } catch {
      return 'its records';
    }
  }

  private async loop(): Promise<void> {
    const windowMs = this.context.options.mapping.maxBatchingWindowSeconds * 1000;
    const { signal } = this.context;
    while (!signal.aborted) {
      const next = this.readyBatch(windowMs);
      if (next) {
        this.busy = true;
        this.current = next;
        try {
          await this.process(next);
        } finally {
          this.busy = false;
          this.doing = undefined;
        }
        continue;
      }
      if (this.closed && this.queue.length === 0) {
        await this.endWindow();
        return;
      }
      if (this.window && this.queue.length === 0 && this.context.clock.now() >= this.window.end) {
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
    const mapping = this.context.options.mapping;
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

  /** Waits for a record, the end of the batching window, or the stop, whichever comes first. */
  private idle(windowMs: number): Promise<void> {
    const { signal } = this.context;
    // An empty lane sleeps until a record, the reader or the stop pokes it (no timer, no idle CPU); an open
    // tumbling window is looked at every 100 ms, as its end is on the mapping's clock, which may be a test's.
    const timeout = this.queue.length > 0 ? Math.max(1, windowMs - (Date.now() - this.oldestQueuedAt)) : this.window ? 100 : undefined;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = timeout === undefined ? undefined : setTimeout(done, timeout);
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async process(queued: Queued[]): Promise<void> {
    const { ledger, mapping } = this.context.options;
    const { ledgerKey, signal } = this.context;
    const tumblingMs = mapping.tumblingWindowSeconds * 1000;
    if (tumblingMs > 0) {
      const start = Math.floor(queued[0].arrivedAt / tumblingMs) * tumblingMs;
      if (this.window && this.window.start !== start) await this.endWindow();
      if (signal.aborted) return;
      if (!this.window) this.window = { start, end: start + tumblingMs, state: {} };
    }

    // Filters: records that do not match are dropped and checkpointed past, never delivered.
    const kept: DynamoDBRecord[] = [];
    const dropped: DynamoDBRecord[] = [];
    for (const q of queued) (this.context.matches(q.record) ? kept : dropped).push(q.record);
    if (dropped.length > 0) {
      ledger.filtered(ledgerKey, dropped);
      this.context.emit({ type: 'filtered', shardId: this.shardId, records: dropped.length });
    }
    if (kept.length === 0) return;

    const pending: PendingBatch[] = [{ records: kept, attempts: 0 }];
    while (pending.length > 0) {
      const batch = pending[0];
      // The record-age limit: records older than it go to the failure destination without an invocation.
      if (mapping.maximumRecordAgeSeconds >= 0) {
        const limit = this.context.clock.now() - mapping.maximumRecordAgeSeconds * 1000;
        const isExpired = (r: DynamoDBRecord) => r.dynamodb!.ApproximateCreationDateTime! * 1000 < limit;
        const expired = batch.records.filter(isExpired);
        if (expired.length > 0) {
          const sent = await this.sendToFailureDestination(expired, 'RecordAgeExceeded', batch.attempts, batch.lastResponse);
          if (sent === STOPPED) return;
          batch.records = batch.records.filter((r) => !isExpired(r));
          if (batch.records.length === 0) {
            pending.shift();
            continue;
          }
        }
      }

      // No invocation starts after the stop.
      if (signal.aborted) return;
      const event = this.event(batch.records, false);
      ledger.invoked(ledgerKey, batch.records);
      this.doing = `invoking ${this.functionName} with ${batchOf(batch.records.length)}` + (batch.attempts > 0 ? ` (retry ${batch.attempts})` : '');
      const result = await this.invoke(event);
      if (result === STOPPED) return;
      this.context.emit({ type: 'invoke', shardId: this.shardId, records: batch.records.length, result, event });

      const sequenceNumbers = batch.records.map((r) => r.dynamodb!.SequenceNumber!);
      const decision = decideBatch(mapping, { sequenceNumbers, attempts: batch.attempts }, result);
      switch (decision.action) {
        case 'checkpoint-all':
          ledger.delivered(ledgerKey, batch.records);
          this.keepState(result);
          pending.shift();
          break;
        case 'bisect':
          this.context.emit({ type: 'bisect', shardId: this.shardId, records: batch.records.length });
          pending.splice(0, 1,
            { records: batch.records.slice(0, decision.firstHalf), attempts: 0 },
            { records: batch.records.slice(decision.firstHalf), attempts: 0 });
          break;
        case 'failure-destination': {
          ledger.delivered(ledgerKey, batch.records.slice(0, decision.checkpoint));
          const sent = await this.sendToFailureDestination(batch.records.slice(decision.checkpoint), decision.condition,
            decision.invokeCount, decision.lastResponse);
          if (sent === STOPPED) return;
          pending.shift();
          break;
        }
        case 'retry': {
          // The records before the checkpoint are done and not resent.
          ledger.delivered(ledgerKey, batch.records.slice(0, decision.checkpoint));
          batch.records = batch.records.slice(decision.checkpoint);
          batch.attempts = decision.attempt;
          batch.lastResponse = decision.lastResponse;
          this.context.emit({
            type: 'retry', shardId: this.shardId, attempt: decision.attempt, reason: decision.reason, records: batch.records.length,
          });
          const backoff = this.backoff(decision.attempt);
          this.doing = `waiting ${backoff} ms before retry ${decision.attempt} of ${batchOf(batch.records.length)} (${decision.reason})`;
          if (!await pause(backoff, signal)) return;
          break;
        }
      }
    }
  }

  /**
   * Invokes the function unless the mapping stops first; an invocation still running then is not waited for.
   * An invoke call that fails without an outcome (the host could not run it) counts as a failed invocation,
   * so that it is retried within the mapping's limits instead of holding the shard for ever.
   */
  private async invoke(event: unknown): Promise<InvokeResult | Stopped> {
    const { signal } = this.context;
    try {
      return await unlessStopped(Promise.resolve().then(() => this.context.options.invoke(event)), signal);
    } catch (e) {
      if (signal.aborted) return STOPPED;
      const name = (e as { name?: unknown })?.name;
      return {
        status: 'error',
        errorType: typeof name === 'string' ? name : 'Error',
        errorMessage: `the invocation failed without an outcome: ${describeError(e)}`,
        durationMs: 0,
        requestId: '',
        coldStart: false,
      };
    }
  }

  private get functionName(): string {
    return this.context.options.functionArn.split(':').pop()!;
  }

  private backoff(attempt: number): number {
    const { baseMs, maxMs } = this.context.options.retryBackoff ?? { baseMs: 100, maxMs: 2000 };
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
    const { signal } = this.context;
    const event = this.event([], true);
    this.doing = `invoking ${this.functionName} to end its tumbling window`;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) return;
      const result = await this.invoke(event);
      if (result === STOPPED) return;
      this.context.emit({ type: 'invoke', shardId: this.shardId, records: 0, result, event });
      if (result.status === 'ok' || attempt >= Math.max(0, this.context.options.mapping.maximumRetryAttempts)) break;
      if (!await pause(this.backoff(attempt + 1), signal)) return;
    }
    this.window = undefined;
  }

  /**
   * Sends records that failed for good to the failure destination (or drops them without one). A destination
   * that cannot be written is a destination delivery failure: counted, reported, and moved past, as AWS does.
   */
  private async sendToFailureDestination(records: DynamoDBRecord[], condition: FailureCondition, invokeCount: number,
    lastResponse?: LastResponse): Promise<'disposed' | Stopped> {
    const { ledger, destination } = this.context.options;
    const { ledgerKey, signal } = this.context;
    if (signal.aborted) return STOPPED;
    if (!destination) {
      ledger.dropped(ledgerKey, records, condition);
      this.context.emit({ type: 'dropped', shardId: this.shardId, condition, records: records.length });
      return 'disposed';
    }
    this.doing = `sending ${plural(records.length, 'record')} to the failure destination (${condition})`;
    const batch: FailedBatch = {
      condition,
      functionArn: this.context.options.functionArn,
      approximateInvokeCount: invokeCount,
      lastResponse: lastResponse ?? { statusCode: 200 },
      shardId: this.shardId,
      streamArn: this.context.eventSourceArn,
      records,
      event: this.event(records, false),
      now: new Date(this.context.clock.now()),
    };
    const outcome = await deliverFailedBatch(destination, batch, { signal, retry: this.context.options.destinationRetry });
    switch (outcome.kind) {
      case 'written':
        ledger.failed(ledgerKey, records, condition);
        this.context.emit({ type: 'failure-destination', shardId: this.shardId, condition, records: records.length, location: outcome.location });
        return 'disposed';
      case 'failed':
        ledger.destinationDeliveryFailed(ledgerKey, records, condition);
        this.context.emit({
          type: 'destination-delivery-failed',
          shardId: this.shardId,
          condition,
          records: records.length,
          destination: destination.location,
          attempts: outcome.attempts,
          message: describeError(outcome.error),
        });
        return 'disposed';
      case 'stopped':
        // A write under way at the stop that still succeeds did put the records there: the ledger says so.
        void outcome.lateWrite.then((location) => {
          if (location !== undefined) ledger.failed(ledgerKey, records, condition);
        });
        return STOPPED;
    }
  }
}
