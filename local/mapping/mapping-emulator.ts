import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pause, STOPPED, Stopped, unlessStopped } from './abortable';
import { ArrivalClock } from './arrival-clock';
import { realClock } from './clock';
import { compilePatterns } from './filter-match';
import type { MappingActivity } from './mapping-activity';
import type { MappingContext } from './mapping-context';
import type { MappingEmulatorOptions } from './mapping-options';
import { describeError, STREAM_CALL_BACKOFF, streamCallEpisode } from './retry-episode';
import { ShardRunner } from './shard-runner';
import { GET_RECORDS_LIMIT, IteratorPosition, ShardInfo } from '../engine/stream-source';

export type { MappingEmulatorOptions };
export type { Clock } from './clock';
export type { MappingActivity, MappingComponent } from './mapping-activity';

/** Where a mapping's emulator left its stream, for a successor (`MappingEmulator.handOver`). */
export interface MappingHandOver {
  /** Per shard it knew, where to read on. */
  readonly positions: ReadonlyMap<string, IteratorPosition>;
  /** Per shard, the last record before the mapping's first start (LATEST): the audit starts after it. */
  readonly startAfter: ReadonlyMap<string, string | undefined>;
}

/** Calls of `start()` (DescribeStream, pinning LATEST) tried before the start fails: about 1.5 s of backoff in all. */
const START_ATTEMPTS = 5;
/**
 * How long `stop()` waits for the mapping's tasks to end. Every wait of theirs ends at the stop signal, so
 * this is only a bound, in case one does not: nothing starts after the signal anyway.
 */
const STOP_WAIT_MS = 1000;

/**
 * Emulates one Lambda event source mapping on one DynamoDB stream, with the semantics of the service
 * (docs/offline-runner.md): shard lineage, greedy reads up to the batch size, the batching window, the
 * 6 MB payload limit, filters, retries with backoff, bisection, ReportBatchItemFailures, the retry and
 * record-age limits, parallelization with order kept per item key, and tumbling windows with state.
 * Records read from the stream stay in memory until disposed of, so an iterator that expires is
 * re-taken after the last record read: no gap, no re-read from the start.
 *
 * Every background task (shard discovery, a reader per shard, its lanes) is supervised: a failing Streams
 * call is retried with backoff and reported once per episode, a destination that cannot be written is a
 * destination delivery failure, a bug in a lane ends that lane with its records pending; never an unhandled
 * rejection. `stop()` ends it all at once: what the mapping held then is pending at stop in the ledger.
 */
export class MappingEmulator {
  private readonly context: MappingContext;
  private readonly abort = new AbortController();
  private readonly shards = new Map<string, ShardRunner>();
  private readonly drained = new Set<string>();
  private readonly listed = new Set<string>();
  /** Per shard, the last sequence number that existed when the mapping started (LATEST starts after it). */
  private readonly startAfter = new Map<string, string | undefined>();
  private stopping?: Promise<void>;
  private discovery?: Promise<void>;
  private started = false;
  /** Set by `takeOver`: per shard, where a predecessor left off. */
  private resumeFrom?: ReadonlyMap<string, IteratorPosition>;

  constructor(private readonly options: MappingEmulatorOptions) {
    // Every wait of every lane listens to the stop signal: many at once is the design, not a leak.
    setMaxListeners(0, this.abort.signal);
    const clock = options.clock ?? realClock;
    const ledgerKey = options.ledgerKey ?? options.streamArn;
    this.context = {
      options,
      eventSourceArn: options.eventSourceArn ?? options.streamArn,
      ledgerKey,
      clock,
      // Joined now, not at start: another reader may read first, and the stamp must wait for this one.
      arrivals: options.mapping.enabled ? (options.arrivals ?? new ArrivalClock(clock)).join() : undefined,
      matches: compilePatterns(options.mapping.filterPatterns),
      signal: this.abort.signal,
      streamCallBackoff: options.streamCallBackoff ?? STREAM_CALL_BACKOFF,
      emit: (activity) => this.emit(activity),
    };
    // A disabled mapping reads nothing: its stream's records are not read, rather than lost.
    if (!options.mapping.enabled) options.ledger.mappingDisabled(ledgerKey);
  }

  /** False for a mapping the template disables (`Enabled: false`): it reads nothing, as on AWS. */
  public get enabled(): boolean {
    return this.options.mapping.enabled;
  }

  /** The key of this mapping's records in the ledger. */
  public get ledgerKey(): string {
    return this.context.ledgerKey;
  }

