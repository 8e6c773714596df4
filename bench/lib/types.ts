/** One figure of one contender in one scenario: the median of its samples, with the spread. */
export interface Measurement {
  readonly section: string;
  readonly scenario: string;
  readonly contender: string;
  readonly metric: string;
  readonly unit: string;
  readonly samples: number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * A comparison taken inside one run: per round, contender a's figure over contender b's (both measured in
 * that round, alternating), then the median of those per-round ratios.
 */
export interface Ratio {
  readonly section: string;
  readonly scenario: string;
  readonly label: string;
  readonly metric: string;
  readonly samples: number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface Goal {
  readonly section: string;
  readonly text: string;
  readonly met: boolean;
  readonly detail: string;
}

export interface SectionResult {
  readonly id: 'synth' | 'handler' | 'cold-start' | 'runner' | 'runner-in-tests';
  readonly title: string;
  readonly measurements: Measurement[];
  readonly ratios: Ratio[];
  readonly goals: Goal[];
  /** What a reader needs to interpret the figures (method, caveats, profiles when a goal is missed). */
  readonly notes: string[];
}

export interface SectionOptions {
  /** Measured rounds per figure (after one warm-up round). At least 5 for published numbers. */
  readonly runs: number;
  /** Smaller inputs, for a smoke test of the harness. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}
