import { describe, expect, it } from 'vitest';
import { formatSampleValue, MetricsRegistry } from './metrics.js';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in the text exposition format, sorted', () => {
    const registry = new MetricsRegistry();
    const outcomes = registry.counter('dagbridge_task_outcomes_total', 'Finished task attempts', ['queue', 'state']);
    const busy = registry.gauge('dagbridge_worker_slots_busy', 'Slots running a task');
    const duration = registry.histogram('dagbridge_task_duration_seconds', 'Task attempt duration', ['queue'], [1, 10]);
    outcomes.inc({ queue: 'default', state: 'success' });
    outcomes.inc({ queue: 'default', state: 'success' });
    outcomes.inc({ queue: 'aws', state: 'failed' }, 3);
    busy.set({}, 2);
    duration.observe({ queue: 'default' }, 0.5);
    duration.observe({ queue: 'default' }, 5);
    duration.observe({ queue: 'default' }, 50);
    expect(registry.render()).toBe(
      [
        '# HELP dagbridge_task_duration_seconds Task attempt duration',
        '# TYPE dagbridge_task_duration_seconds histogram',
        'dagbridge_task_duration_seconds_bucket{queue="default",le="1"} 1',
        'dagbridge_task_duration_seconds_bucket{queue="default",le="10"} 2',
        'dagbridge_task_duration_seconds_bucket{queue="default",le="+Inf"} 3',
        'dagbridge_task_duration_seconds_sum{queue="default"} 55.5',
        'dagbridge_task_duration_seconds_count{queue="default"} 3',
        '# HELP dagbridge_task_outcomes_total Finished task attempts',
        '# TYPE dagbridge_task_outcomes_total counter',
        'dagbridge_task_outcomes_total{queue="aws",state="failed"} 3',
        'dagbridge_task_outcomes_total{queue="default",state="success"} 2',
        '# HELP dagbridge_worker_slots_busy Slots running a task',
        '# TYPE dagbridge_worker_slots_busy gauge',
        'dagbridge_worker_slots_busy 2',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and help text', () => {
    const registry = new MetricsRegistry();
    registry.gauge('g', 'line one\nback\\slash', ['q']).set({ q: 'a"b\\c\nd' }, 1);
    expect(registry.render()).toBe('# HELP g line one\\nback\\\\slash\n# TYPE g gauge\ng{q="a\\"b\\\\c\\nd"} 1\n');
  });

  it('returns the same instrument for a repeated registration and refuses a conflicting one', () => {
    const registry = new MetricsRegistry();
    const a = registry.counter('c_total', 'c', ['x']);
    expect(registry.counter('c_total', 'c', ['x'])).toBe(a);
    expect(() => registry.gauge('c_total', 'c', ['x'])).toThrow('metric c_total is already registered as a counter with labels {x}');
    expect(() => registry.counter('c_total', 'c', ['y'])).toThrow('already registered');
  });

  it('refuses bad names, bad labels, decreasing counters', () => {
    const registry = new MetricsRegistry();
    expect(() => registry.counter('bad-name', 'x')).toThrow('is not a valid Prometheus name');
    expect(() => registry.counter('ok', 'x', ['le'])).toThrow('label name "le" is not allowed');
    const c = registry.counter('ok_total', 'x', ['q']);
    expect(() => c.inc({ q: 'a' }, -1)).toThrow('can only increase');
    expect(() => c.inc({})).toThrow('metric ok_total takes labels {q}, got {}');
    expect(() => c.inc({ q: 'a', r: 'b' })).toThrow('takes labels {q}, got {q, r}');
  });

  it('replaces a gauge snapshot as a whole and ignores non-finite observations', () => {
    const registry = new MetricsRegistry();
    const depth = registry.gauge('depth', 'd', ['queue']);
    depth.replaceAll([{ labels: { queue: 'a' }, value: 1 }, { labels: { queue: 'b' }, value: 2 }]);
    depth.replaceAll([{ labels: { queue: 'b' }, value: 5 }]);
    expect(depth.get({ queue: 'a' })).toBeUndefined();
    expect(depth.get({ queue: 'b' })).toBe(5);
    const h = registry.histogram('h', 'h', [], [1]);
    h.observe({}, Number.NaN);
    h.observe({}, 2);
    expect(h.get()).toEqual({ count: 1, sum: 2 });
  });

  it('formats special sample values', () => {
    expect([formatSampleValue(Infinity), formatSampleValue(-Infinity), formatSampleValue(Number.NaN), formatSampleValue(1.5), formatSampleValue(3)]).toEqual([
      '+Inf', '-Inf', 'NaN', '1.5', '3',
    ]);
    expect(new MetricsRegistry().render()).toBe('');
  });
});
