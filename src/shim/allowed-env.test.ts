import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedParentEnv, withheldParentEnvNames } from './allowed-env.js';
import { exportDags } from './export.js';

describe('allowedParentEnv', () => {
  const parent = {
    PATH: '/usr/bin', HOME: '/home/w', LC_ALL: 'C', DAGBRIDGE_DATABASE_URL: 'postgres://u:pw@db/x', DAGBRIDGE_REDIS_URL: 'redis://:pw@r',
    AWS_SECRET_ACCESS_KEY: 'k', AWS_REGION: 'eu', AIRFLOW_VAR_X: '1', AIRFLOW_CONN_Y: 'c', MY_API_TOKEN: 't',
  };

  it('passes the basics and nothing else by default', () => {
    expect(allowedParentEnv(parent, {})).toEqual({ PATH: '/usr/bin', HOME: '/home/w', LC_ALL: 'C' });
  });

  // A PythonVirtualenvOperator's pip installs from the worker's index, as an Airflow worker's pip would.
  it('passes the worker\'s pip index settings by default, not other PIP_ variables', () => {
    const pip = { PIP_INDEX_URL: 'https://idx/simple', PIP_EXTRA_INDEX_URL: 'https://b/simple', PIP_TRUSTED_HOST: 'idx', PIP_REQUIRE_VIRTUALENV: '1' };
    expect(allowedParentEnv({ ...parent, ...pip }, {})).toEqual({
      PATH: '/usr/bin', HOME: '/home/w', LC_ALL: 'C', PIP_INDEX_URL: 'https://idx/simple', PIP_EXTRA_INDEX_URL: 'https://b/simple', PIP_TRUSTED_HOST: 'idx',
    });
  });

  it('withholds a pip setting whose URL carries credentials unless passEnv names it, and says so', () => {
    const pip = { PIP_INDEX_URL: 'https://ci:s3cret@idx/simple', PIP_EXTRA_INDEX_URL: 'https://a/simple https://tok@b/simple', PIP_PROXY: 'http://proxy:3128' };
    expect(allowedParentEnv({ ...parent, ...pip }, {})).toEqual({ PATH: '/usr/bin', HOME: '/home/w', LC_ALL: 'C', PIP_PROXY: 'http://proxy:3128' });
    expect(withheldParentEnvNames({ ...parent, ...pip }, {})).toEqual(expect.arrayContaining(['PIP_EXTRA_INDEX_URL', 'PIP_INDEX_URL']));
    expect(allowedParentEnv({ ...parent, ...pip }, { passEnv: ['PIP_INDEX_URL'] })).toMatchObject({ PIP_INDEX_URL: 'https://ci:s3cret@idx/simple' });
  });

  it('passes Airflow variables, connections and passEnv names or prefixes when asked', () => {
    expect(allowedParentEnv(parent, { passAirflowVariables: true, passAirflowConnections: true, passEnv: ['AWS_*', 'MY_API_TOKEN'] })).toEqual({
      PATH: '/usr/bin', HOME: '/home/w', LC_ALL: 'C', AIRFLOW_VAR_X: '1', AIRFLOW_CONN_Y: 'c', AWS_SECRET_ACCESS_KEY: 'k', AWS_REGION: 'eu', MY_API_TOKEN: 't',
    });
  });

  it('refuses a passEnv entry that is not a name', () => {
    expect(() => allowedParentEnv(parent, { passEnv: ['A-B'] })).toThrow(/passEnv: "A-B"/);
    expect(() => allowedParentEnv(parent, { passEnv: ['*'] })).toThrow(/passEnv: "\*".*every secret/);
    expect(() => allowedParentEnv(parent, { passEnv: ['**'] })).toThrow(/passEnv: "\*\*"/);
    expect(() => allowedParentEnv(parent, { passEnv: ['1ABC'] })).toThrow(/passEnv: "1ABC"/);
  });

  it('passes passEnv globs: suffix, infix and prefix, matching whole names', () => {
    const env = { PATH: '/usr/bin', DBT_CONFIG_FILE_PATH: '/a', SODA_CONFIG_FILE_PATH: '/b', CONFIG_FILE_PATH_X: 'no', GH_TOKEN_RO: 't', TOKEN: 'no', AWS_X: 'a' };
    expect(allowedParentEnv(env, { passEnv: ['*_CONFIG_FILE_PATH'] })).toEqual({ PATH: '/usr/bin', DBT_CONFIG_FILE_PATH: '/a', SODA_CONFIG_FILE_PATH: '/b' });
    expect(allowedParentEnv(env, { passEnv: ['*_TOKEN_*'] })).toEqual({ PATH: '/usr/bin', GH_TOKEN_RO: 't' });
    expect(allowedParentEnv(env, { passEnv: ['AWS_*'] })).toEqual({ PATH: '/usr/bin', AWS_X: 'a' });
  });

  it('names the variables it withholds, never their values', () => {
    expect(withheldParentEnvNames(parent, { passEnv: ['AWS_*'], passAirflowVariables: true, passAirflowConnections: true })).toEqual([
      'DAGBRIDGE_DATABASE_URL', 'DAGBRIDGE_REDIS_URL', 'MY_API_TOKEN',
    ]);
  });
});

// A DAG file that writes the environment it was imported with: what any DAG author can do at parse time.
const DUMP_DAG = `
import json, os
from datetime import datetime
from airflow import DAG

with open(os.path.join(os.path.dirname(__file__), "..", "parse-env.json"), "w") as out:
    json.dump(dict(os.environ), out)

with DAG("parse_env", start_date=datetime(2024, 1, 1), schedule=None):
    pass
`;

describe('exportDags environment', () => {
  let root: string;
  const saved: Record<string, string | undefined> = {};
  const planted = {
    DAGBRIDGE_DATABASE_URL: 'postgres://postgres:PgS3cretPW@127.0.0.1:5432/x',
    DAGBRIDGE_REDIS_URL: 'redis://default:R3disS3cretPW@127.0.0.1:6379',
    AWS_SECRET_ACCESS_KEY: 'AwsS3cret',
    AIRFLOW_VAR_REGION: 'eu-west-1',
    AIRFLOW__CORE__DEFAULT_TIMEZONE: 'UTC',
    PASSED_ON_PURPOSE: 'yes',
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-parse-env-'));
    for (const [name, value] of Object.entries(planted)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('gives DAG files the task allow-list, never the database or Redis URL the parsing process holds', async () => {
    const dags = path.join(root, 'dags');
    mkdirSync(dags);
    writeFileSync(path.join(dags, 'parse_env.py'), DUMP_DAG);
    expect(process.env.DAGBRIDGE_DATABASE_URL).toBe(planted.DAGBRIDGE_DATABASE_URL);
    const bundle = await exportDags({ dagsFolder: dags, noAirflow: true, passEnv: ['PASSED_ON_PURPOSE'] });
    expect(bundle.dags.map((dag) => dag.dagId)).toEqual(['parse_env']);
    const seen = JSON.parse(readFileSync(path.join(root, 'parse-env.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(seen).filter((name) => name.startsWith('DAGBRIDGE_'))).toEqual([]);
    expect(seen.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(JSON.stringify(seen)).not.toMatch(/S3cret/);
    expect(seen.AIRFLOW_VAR_REGION).toBe('eu-west-1');
    expect(seen.AIRFLOW__CORE__DEFAULT_TIMEZONE).toBe('UTC');
    expect(seen.PASSED_ON_PURPOSE).toBe('yes');
    expect(seen.PATH).toBe(process.env.PATH);
  }, 60_000);
});
