/** Time as the mapping sees it (record age, tumbling windows, arrival times): injectable, so tests can move it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };
