/**
 * Delivers one failed batch to a mapping's failure destination the way Lambda's poller does: a write that
 * fails is tried again briefly, and one that still fails is a destination delivery failure (the
 * DestinationDeliveryFailures metric) after which the mapping moves on. It never rejects.
 */
import type { FailedBatch, LocalFailureDestination } from './failure-destination-writer';
import { pause, STOPPED, unlessStopped } from '../mapping/abortable';

export interface DeliveryRetry {
  /** Writes tried in all, the first included. */
  readonly attempts: number;
  /** Pause before the second try, doubled before each further one. */
  readonly baseMs: number;
}

/**
 * AWS retries a destination delivery for a short while before it counts a failure. Three tries within
 * about 0.3 s ride out a passing fault (a busy disk, a local S3 restarting) and keep a destination that
 * cannot be written (a path that is not a folder) from holding the shard up for long.
 */
export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = { attempts: 3, baseMs: 100 };

export type DeliveryOutcome =
  | { readonly kind: 'written'; readonly location: string }
  | { readonly kind: 'failed'; readonly error: unknown; readonly attempts: number }
  /**
   * The mapping stopped first: no write starts after the stop. A write already under way is not waited for;
   * `lateWrite` resolves to its location if it still succeeds, else to undefined.
   */
  | { readonly kind: 'stopped'; readonly lateWrite: Promise<string | undefined> };

export async function deliverFailedBatch(destination: LocalFailureDestination, batch: FailedBatch,
  options: { readonly signal: AbortSignal; readonly retry?: DeliveryRetry }): Promise<DeliveryOutcome> {
  const { signal } = options;
  const retry = options.retry ?? DEFAULT_DELIVERY_RETRY;
  const attempts = Math.max(1, retry.attempts);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal.aborted) return { kind: 'stopped', lateWrite: Promise.resolve(undefined) };
    // A destination's write may throw before it returns a promise: both are a failed write.
    const write = Promise.resolve().then(() => destination.write(batch));
    try {
      const location = await unlessStopped(write, signal);
      if (location === STOPPED) return { kind: 'stopped', lateWrite: write.catch(() => undefined) };
      return { kind: 'written', location };
    } catch (e) {
      lastError = e;
    }
    if (attempt < attempts && !await pause(retry.baseMs * 2 ** (attempt - 1), signal)) {
      return { kind: 'stopped', lateWrite: Promise.resolve(undefined) };
    }
  }
  return { kind: 'failed', error: lastError, attempts };
}