  /** True once `stop()` was called. */
  public get isStopped(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Records the mapping read and has not disposed of: queued, in the batching window, in flight, waiting for
   * a retry, or held by a lane that failed. After `stop()`, what it held at the stop.
   */
  public pendingRecords(): number {
    return this.options.ledger.pendingCount(this.context.ledgerKey);
  }

  /**
   * Starts polling. With LATEST, the current end of every shard is pinned first (never a LATEST iterator).
   * A Streams call that fails is tried again a few times; the start fails only if it keeps failing.
   */
  public async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.options.mapping.enabled) return;
    const { source, streamArn } = this.options;
    const shards = await this.callAtStart('DescribeStream', () => source.describeStream(streamArn));
    if (shards === STOPPED) return;
    // Taken over from a predecessor: its positions (and its LATEST pins) hold, nothing is pinned again.
    if (this.options.mapping.startingPosition === 'LATEST' && !this.resumeFrom) {
      for (const shard of shards) {
        const last = await this.lastSequenceNumber(shard.shardId);
        if (last === STOPPED) return;
        this.startAfter.set(shard.shardId, last);
      }
    }
    this.launch(shards);
    this.discovery = this.discoverShards();
  }

  /** Where the records the mapping holds are (queued, in flight, waiting for a retry), one phrase per busy lane. */
  public describePending(): string[] {
    return [...this.shards.values()].flatMap((s) => s.describe());
  }

  /** True when nothing is queued or being invoked on any shard. */
  public isQuiet(): boolean {
    return [...this.shards.values()].every((s) => s.isQuiet());
  }

  /** Where an audit of the stream should start for this shard: records before it are not the mapping's. */
  public auditStart(shardId: string): string | undefined {
    return this.startAfter.get(shardId);
  }

  /**
   * Stops at once, whatever is pending: no invocation and no failure-destination write starts after the call,
   * an invocation in flight is not waited for (its outcome, if one comes, is ignored), and every wait ends.
   * Resolves within about a second. The ledger keeps what the mapping held as pending at stop. Idempotent.
   */
  public stop(): Promise<void> {
    this.stopping ??= this.halt();
    return this.stopping;
  }

  // ---- Hand-over (the runner's reload): another emulator of the same mapping continues where this one stops. ----
  /**
   * Stops at once, as `stop()` does, for a successor to take over the stream under the same ledger key: the
   * ledger is not told the mapping stopped, and what this one held stays held, to be read again by the
   * successor. Per shard, the successor starts at the first record read and not disposed of (an invocation
   * in flight is ignored, its records delivered again: at least once, as on AWS), else after the last record
   * read, else where this one would have started. Retry counts and tumbling-window state start afresh.
   */
  public async handOver(): Promise<MappingHandOver> {
    this.stopping ??= this.endTasks();
    await this.stopping;
    const positions = new Map<string, IteratorPosition>();
    for (const [shardId, shard] of this.shards) positions.set(shardId, shard.resumePosition() ?? this.initialPosition(shardId));
    return { positions, startAfter: new Map(this.startAfter) };
  }

  /** Before `start()`: continue from where a predecessor's `handOver` left the stream. */
  public takeOver(from: MappingHandOver): void {
    if (this.started) throw new Error('takeOver after start()');
    this.resumeFrom = from.positions;
    for (const [shardId, after] of from.startAfter) this.startAfter.set(shardId, after);
  }
  // ---- end of the hand-over ----

  private async halt(): Promise<void> {
    this.options.ledger.mappingStopped(this.context.ledgerKey);
    await this.endTasks();
    this.emit({ type: 'stopped', shardId: '-', pending: this.pendingRecords() });
  }

  /** Aborts every task of the mapping, and waits for them to end (at most STOP_WAIT_MS). */
  private async endTasks(): Promise<void> {
    this.abort.abort();
    const ended = Promise.all([...[...this.shards.values()].map((s) => s.stop()), this.discovery]);
    await Promise.race([ended, sleep(STOP_WAIT_MS, undefined, { ref: false })]);
  }

  private emit(activity: MappingActivity): void {
    try {
      this.options.onActivity?.(activity);
    } catch (e) {
      process.emitWarning(`onActivity threw on a ${activity.type} activity: ${describeError(e)}`);
    }
  }

  private launch(shards: ShardInfo[]): void {
    if (this.isStopped) return;
    // Every listed shard is known before any starts: a child listed before its parent must still wait.
    for (const shard of shards) this.listed.add(shard.shardId);
    for (const shard of shards) {
      if (this.shards.has(shard.shardId)) continue;
      const runner = new ShardRunner(this.context, shard, {
        parentDrained: () => !shard.parentShardId || this.drained.has(shard.parentShardId) || !this.isKnown(shard.parentShardId),
        markDrained: () => this.drained.add(shard.shardId),
        initialPosition: () => this.initialPosition(shard.shardId),
      });
      this.shards.set(shard.shardId, runner);
      void runner.run();
    }
  }

  /** A parent no longer listed was trimmed with its records: its children need not wait. */
  private isKnown(shardId: string): boolean {
    return this.listed.has(shardId);
  }

  private initialPosition(shardId: string): IteratorPosition {
    const resumed = this.resumeFrom?.get(shardId);
    if (resumed) return resumed;
    const after = this.startAfter.get(shardId);
    return after ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after } : { type: 'TRIM_HORIZON' };
  }

  /** Looks for new shards every interval; DescribeStream failing only delays that (the shards found are read on). */
  private async discoverShards(): Promise<void> {
    const interval = this.options.shardDiscoveryIntervalMs ?? 1000;
    const { signal } = this.context;
    const episode = streamCallEpisode(this.context, 'shard-discovery', '-',
      () => 'new shards are not found until it succeeds (retried with backoff); the shards found are read on');
    let wait = interval;
    let last = Date.now();
    while (await this.untilNextDiscovery(wait, last)) {
      last = Date.now();
      try {
        const shards = await unlessStopped(this.options.source.describeStream(this.options.streamArn), signal);
        if (shards === STOPPED) return;
        episode.succeeded();
        // Shards created after the start hold only new records: they are read from TRIM_HORIZON.
        this.launch(shards);
        wait = interval;
      } catch (e) {
        wait = Math.max(interval, episode.failed(e, 'DescribeStream'));
      }
    }
  }

  /**
   * The pause between two DescribeStream calls: `wait`; with a doorbell, ten times longer or as long as an idle
   * reader's pause (the longer) while nothing rings (a new shard matters only once records are written), and at least `wait` after the last call when it does.
   */
  private async untilNextDiscovery(wait: number, last: number): Promise<boolean> {
    const { signal } = this.context;
    const doorbell = this.options.doorbell;
    if (!doorbell) return pause(wait, signal);
    if (!await doorbell.wait(Math.max(wait * 10, this.options.idlePollIntervalMs ?? 0), signal)) return false;
    const early = wait - (Date.now() - last);
    return early > 0 ? pause(early, signal) : !signal.aborted;
  }

  private async lastSequenceNumber(shardId: string): Promise<string | undefined | Stopped> {
    const { source, streamArn } = this.options;
    let iterator: string | undefined | Stopped = await this.callAtStart('GetShardIterator',
      () => source.getShardIterator(streamArn, shardId, { type: 'TRIM_HORIZON' }));
    let last: string | undefined;
    while (typeof iterator === 'string') {
      const at: string = iterator;
      const page = await this.callAtStart('GetRecords', () => source.getRecords(at, GET_RECORDS_LIMIT));
      if (page === STOPPED) return STOPPED;
      if (page.records.length === 0) break;
      last = page.records[page.records.length - 1].dynamodb?.SequenceNumber ?? last;
      iterator = page.nextShardIterator;
    }
    return iterator === STOPPED ? STOPPED : last;
  }

  /**
   * A Streams call of `start()`, tried up to START_ATTEMPTS times with backoff (reported once); a stream
   * that does not exist fails at once. A stop meanwhile gives STOPPED.
   */
  private async callAtStart<T>(operation: string, call: () => Promise<T>): Promise<T | Stopped> {
    const { signal } = this.context;
    const episode = streamCallEpisode(this.context, 'start', '-', () => `the mapping does not start until it succeeds (tried ${START_ATTEMPTS} times)`);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await unlessStopped(Promise.resolve().then(call), signal);
        if (result !== STOPPED) episode.succeeded();
        return result;
      } catch (e) {
        if ((e as { name?: string })?.name === 'ResourceNotFoundException' || attempt >= START_ATTEMPTS) {
          throw new Error(`${operation} on ${this.options.streamArn} failed${attempt > 1 ? ` ${attempt} times` : ''}: ${describeError(e)}`, { cause: e });
        }
        if (!await pause(episode.failed(e, operation), signal)) return STOPPED;
      }
    }
  }
}
