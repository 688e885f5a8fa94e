import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord, ConnectionSource } from '../ports/connections.js';
import { emptyConnection, formatConnectionUri } from './forms.js';
import { maskConnection } from './mask.js';
import { connectionsFileFormat, parseConnectionsText, readConnectionsFile } from './secrets-file.js';
import { EnvConnectionSource, connectionLookup } from './sources.js';

const uris = (map: Map<string, ConnectionRecord>): Record<string, string> => Object.fromEntries([...map].map(([id, conn]) => [id, formatConnectionUri(conn)]));

// Airflow 2.10.5 tests/secrets/test_local_filesystem.py (TestLoadConnection).
describe('parseConnectionsText', () => {
  it.each([
    ['CONN_ID=mysql://host_1/', { CONN_ID: 'mysql://host_1' }],
    ['CONN_ID1=mysql://host_1/\nCONN_ID2=mysql://host_2/', { CONN_ID1: 'mysql://host_1', CONN_ID2: 'mysql://host_2' }],
    ['CONN_ID1=mysql://host_1/\n # AAAA\nCONN_ID2=mysql://host_2/', { CONN_ID1: 'mysql://host_1', CONN_ID2: 'mysql://host_2' }],
    ['\n\n\n\nCONN_ID1=mysql://host_1/\n\n\n\n\nCONN_ID2=mysql://host_2/\n\n\n', { CONN_ID1: 'mysql://host_1', CONN_ID2: 'mysql://host_2' }],
    ['CONN_ID=mysql://host_1/?param1=val1&param2=val2', { CONN_ID: 'mysql://host_1/?param1=val1&param2=val2' }],
  ])('.env %j (test_env_file_should_load_connection, test_parsing_with_params)', (text, expected) => {
    expect(uris(parseConnectionsText('a.env', text, 'env'))).toEqual(expected);
  });

  it.each([
    [{ CONN_ID: 'mysql://host_1' }],
    [{ CONN_ID: ['mysql://host_1'] }],
    [{ CONN_ID: { uri: 'mysql://host_1' } }],
    [{ CONN_ID: [{ uri: 'mysql://host_1' }] }],
  ])('.json %j (test_json_file_should_load_connection)', (content) => {
    expect(uris(parseConnectionsText('a.json', JSON.stringify(content), 'json'))).toEqual({ CONN_ID: 'mysql://host_1' });
  });

  it.each([
    [{ CONN_ID: null }, /expected a URI string or an object of fields, not null/],
    [{ CONN_ID: 1 }, /not number/],
    [{ CONN_ID: [2] }, /not number/],
    [{ CONN_ID: { AAA: 'mysql://host_1' } }, /unknown keys AAA/],
    [{ CONN_ID: { conn_id: 'BBBB' } }, /conn_id "BBBB" is not its key "CONN_ID"/],
    [{ CONN_ID: ['mysql://', 'mysql://'] }, /found 2 values for CONN_ID/],
  ])('.json %j is refused (test_env_file_invalid_input)', (content, message) => {
    expect(() => parseConnectionsText('a.json', JSON.stringify(content), 'json')).toThrow(message);
  });

  it.each([
    ['AA', /line 1: the line should contain at least one equal sign/],
    ['=', /line 1: the value of {2}is empty/],
    ['CONN_ID=mysql://host_1/\nCONN_ID=mysql://host_2/', /found 2 values for CONN_ID/],
  ])('.env %j is refused (test_env_file_invalid_format, test_ensure_unique_connection_env)', (text, message) => {
    expect(() => parseConnectionsText('a.env', text, 'env')).toThrow(message);
  });

  it.each([['[]', /should contain an object/], ['{AAAAA}', /not valid JSON/], ['', /the file is empty/]])('.json %j is refused (test_json_file_invalid_format)', (text, message) => {
    expect(() => parseConnectionsText('a.json', text, 'json')).toThrow(message);
  });

  it('reads YAML objects with extra_dejson (test_yaml_file_should_load_connection)', () => {
    const yaml = [
      'conn_a: mysql://hosta',
      'conn_b:',
      '   conn_type: scheme',
      '   host: host',
      '   schema: lschema',
      '   login: Login',
      '   password: None',
      '   port: 1234',
      '   extra_dejson:',
      '     arbitrary_dict:',
      '        a: b',
      `     extra__google_cloud_platform__keyfile_dict: '{"a": "b"}'`,
      '     extra__google_cloud_platform__keyfile_path: asaa',
    ].join('\n');
    const conns = parseConnectionsText('a.yaml', yaml, 'yaml');
    expect(conns.get('conn_a')).toMatchObject({ connType: 'mysql', host: 'hosta' });
    expect(conns.get('conn_b')).toMatchObject({ connType: 'scheme', host: 'host', schema: 'lschema', login: 'Login', password: 'None', port: 1234 });
    expect(JSON.parse(conns.get('conn_b')?.extra ?? '')).toEqual({ arbitrary_dict: { a: 'b' }, extra__google_cloud_platform__keyfile_dict: '{"a": "b"}', extra__google_cloud_platform__keyfile_path: 'asaa' });
  });

  it('refuses YAML lists of two and both extras (test_ensure_unique_connection_yaml, test_yaml_invalid_extra), and quotes no value', () => {
    expect(() => parseConnectionsText('a.yaml', 'conn_a:\n  - mysql://hosta\n  - mysql://hostb', 'yaml')).toThrow(/found 2 values for conn_a/);
    expect(() => parseConnectionsText('a.yaml', 'conn_c:\n  conn_type: s\n  extra:\n    abc: xyz\n  extra_dejson:\n    a: b', 'yaml')).toThrow(/mutually exclusive/);
    const bad = () => parseConnectionsText('a.yaml', 'conn:\n  password: hunter2\n    x: [', 'yaml');
    expect(bad).toThrow(/^connections file a\.yaml: not valid YAML \(\w+ at line \d+\)$/);
  });

  it('reads a .env value starting with { as the JSON form (what export --serialization-format json writes)', () => {
    expect(parseConnectionsText('a.env', 'c={"conn_type": "http", "host": "h", "port": 80}', 'env').get('c')).toMatchObject({ connType: 'http', host: 'h', port: 80 });
  });

  it('picks the format by the last extension, as Airflow', () => {
    expect([connectionsFileFormat('x.JSON'), connectionsFileFormat('a.b.yml'), connectionsFileFormat('.env'), connectionsFileFormat('c.txt')]).toEqual(['json', 'yaml', 'env', null]);
  });

  it('names a missing file and an unknown extension', () => {
    expect(() => readConnectionsFile('/nonexistent/conns.json')).toThrow('connections file /nonexistent/conns.json: cannot read it: the file was not found');
    expect(() => readConnectionsFile('conns.txt')).toThrow(/unsupported file format; .*\.env \.json \.yaml \.yml/);
    expect(() => readConnectionsFile('/dev/null.json')).toThrow(/cannot read it/);
  });
});

