/**
 * Waiting that a stop cuts short. A mapping waits a lot (polls, backoffs, batching windows, a parent shard,
 * invocations that run up to the function's timeout); `stop()` must not wait for any of it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** What a wait cut short by the stop signal gives instead of its result. */
export const STOPPED: unique symbol = Symbol('stopped');
export type Stopped = typeof STOPPED;

/** Sleeps `ms`; resolves true when the time passed, false when the signal aborted it (never rejects). */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * The work's result, or STOPPED as soon as the signal aborts. Work that settles after the stop is not
 * awaited, and its rejection is swallowed (it has nobody to report to any more).
 */
export function unlessStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | Stopped> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(STOPPED);
  }
  return new Promise<T | Stopped>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      resolve(STOPPED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
