/**
 * Rung whenever a stream may have new records (a write went through the runner's DynamoDB endpoint, an
 * invocation ended): the shard readers and shard discovery poll at once instead of at their next interval.
 * DynamoDB Local has no way to push a stream record, so without it a write would wait for the next poll;
 * with it, idle readers can poll rarely (little CPU) and a write is still read within milliseconds.
 */
export class Doorbell {
  private waiters = new Set<() => void>();
  private rings = 0;

  /** Wakes every current waiter. */
  public ring(): void {
    this.rings++;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** How many times it rang so far (a reader compares counts to know whether it rang during a call). */
  public get count(): number {
    return this.rings;
  }

  /**
   * Waits `ms`, or less if it rings (or rang since `since`, a `count` taken earlier). Resolves true when the
   * wait ended by time or by a ring, false when `signal` (if any) aborted it. Never rejects.
   */
  public wait(ms: number, signal?: AbortSignal, since?: number): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (since !== undefined && since !== this.rings) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(wake);
        resolve(result);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(wake);
    });
  }
}