describe('the lookup chain', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'conn-sources-'));
  const file = path.join(dir, 'conns.yaml');
  writeFileSync(file, 'in_file: http://file-host\nin_both: http://file-host\nin_all: http://file-host\n');
  const table: ConnectionSource = {
    async getConnection(connId) {
      return connId === 'in_table' || connId === 'in_all' ? { ...emptyConnection(connId), connType: 'http', host: 'table-host' } : null;
    },
  };
  const env = { AIRFLOW_CONN_IN_BOTH: 'http://env-host', AIRFLOW_CONN_IN_ALL: '{"conn_type": "http", "host": "env-host"}' };
  const lookup = connectionLookup({ env, connectionsFile: file, table });

  it.each([['in_both', 'env-host'], ['in_all', 'env-host'], ['in_file', 'file-host'], ['in_table', 'table-host']])('%s comes from %s', async (id, host) => {
    expect((await lookup.getConnection(id))?.host).toBe(host);
  });

  it('answers null for an id no source has', async () => {
    expect(await lookup.getConnection('nowhere')).toBeNull();
    expect(await connectionLookup({ env: {}, connectionsFile: null, table: null }).getConnection('in_file')).toBeNull();
  });

  it('reads AIRFLOW_CONN_<ID upper> (test_using_env_var) and names the variable, not the value, when it is malformed', async () => {
    const source = new EnvConnectionSource({ AIRFLOW_CONN_TEST_URI: 'postgresql://username:password@ec2.compute.com:5432/the_database', AIRFLOW_CONN_BAD: '{"password": "hunter2",' });
    expect(await source.getConnection('test_uri')).toMatchObject({ connType: 'postgres', host: 'ec2.compute.com', schema: 'the_database', login: 'username', password: 'password', port: 5432 });
    const error = await source.getConnection('bad').catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/^environment variable AIRFLOW_CONN_BAD: connection bad: the JSON form is not valid JSON/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('maskConnection', () => {
  it('hides the password and extra values under Airflow sensitive keys at any depth, and a non-object extra whole', () => {
    const conn = { ...emptyConnection('c'), connType: 'http', login: 'me', password: 's3cret', extra: '{"region": "eu", "API_KEY": "k", "nested": {"client_secret": "x", "list": [{"token_uri": "t"}]}}' };
    expect(maskConnection(conn)).toEqual({ ...conn, password: '***', extra: '{"region": "eu", "API_KEY": "***", "nested": {"client_secret": "***", "list": [{"token_uri": "***"}]}}' });
    expect(maskConnection({ ...conn, extra: 'plain secret' }).extra).toBe('***');
    expect(maskConnection({ ...conn, password: null, extra: null })).toMatchObject({ password: null, extra: null });
  });
});
