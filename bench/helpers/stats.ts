/** Percentiles and rates for benchmark samples (milliseconds). */
export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(sorted.length, 1);
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
