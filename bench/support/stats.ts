/**
 * Summaries of timing samples for the benchmark scripts. Percentiles are nearest-rank (the smallest sample with
 * at least q of the samples at or below it), so p50 of [1, 2, 3, 4] is 2 and every figure is a measured value.
 */

/** Nearest-rank percentiles and the mean of a set of samples (milliseconds unless said otherwise). */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** The q-th (0 < q <= 1) nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** Summarises `samples` (any order). An empty set gives NaN figures and count 0. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? Number.NaN : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean,
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/** `p50 12.3 ms  p95 20.1 ms ...` with a fixed width per figure, for aligned report lines. */
export function formatSummary(summary: Summary, options: { p99?: boolean; digits?: number } = {}): string {
  const digits = options.digits ?? 1;
  const figure = (name: string, value: number): string => `${name} ${value.toFixed(digits).padStart(8)} ms`;
  const parts = [figure('p50', summary.p50), figure('p95', summary.p95)];
  if (options.p99) parts.push(figure('p99', summary.p99));
  parts.push(figure('mean', summary.mean));
  return parts.join('   ');
}

/** `123.4 tasks/s` from a count and elapsed milliseconds. */
export function formatRate(count: number, elapsedMs: number, unit = 'tasks/s'): string {
  return `${((count / elapsedMs) * 1000).toFixed(1)} ${unit}`;
}
