import { describe, expect, it } from 'vitest';
import { datasetTriggeredRunInfo, queueSatisfies, triggeredAt } from './dataset-runs.js';
import { dagOf, task } from './spec-fixtures.js';

const T = Date.UTC(2024, 0, 1, 12, 0, 0, 0);

describe('datasetTriggeredRunInfo (timetables/simple.py DatasetTriggeredTimetable)', () => {
  it.each([
    ['no events: the logical date twice', [], ['2024-01-01T12:00:00+00:00', '2024-01-01T12:00:00+00:00']],
    ['events without source runs: their first and last timestamps', [
      { timestamp: T - 5_000, sourceDataIntervalStart: null, sourceDataIntervalEnd: null },
      { timestamp: T - 1_000, sourceDataIntervalStart: null, sourceDataIntervalEnd: null },
    ], ['2024-01-01T11:59:55+00:00', '2024-01-01T11:59:59+00:00']],
    ['a source run: its data interval', [
      { timestamp: T - 5_000, sourceDataIntervalStart: '2023-12-31T00:00:00+00:00', sourceDataIntervalEnd: '2024-01-01T00:00:00+00:00' },
      { timestamp: T - 1_000, sourceDataIntervalStart: null, sourceDataIntervalEnd: null },
    ], ['2023-12-31T00:00:00+00:00', '2024-01-01T11:59:59+00:00']],
  ] as const)('Airflow 2: %s', (_name, events, interval) => {
    const info = datasetTriggeredRunInfo(2, T, events, '');
    expect([info.runId, info.logicalDate, info.dataIntervalStart, info.dataIntervalEnd, info.runAfter]).toEqual([
      'dataset_triggered__2024-01-01T12:00:00+00:00', '2024-01-01T12:00:00+00:00', ...interval, '2024-01-01T12:00:00+00:00',
    ]);
  });

  it('Airflow 3: no logical date, no data interval, run_after and a suffixed run id', () => {
    expect(datasetTriggeredRunInfo(3, T + 250, [], 'aB3')).toEqual({
      runId: 'asset_triggered__2024-01-01T12:00:00.250000+00:00_aB3', logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null,
      runAfter: '2024-01-01T12:00:00.250000+00:00',
    });
    expect(() => datasetTriggeredRunInfo(3, T, [], 'a-b')).toThrow(/letters and digits/);
  });

  it('the run is for the newest queue row; a DAG not on datasets is never satisfied', () => {
    expect(triggeredAt([{ uri: 'a', createdAt: 5 }, { uri: 'b', createdAt: 9 }, { uri: 'c', createdAt: 7 }])).toBe(9);
    expect(queueSatisfies(dagOf([task('t')]), [{ uri: 'a', createdAt: 1 }], new Map())).toBe(false);
  });
});
