/**
 * A run of consecutive failures of one background task (a shard reader's Streams calls, shard discovery),
 * as Lambda's poller handles them: retry with a growing, bounded backoff, and tell about it once when the
 * trouble starts and once when it is over, never on every retry.
 */

import type { MappingComponent } from './mapping-activity';
import type { MappingContext } from './mapping-context';

/** Backoff of a task that retries: `baseMs` doubled per consecutive failure, never above `maxMs`. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Default backoff of Streams calls that fail: 100 ms, doubling, up to 5 s. */
export const STREAM_CALL_BACKOFF: Backoff = { baseMs: 100, maxMs: 5000 };

export interface EpisodeReporter {
  /** The first failure of an episode. */
  started(error: unknown, operation: string): void;
  /** The first success after an episode; `failures` is how many calls failed in it, `operation` the first that did. */
  ended(failures: number, operation: string): void;
}

export class RetryEpisode {
  private failures = 0;
  private operation = '';

  constructor(private readonly backoff: Backoff, private readonly reporter: EpisodeReporter) {}

  /** True while failures go on (between a failure and the next success). */
  public get ongoing(): boolean {
    return this.failures > 0;
  }

  /** Counts a failure; returns how long to wait before trying again. */
  public failed(error: unknown, operation: string): number {
    this.failures++;
    if (this.failures === 1) {
      this.operation = operation;
      this.reporter.started(error, operation);
    }
    return Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(30, this.failures - 1));
  }

  public succeeded(): void {
    if (this.failures === 0) return;
    const failures = this.failures;
    this.failures = 0;
    this.reporter.ended(failures, this.operation);
  }
}

/**
 * An episode of a mapping's Streams calls (backoff `streamCallBackoff`), told as its activity: an `error` of
 * `component` when it starts, saying what it holds up (`affects`), and a `recovered` when it ends.
 */
export function streamCallEpisode(context: Pick<MappingContext, 'streamCallBackoff' | 'emit'>, component: MappingComponent, shardId: string,
  affects: (operation: string) => string): RetryEpisode {
  return new RetryEpisode(context.streamCallBackoff, {
    started: (error, operation) => context.emit({
      type: 'error',
      shardId,
      component,
      operation,
      message: `${operation} failed: ${describeError(error)}`,
      affects: affects(operation),
      retrying: true,
    }),
    ended: (failures, operation) => context.emit({ type: 'recovered', shardId, component, operation, failures }),
  });
}

/** An error's name and message, for a report line. */
export function describeError(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return typeof e?.name === 'string' && e.name !== 'Error' && !message.startsWith(e.name) ? `${e.name}: ${message}` : message;
}
