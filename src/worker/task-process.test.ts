import { describe, expect, it } from 'vitest';
import { keyExamples } from '../../scripts/embed-airflow-facts.js';
import {
  attemptDirPrefix,
  shimRunArgv,
  TaskSpecError,
  validateAirflowKey,
  validateDagFile,
} from './task-process.js';

describe('shimRunArgv', () => {
  const base = {
    python: '/usr/bin/python3.11',
    dagsFolder: '/srv/repo/dags',
    file: 'etl/daily.py',
    dagId: 'daily_etl',
    taskId: 'load.to_warehouse',
    mapIndex: -1,
    resultPath: '/tmp/attempt/result.json',
  };

  it('builds the documented run command line, ids as separate arguments', () => {
    expect(shimRunArgv(base)).toEqual([
      '/usr/bin/python3.11',
      '-m',
      'dagbridge_shim',
      'run',
      '--dags-folder',
      '/srv/repo/dags',
      '--file',
      'etl/daily.py',
      '--dag-id',
      'daily_etl',
      '--task-id',
      'load.to_warehouse',
      '--map-index',
      '-1',
      '--result',
      '/tmp/attempt/result.json',
    ]);
  });

  it('adds --no-airflow when asked', () => {
    expect(shimRunArgv({ ...base, mapIndex: 3, noAirflow: true }).slice(-5)).toEqual([
      '--map-index',
      '3',
      '--result',
      '/tmp/attempt/result.json',
      '--no-airflow',
    ]);
  });

  it('refuses ids, files and folders that could escape or inject', () => {
    expect(() => shimRunArgv({ ...base, dagId: '--help' })).not.toThrow(); // a plain argument: no shell, fixed position
    expect(() => shimRunArgv({ ...base, dagId: 'a b' })).toThrow(TaskSpecError);
    expect(() => shimRunArgv({ ...base, taskId: 'x/y' })).toThrow('taskId "x/y" is not a valid Airflow key');
    expect(() => shimRunArgv({ ...base, file: '../secrets.py' })).toThrow("without '..'");
    expect(() => shimRunArgv({ ...base, file: '/etc/passwd' })).toThrow(TaskSpecError);
    expect(() => shimRunArgv({ ...base, dagsFolder: 'dags' })).toThrow('must be an absolute path');
  });
});

describe('validateAirflowKey', () => {
  it.each(['etl', 'my-dag.v2', 'group.sub_group.task', 'données_2024', '..', 'x'.repeat(250)])('accepts %s', (id) => {
    expect(() => validateAirflowKey('dagId', id)).not.toThrow();
  });

  it.each(['', 'a b', 'a/b', 'a:b', 'run+1', 'x\0y', 'x'.repeat(251), 'tab\there'])('rejects %j', (id) => {
    expect(() => validateAirflowKey('dagId', id)).toThrow(TaskSpecError);
  });

  it('judges every key example of schemas/airflow-facts.json as the shim does (length in code points)', () => {
    for (const [id, valid] of keyExamples()) {
      if (valid) expect(() => validateAirflowKey('taskId', id)).not.toThrow();
      else expect(() => validateAirflowKey('taskId', id)).toThrow(TaskSpecError);
    }
    expect(() => validateAirflowKey('taskId', '\u{1D400}'.repeat(200))).not.toThrow();
  });
});

describe('validateDagFile', () => {
  it.each(['etl.py', 'sub/dir/etl.py', 'a..b.py', './etl.py'])('accepts %s', (file) => {
    expect(() => validateDagFile(file)).not.toThrow();
  });

  it.each(['', '/abs.py', '../up.py', 'sub/../../up.py', 'sub\\..\\up.py', 'nul\0.py'])('rejects %j', (file) => {
    expect(() => validateDagFile(file)).toThrow(TaskSpecError);
  });
});

describe('attemptDirPrefix', () => {
  const key = { dagId: 'etl', taskId: 'load', runId: 'manual__2024-01-01T00:00:00+00:00', mapIndex: -1, tryNumber: 1 };

  it('is readable, never holds the raw run id, and hashes the whole key', () => {
    const prefix = attemptDirPrefix(key);
    expect(prefix).toMatch(/^etl\.load\.m-1\.t1\.[0-9a-f]{12}-$/);
    expect(prefix).not.toContain(':');
    expect(attemptDirPrefix({ ...key, runId: 'manual__2024-01-02T00:00:00+00:00' })).not.toBe(prefix);
    expect(attemptDirPrefix({ ...key, tryNumber: 2 })).not.toBe(prefix);
  });

  it('stays short and safe for long or unusual ids', () => {
    const prefix = attemptDirPrefix({ ...key, dagId: '..'.repeat(125), taskId: 'tâche.é' });
    expect(prefix.length).toBeLessThan(120);
    expect(prefix).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(prefix.startsWith('.')).toBe(false);
    expect(prefix).toContain('.t_che._.');
  });
});
