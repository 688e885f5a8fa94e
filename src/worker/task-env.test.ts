import { describe, expect, it } from 'vitest';
import { dagCodeSettingsOf, PARSE_ALLOW, SHIM_ROOT, shimProcessEnv } from '../shim/python.js';
import { airflowContextEnv, buildBaseTaskEnv, buildTaskEnv, taskEnvFromBase, taskEnvSettingsOf, type AirflowContextFacts, type TaskEnvInput } from './task-env.js';

const context: AirflowContextFacts = {
  dagId: 'etl',
  taskId: 'group.load',
  runId: 'scheduled__2024-01-01T00:00:00+00:00',
  logicalDate: '2024-01-01T00:00:00+00:00',
  tryNumber: 2,
  owner: 'data-team',
};

const parentEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/worker',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  LC_TIME: 'en_GB.UTF-8',
  TZ: 'UTC',
  USER: 'worker',
  LOGNAME: 'worker',
  SHELL: '/bin/bash',
  PYTHONIOENCODING: 'utf-8',
  PYTHONPATH: '/somewhere/else',
  PYTHONHOME: '/opt/broken',
  PYTHONSTARTUP: '/home/worker/.pythonrc',
  DAGBRIDGE_DATABASE_URL: 'postgres://admin:secret@db/dagbridge',
  DAGBRIDGE_REDIS_URL: 'redis://:secret@redis:6379',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  AWS_REGION: 'eu-west-1',
  AIRFLOW_VAR_BUCKET: 'my-bucket',
  AIRFLOW_CONN_WAREHOUSE: 'postgres://user:pw@warehouse/db',
  AIRFLOW_CTX_DAG_ID: 'spoofed',
  NOT_SET: undefined,
};

function build(overrides: Partial<TaskEnvInput> = {}): Record<string, string> {
  return buildTaskEnv({
    parentEnv,
    settings: {},
    shimRoot: '/opt/dagbridge/python-shim',
    tmpDir: '/var/tmp/attempt/tmp',
    context,
    ...overrides,
  });
}

describe('buildTaskEnv', () => {
  it('passes only the allow-list, sets the runner-owned variables and Airflow context', () => {
    expect(build()).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/worker',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      LC_TIME: 'en_GB.UTF-8',
      TZ: 'UTC',
      USER: 'worker',
      LOGNAME: 'worker',
      PYTHONIOENCODING: 'utf-8',
      PYTHONPATH: '/opt/dagbridge/python-shim:/somewhere/else',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      TMPDIR: '/var/tmp/attempt/tmp',
      AIRFLOW_CTX_DAG_OWNER: 'data-team',
      AIRFLOW_CTX_DAG_ID: 'etl',
      AIRFLOW_CTX_TASK_ID: 'group.load',
      AIRFLOW_CTX_LOGICAL_DATE: '2024-01-01T00:00:00+00:00',
      AIRFLOW_CTX_EXECUTION_DATE: '2024-01-01T00:00:00+00:00',
      AIRFLOW_CTX_TRY_NUMBER: '2',
      AIRFLOW_CTX_DAG_RUN_ID: 'scheduled__2024-01-01T00:00:00+00:00',
    });
  });

  it('never passes the worker secrets by default, whatever else is enabled', () => {
    const env = build({ settings: { passAirflowVariables: true, passAirflowConnections: true, passEnv: ['AWS_REGION'] } });
    expect(env.DAGBRIDGE_DATABASE_URL).toBeUndefined();
    expect(env.DAGBRIDGE_REDIS_URL).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('secret');
  });

  it('passes AIRFLOW_VAR_* and AIRFLOW_CONN_* only when configured, each on its own switch', () => {
    expect(build().AIRFLOW_VAR_BUCKET).toBeUndefined();
    expect(build().AIRFLOW_CONN_WAREHOUSE).toBeUndefined();
    const variables = build({ settings: { passAirflowVariables: true } });
    expect(variables.AIRFLOW_VAR_BUCKET).toBe('my-bucket');
    expect(variables.AIRFLOW_CONN_WAREHOUSE).toBeUndefined();
    const connections = build({ settings: { passAirflowConnections: true } });
    expect(connections.AIRFLOW_CONN_WAREHOUSE).toBe('postgres://user:pw@warehouse/db');
    expect(connections.AIRFLOW_VAR_BUCKET).toBeUndefined();
  });

  it('passes extra names exactly or by prefix, including a secret that is explicitly named', () => {
    const env = build({ settings: { passEnv: ['AWS_*', 'DAGBRIDGE_REDIS_URL', 'SHELL', 'NOT_SET'] } });
    expect(env.AWS_REGION).toBe('eu-west-1');
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('aws-secret');
    expect(env.DAGBRIDGE_REDIS_URL).toBe('redis://:secret@redis:6379');
    expect(env.DAGBRIDGE_DATABASE_URL).toBeUndefined();
    expect(env.SHELL).toBe('/bin/bash');
    expect('NOT_SET' in env).toBe(false);
  });

  it('builds PYTHONPATH from the shim root, pythonPath, the parent\'s PYTHONPATH unless told not to, then the plugins folder', () => {
    const env = build({ settings: { pythonPath: ['/repo', '/repo/src'], extraPythonPaths: ['/repo/plugins', '/repo/include'] } });
    expect(env.PYTHONPATH).toBe('/opt/dagbridge/python-shim:/repo:/repo/src:/somewhere/else:/repo/plugins:/repo/include');
    const own = build({ settings: { pythonPath: ['/repo'], inheritPythonPath: false } });
    expect(own.PYTHONPATH).toBe('/opt/dagbridge/python-shim:/repo');
    expect(env.PYTHONHOME).toBeUndefined();
    expect(env.PYTHONSTARTUP).toBeUndefined();
  });

  it('lets the task env override the parent but not the runner-owned variables', () => {
    const env = build({
      settings: { taskEnv: { LANG: 'de_DE.UTF-8', TMPDIR: '/tmp', AIRFLOW_CTX_DAG_ID: 'other', DBT_PROFILE: 'prod' } },
    });
    expect(env.LANG).toBe('de_DE.UTF-8');
    expect(env.DBT_PROFILE).toBe('prod');
    expect(env.TMPDIR).toBe('/var/tmp/attempt/tmp');
    expect(env.AIRFLOW_CTX_DAG_ID).toBe('etl');
  });

  it('rejects malformed names and NUL bytes', () => {
    expect(() => build({ settings: { passEnv: ['BAD-NAME'] } })).toThrow('passEnv: "BAD-NAME"');
    expect(() => build({ settings: { passEnv: ['*'] } })).toThrow('passEnv: "*"');
    expect(() => build({ settings: { taskEnv: { 'A=B': 'x' } } })).toThrow('taskEnv: "A=B"');
    expect(() => build({ settings: { taskEnv: { A: 'x\0y' } } })).toThrow('A contains a NUL byte');
  });
});

