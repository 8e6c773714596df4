import type { Measurement, Ratio } from './types';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function measurement(section: string, scenario: string, contender: string, metric: string, unit: string,
  samples: number[]): Measurement {
  return { section, scenario, contender, metric, unit, samples, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/** Per-round ratios of a over b (same round, same metric), summarized by their median. */
export function ratio(section: string, scenario: string, label: string, metric: string, a: readonly number[], b: readonly number[]): Ratio {
  if (a.length !== b.length) throw new Error(`ratio ${label}: ${a.length} samples against ${b.length}`);
  const samples = a.map((x, i) => x / b[i]);
  return { section, scenario, label, metric, samples, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

export type RoundFigures = Record<string, number>;

/** Runs the contenders round-robin (alternating, so shared-machine noise hits all alike), warm-up first. */
export async function alternate<T extends string>(contenders: readonly T[], runs: number,
  once: (contender: T, round: number) => Promise<RoundFigures>): Promise<Record<T, Record<string, number[]>>> {
  const out = {} as Record<T, Record<string, number[]>>;
  for (const c of contenders) out[c] = {};
  for (let round = -1; round < runs; round++) {
    // Rotate the starting contender each round so none always runs first.
    const order = contenders.map((_, i) => contenders[(i + Math.max(0, round)) % contenders.length]);
    for (const c of order) {
      const figures = await once(c, round);
      if (round < 0) continue; // warm-up
      const series: Record<string, number[]> = out[c];
      for (const [metric, value] of Object.entries(figures)) (series[metric] ??= []).push(value);
    }
  }
  return out;
}

export function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })}${unit ? ` ${unit}` : ''}`;
}
