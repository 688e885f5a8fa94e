import { describe, expect, it } from 'vitest';
import { markerTarget, maxRecursionMessage } from './external-marker.js';

const marker = (templateFields: Record<string, unknown>, args: Record<string, unknown> = {}) =>
  ({ taskId: 'm', templateFields: { external_dag_id: 'other', external_task_id: 't', ...templateFields }, args }) as Parameters<typeof markerTarget>[1];
const RUN_DATE = '2024-03-05T00:00:00+00:00';

describe('markerTarget', () => {
  it.each([
    ['{{ logical_date.isoformat() }}', RUN_DATE],
    ['{{execution_date.isoformat()}}', RUN_DATE],
    ['{{ ts }}', RUN_DATE],
    ['2024-01-02T03:04:05+00:00', '2024-01-02T03:04:05+00:00'],
  ])('execution_date %s points at %s', (executionDate, expected) => {
    expect(markerTarget('d', marker({ execution_date: executionDate }), RUN_DATE)).toEqual({ dagId: 'other', taskId: 't', logicalDate: expected, recursionDepth: 10 });
  });

  it('reads recursion_depth from the arguments given (Airflow\'s default 10 otherwise)', () => {
    expect(markerTarget('d', marker({}, { recursion_depth: 3 }), RUN_DATE).recursionDepth).toBe(3);
    expect(() => markerTarget('d', marker({}, { recursion_depth: 0 }), RUN_DATE)).toThrow('recursion_depth should be a positive integer');
  });

  it('refuses what it cannot render outside a task, naming the marker and the fix', () => {
    expect(() => markerTarget('d', marker({ execution_date: '{{ macros.ds_add(ds, 1) }}' }), RUN_DATE)).toThrow(
      'ExternalTaskMarker d.m: execution_date "{{ macros.ds_add(ds, 1) }}" is a template dagbridge cannot render outside a task; use "{{ logical_date.isoformat() }}" or a fixed ISO 8601 instant',
    );
    expect(() => markerTarget('d', marker({ external_dag_id: '{{ params.x }}' }), RUN_DATE)).toThrow('must be plain strings');
    expect(() => markerTarget('d', marker({}), null)).toThrow('its run has no logical date');
  });

  it('says Airflow\'s words past the recursion depth', () => {
    expect(maxRecursionMessage(2, 'm')).toBe('Maximum recursion depth 2 reached for ExternalTaskMarker m. Attempted to clear too many tasks or there may be a cyclic dependency.');
  });
});