describe('taskEnvFromBase', () => {
  it('is buildTaskEnv from the base, and gives each attempt an environment of its own', () => {
    const base = buildBaseTaskEnv({ parentEnv, settings: {}, shimRoot: '/opt/dagbridge/python-shim' });
    const baseCopy = { ...base };
    const first = taskEnvFromBase(base, { tmpDir: '/var/tmp/attempt/tmp', context });
    expect(first).toEqual(build());
    const second = taskEnvFromBase(base, { tmpDir: '/var/tmp/other/tmp', context: { ...context, taskId: 'other', tryNumber: 1 } });
    expect(second).toEqual(build({ tmpDir: '/var/tmp/other/tmp', context: { ...context, taskId: 'other', tryNumber: 1 } }));
    expect(second).not.toBe(first);
    second.EXTRA = 'x';
    expect(first.EXTRA).toBeUndefined();
    expect(base).toEqual(baseCopy);
  });

  it('rejects a NUL byte in what it adds', () => {
    const base = buildBaseTaskEnv({ parentEnv, settings: {}, shimRoot: '/opt/dagbridge/python-shim' });
    expect(() => taskEnvFromBase(base, { tmpDir: '/tmp/a\0b', context })).toThrow(/NUL/);
  });
});

describe('airflowContextEnv', () => {
  it('leaves out empty values as Airflow does and writes UTC as +00:00', () => {
    expect(airflowContextEnv({ ...context, owner: null, logicalDate: null })).toEqual({
      AIRFLOW_CTX_DAG_ID: 'etl',
      AIRFLOW_CTX_TASK_ID: 'group.load',
      AIRFLOW_CTX_TRY_NUMBER: '2',
      AIRFLOW_CTX_DAG_RUN_ID: 'scheduled__2024-01-01T00:00:00+00:00',
    });
    expect(airflowContextEnv({ ...context, logicalDate: '2024-03-01T12:30:00Z' }).AIRFLOW_CTX_LOGICAL_DATE).toBe(
      '2024-03-01T12:30:00+00:00',
    );
  });
});

describe('taskEnvSettingsOf', () => {
  it('puts a plugins folder on PYTHONPATH and names it in AIRFLOW__CORE__PLUGINS_FOLDER, where the shim loads plugins from', () => {
    const env = build({ settings: taskEnvSettingsOf({ passEnv: ['AWS_REGION'], pythonPath: [], inheritPythonPath: false, pluginsFolder: '/repo/plugins' }) });
    expect(env.PYTHONPATH).toBe(['/opt/dagbridge/python-shim', '/repo/plugins'].join(':'));
    expect(env.AIRFLOW__CORE__PLUGINS_FOLDER).toBe('/repo/plugins');
    expect(env.AWS_REGION).toBe('eu-west-1');
  });

  it('gives tasks the environment the export gives DAG files: AIRFLOW__* configuration, pythonPath and the worker\'s PYTHONPATH', () => {
    const env = build({ parentEnv: { ...parentEnv, AIRFLOW__CORE__DEFAULT_TIMEZONE: 'Europe/Paris' }, settings: taskEnvSettingsOf({ passEnv: [], pythonPath: ['/repo'], inheritPythonPath: true, pluginsFolder: null }) });
    expect(env.AIRFLOW__CORE__DEFAULT_TIMEZONE).toBe('Europe/Paris');
    expect(env.AIRFLOW_VAR_BUCKET).toBe('my-bucket');
    expect(env.PYTHONPATH).toBe('/opt/dagbridge/python-shim:/repo:/somewhere/else');
    expect(shimProcessEnv({ ...parentEnv, AIRFLOW__CORE__DEFAULT_TIMEZONE: 'Europe/Paris' }, { ...PARSE_ALLOW, ...dagCodeSettingsOf({ passEnv: [], pythonPath: ['/repo'], inheritPythonPath: true }) }).PYTHONPATH).toBe(`${SHIM_ROOT}:/repo:/somewhere/else`);
  });

  it('sets nothing about plugins without a folder', () => {
    const env = build({ settings: taskEnvSettingsOf({ passEnv: [], pythonPath: [], inheritPythonPath: false, pluginsFolder: null }) });
    expect(env.PYTHONPATH).toBe('/opt/dagbridge/python-shim');
    expect(env).not.toHaveProperty('AIRFLOW__CORE__PLUGINS_FOLDER');
  });
});
