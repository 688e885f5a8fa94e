/**
 * A tiny metrics registry: counters, gauges and histograms with labels, rendered in the Prometheus text
 * exposition format (version 0.0.4). In process only: the services update instruments as things happen and
 * `/metrics` renders what is held, without any I/O. No domain knowledge here; the instrument names of the
 * scheduler and the worker live in `src/http/service-metrics.ts`.
 *
 * Invariants: a metric name is registered once (a second registration with the same name and kind returns
 * the first instrument, so wiring code may run twice); label names are fixed per instrument; label values are
 * escaped as the format requires; series are rendered sorted by name, then by label values, so the output is
 * deterministic.
 */

/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** The three kinds of instrument. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default histogram buckets, in seconds (task durations and latencies span milliseconds to hours). */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format writes it (`+Inf`, `-Inf`, `NaN`, integers without a fraction). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function renderLabels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

abstract class Instrument {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: MetricKind,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} is not a valid Prometheus name`);
    for (const label of labelNames) {
      if (!LABEL.test(label) || label.startsWith('__') || label === 'le') throw new TypeError(`metric ${name}: label name ${JSON.stringify(label)} is not allowed`);
    }
  }

  /** The label values in `labelNames` order; every name must be given, no other. */
  protected valuesOf(labels: Labels): string[] {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || !this.labelNames.every((name) => typeof labels[name] === 'string')) {
      throw new TypeError(`metric ${this.name} takes labels {${this.labelNames.join(', ')}}, got {${given.join(', ')}}`);
    }
    return this.labelNames.map((name) => labels[name] as string);
  }

  protected pairs(values: readonly string[]): Array<[string, string]> {
    return this.labelNames.map((name, i) => [name, values[i] ?? '']);
  }

  /** The sample lines (without HELP/TYPE). */
  abstract samples(): string[];
}

const SEP = '\u0000';

function sortedEntries<T>(map: Map<string, T>): Array<[string[], T]> {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => [key === '' ? [] : key.split(SEP), value]);
}

/** A value that only goes up (restarts reset it, which Prometheus' `rate()` handles). */
export class Counter extends Instrument {
  private readonly values = new Map<string, number>();

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames);
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new RangeError(`counter ${this.name} can only increase, got ${by}`);
    const key = this.valuesOf(labels).join(SEP);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  /** The current value of one series (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.values.get(this.valuesOf(labels).join(SEP)) ?? 0;
  }

  samples(): string[] {
    return sortedEntries(this.values).map(([values, value]) => `${this.name}${renderLabels(this.pairs(values))} ${formatSampleValue(value)}`);
  }
}

/** A value that goes up and down (slots busy, queue depth, a timestamp). */
export class Gauge extends Instrument {
  private values = new Map<string, number>();

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'gauge', labelNames);
  }

  set(labels: Labels, value: number): void {
    this.values.set(this.valuesOf(labels).join(SEP), value);
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = this.valuesOf(labels).join(SEP);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number | undefined {
    return this.values.get(this.valuesOf(labels).join(SEP));
  }

  /** Replaces every series at once (a snapshot such as queue depths: series no longer present disappear). */
  replaceAll(series: ReadonlyArray<{ labels: Labels; value: number }>): void {
    const next = new Map<string, number>();
    for (const entry of series) next.set(this.valuesOf(entry.labels).join(SEP), entry.value);
    this.values = next;
  }

  samples(): string[] {
    return sortedEntries(this.values).map(([values, value]) => `${this.name}${renderLabels(this.pairs(values))} ${formatSampleValue(value)}`);
  }
}

interface HistogramSeries {
  /** Non-cumulative counts per bucket, plus one for +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram extends Instrument {
  readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = DEFAULT_SECONDS_BUCKETS) {
    super(name, help, 'histogram', labelNames);
    const sorted = [...new Set(buckets)].filter((b) => Number.isFinite(b)).sort((a, b) => a - b);
    if (sorted.length === 0) throw new TypeError(`histogram ${name} needs at least one finite bucket`);
    this.buckets = sorted;
  }

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) return; // A NaN or infinite observation would poison the sum forever.
    const key = this.valuesOf(labels).join(SEP);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    let index = this.buckets.findIndex((upper) => value <= upper);
    if (index === -1) index = this.buckets.length;
    entry.counts[index] = (entry.counts[index] ?? 0) + 1;
    entry.sum += value;
    entry.count += 1;
  }

  /** Count and sum of one series (zeros when nothing was observed). */
  get(labels: Labels = {}): { count: number; sum: number } {
    const entry = this.series.get(this.valuesOf(labels).join(SEP));
    return { count: entry?.count ?? 0, sum: entry?.sum ?? 0 };
  }

  samples(): string[] {
    const lines: string[] = [];
    for (const [values, entry] of sortedEntries(this.series)) {
      const base = this.pairs(values);
      let cumulative = 0;
      this.buckets.forEach((upper, i) => {
        cumulative += entry.counts[i] ?? 0;
        lines.push(`${this.name}_bucket${renderLabels([...base, ['le', formatSampleValue(upper)]])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels([...base, ['le', '+Inf']])} ${entry.count}`);
      lines.push(`${this.name}_sum${renderLabels(base)} ${formatSampleValue(entry.sum)}`);
      lines.push(`${this.name}_count${renderLabels(base)} ${entry.count}`);
    }
    return lines;
  }
}

/** The content type of the text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Holds instruments and renders them. */
export class MetricsRegistry {
  private readonly instruments = new Map<string, Instrument>();

  private register<T extends Instrument>(instrument: T, kind: MetricKind): T {
    const existing = this.instruments.get(instrument.name);
    if (existing) {
      if (existing.kind !== kind || existing.labelNames.join(',') !== instrument.labelNames.join(',')) {
        throw new TypeError(`metric ${instrument.name} is already registered as a ${existing.kind} with labels {${existing.labelNames.join(', ')}}`);
      }
      return existing as T;
    }
    this.instruments.set(instrument.name, instrument);
    return instrument;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames), 'counter');
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames), 'gauge');
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets), 'histogram');
  }

  /** The text exposition of every instrument, sorted by name; HELP and TYPE even for one without samples. */
  render(): string {
    const names = [...this.instruments.keys()].sort();
    const lines: string[] = [];
    for (const name of names) {
      const instrument = this.instruments.get(name) as Instrument;
      lines.push(`# HELP ${name} ${escapeHelp(instrument.help)}`, `# TYPE ${name} ${instrument.kind}`, ...instrument.samples());
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}
