import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../ports/connections.js';
import { connIdProblem, connectionFromObject, formatConnectionJson, formatConnectionUri, parseConnectionJson, parseConnectionText, parseConnectionUri } from './forms.js';
import { pythonJsonDumps } from './python-url.js';

type Fields = Partial<Omit<ConnectionRecord, 'connId'>> & { extraDejson?: unknown };

const AUTH = { connType: 'scheme', host: 'host/location', schema: 'schema', login: 'user', password: 'password', port: 1234 };

// Airflow 2.10.5 tests/always/test_connection.py: test_from_uri_params (test_connection_from_uri).
const FROM_URI: Array<[string, string, Fields]> = [
  ['without extras', 'scheme://user:password@host%2Flocation:1234/schema', { ...AUTH, extra: null }],
  ['with extras', 'scheme://user:password@host%2Flocation:1234/schema?extra1=a%20value&extra2=%2Fpath%2F', { ...AUTH, extraDejson: { extra1: 'a value', extra2: '/path/' } }],
  ['with extras single value', 'scheme://user:password@host%2Flocation:1234/schema?__extra__=single+value', { ...AUTH, extra: 'single value' }],
  ['with extra non-json', 'scheme://user:password@host%2Flocation:1234/schema?__extra__=arbitrary+string+%2A%29%2A%24', { ...AUTH, extra: 'arbitrary string *)*$' }],
  ['with extras list', 'scheme://user:password@host%2Flocation:1234/schema?__extra__=%5B%22list%22%2C+%22of%22%2C+%22values%22%5D', { ...AUTH, extraDejson: ['list', 'of', 'values'] }],
  [
    'with nested json',
    'scheme://user:password@host%2Flocation:1234/schema?__extra__=%7B%22my_val%22%3A+%5B%22list%22%2C+%22of%22%2C+%22values%22%5D%2C+%22extra%22%3A+%7B%22nested%22%3A+%7B%22json%22%3A+%22val%22%7D%7D%7D',
    { ...AUTH, extraDejson: { my_val: ['list', 'of', 'values'], extra: { nested: { json: 'val' } } } },
  ],
  ['with empty extras', 'scheme://user:password@host%2Flocation:1234/schema?extra1=a%20value&extra2=', { ...AUTH, extraDejson: { extra1: 'a value', extra2: '' } }],
  ['with colon in hostname', 'scheme://user:password@host%2Flocation%3Ax%3Ay:1234/schema?extra1=a%20value&extra2=%2Fpath%2F', { ...AUTH, host: 'host/location:x:y', extraDejson: { extra1: 'a value', extra2: '/path/' } }],
  ['with encoded password', 'scheme://user:password%20with%20space@host%2Flocation%3Ax%3Ay:1234/schema', { ...AUTH, host: 'host/location:x:y', password: 'password with space' }],
  ['with encoded user', 'scheme://domain%2Fuser:password@host%2Flocation%3Ax%3Ay:1234/schema', { ...AUTH, host: 'host/location:x:y', login: 'domain/user' }],
  ['with encoded schema', 'scheme://user:password%20with%20space@host:1234/schema%2Ftest', { ...AUTH, host: 'host', schema: 'schema/test', password: 'password with space' }],
  ['no schema', 'scheme://user:password%20with%20space@host:1234', { ...AUTH, host: 'host', schema: '', password: 'password with space' }],
  [
    'with underscore',
    'google-cloud-platform://?key_path=%2Fkeys%2Fkey.json&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform&project=airflow',
    { connType: 'google_cloud_platform', host: '', schema: '', login: null, password: null, port: null, extraDejson: { key_path: '/keys/key.json', scope: 'https://www.googleapis.com/auth/cloud-platform', project: 'airflow' } },
  ],
  ['without auth info', 'scheme://host:1234', { connType: 'scheme', host: 'host', schema: '', login: null, password: null, port: 1234 }],
  ['with path', 'scheme://%2FTmP%2F:1234', { connType: 'scheme', host: '/TmP/', schema: '', login: null, password: null, port: 1234 }],
  ['schema only', 'scheme:///airflow', { connType: 'scheme', schema: 'airflow' }],
  ['port only', 'scheme://@:1234', { connType: 'scheme', port: 1234 }],
  ['password only', 'scheme://:password%2F%21%40%23%24%25%5E%26%2A%28%29%7B%7D@', { connType: 'scheme', password: 'password/!@#$%^&*(){}' }],
  ['login only', 'scheme://login%2F%21%40%23%24%25%5E%26%2A%28%29%7B%7D@', { connType: 'scheme', login: 'login/!@#$%^&*(){}' }],
];

// Airflow 2.10.5 tests/always/test_connection.py: test_connection_from_with_auth_info.
const WITH_AUTH_INFO: Array<[string, Fields]> = [
  ['http://:password@host:80/database', { connType: 'http', login: '', password: 'password', host: 'host', port: 80, schema: 'database' }],
  ['http://user:@host:80/database', { connType: 'http', login: 'user', password: null, host: 'host', port: 80, schema: 'database' }],
  ['http://user:password@/database', { connType: 'http', login: 'user', password: 'password', host: '', port: null, schema: 'database' }],
  ['http://user:password@host:80/', { connType: 'http', login: 'user', password: 'password', host: 'host', port: 80, schema: '' }],
  ['http://user:password@/', { connType: 'http', login: 'user', password: 'password', host: '', port: null, schema: '' }],
  ['postgresql://user:password@%2Ftmp%2Fz6rqdzqh%2Fexample%3Awest1%3Atestdb/testdb', { connType: 'postgres', login: 'user', password: 'password', host: '/tmp/z6rqdzqh/example:west1:testdb', port: null, schema: 'testdb' }],
  ['postgresql://user@%2Ftmp%2Fz6rqdzqh%2Fexample%3Aeurope-west1%3Atestdb/testdb', { connType: 'postgres', login: 'user', password: null, host: '/tmp/z6rqdzqh/example:europe-west1:testdb', port: null, schema: 'testdb' }],
  ['postgresql://%2Ftmp%2Fz6rqdzqh%2Fexample%3Aeurope-west1%3Atestdb', { connType: 'postgres', login: null, password: null, host: '/tmp/z6rqdzqh/example:europe-west1:testdb', port: null, schema: '' }],
  ['spark://k8s%3a%2F%2F100.68.0.1:443?deploy-mode=cluster', { connType: 'spark', login: null, password: null, host: 'k8s://100.68.0.1', port: 443, schema: '' }],
  ['spark://user:password@k8s%3a%2F%2F100.68.0.1:443?deploy-mode=cluster', { connType: 'spark', login: 'user', password: 'password', host: 'k8s://100.68.0.1', port: 443, schema: '' }],
  ['spark://user@k8s%3a%2F%2F100.68.0.1:443?deploy-mode=cluster', { connType: 'spark', login: 'user', password: null, host: 'k8s://100.68.0.1', port: 443, schema: '' }],
  ['spark://k8s%3a%2F%2Fno.port.com?deploy-mode=cluster', { connType: 'spark', login: null, password: null, host: 'k8s://no.port.com', port: null, schema: '' }],
];

function expectFields(conn: ConnectionRecord, fields: Fields): void {
  const { extraDejson, ...plain } = fields;
  expect(conn).toMatchObject(plain);
  if (extraDejson !== undefined) expect(JSON.parse(conn.extra ?? 'null')).toEqual(extraDejson);
}

describe('parseConnectionUri (Airflow test_connection_from_uri)', () => {
  it.each(FROM_URI)('%s', (_name, uri, fields) => {
    expectFields(parseConnectionUri('c', uri), fields);
  });

  it.each(FROM_URI)('%s: get_uri then parse gives the same connection (test_connection_get_uri_from_uri)', (_name, uri) => {
    const conn = parseConnectionUri('c', uri);
    const again = parseConnectionUri('c', formatConnectionUri(conn));
    expect(again).toEqual(conn);
  });
});

describe('parseConnectionUri (Airflow test_connection_from_with_auth_info)', () => {
  it.each(WITH_AUTH_INFO)('%s', (uri, fields) => {
    expectFields(parseConnectionUri('c', uri), fields);
  });

  it('writes query extras as Python json.dumps does (ASCII, ", " and ": ")', () => {
    expect(parseConnectionUri('c', 'http://h/?a=1&b=%C3%A9').extra).toBe('{"a": "1", "b": "\\u00e9"}');
  });

  it('refuses more than two "://", a protocol host with credentials before it, and a bad port, naming the connection', () => {
    expect(() => parseConnectionUri('my_conn', 'a://b://c://d')).toThrow(/^connection my_conn: invalid connection URI/);
    expect(() => parseConnectionUri('my_conn', 'spark://user:pw@k8s://host')).toThrow(/connection my_conn/);
    expect(() => parseConnectionUri('my_conn', 'http://host:port')).toThrow(/Port could not be cast/);
    expect(() => parseConnectionUri('my_conn', 'http://host:70000')).toThrow(/Port out of range/);
  });

  it('keeps a host with its own protocol', () => {
    expect(parseConnectionUri('c', 'spark://k8s://100.68.0.1:443').host).toBe('k8s://100.68.0.1');
  });
});

describe('formatConnectionUri (Airflow get_uri)', () => {
  const base = { connId: 'c', description: null, host: null, schema: null, login: null, password: null, port: null, extra: null };

  it('test_get_uri_no_conn_type: "//", "//abc", and "//abc" reads back host abc', () => {
    expect(formatConnectionUri({ ...base, connType: null })).toBe('//');
    expect(formatConnectionUri({ ...base, connType: null, host: 'abc' })).toBe('//abc');
    expect(parseConnectionUri('c', '//abc').host).toBe('abc');
  });

  it('writes _ in the type as -, encodes every reserved character, and string-valued extras as the query', () => {
    expect(formatConnectionUri({ ...base, connType: 'google_cloud_platform', login: 'a b', password: 'p@ss/w:rd', host: 'db.example.com', port: 5432, schema: 'my db', extra: '{"sslmode": "require"}' }))
      .toBe('google-cloud-platform://a%20b:p%40ss%2Fw%3Ard@db.example.com:5432/my%20db?sslmode=require');
  });

  it('falls back to __extra__ for extras that are not all strings', () => {
    expect(formatConnectionUri({ ...base, connType: 'http', host: 'h', extra: '{"timeout": 5}' })).toBe('http://h/?__extra__=%7B%22timeout%22%3A+5%7D');
  });

  it('writes the port alone as @:port', () => {
    expect(formatConnectionUri({ ...base, connType: 'scheme', port: 1234 })).toBe('scheme://@:1234');
  });
});

describe('parseConnectionJson (Airflow Connection.from_json)', () => {
  // test_from_json_extra, test_from_json_conn_type, test_from_json_port, test_from_json_special_characters.
  it.each([
    ['{"extra": null}', null],
    ['{"extra": "hi"}', 'hi'],
    ['{"extra": {"yo": "hi"}}', '{"yo": "hi"}'],
    ['{"extra": "{\\"yo\\": \\"hi\\"}"}', '{"yo": "hi"}'],
  ])('extra of %s is %j', (json, extra) => {
    expect(parseConnectionJson('c', json).extra).toBe(extra);
  });

  it.each([['abc-abc', 'abc_abc'], ['abc_abc', 'abc_abc'], ['postgresql', 'postgres']])('conn_type %s is %s', (given, type) => {
    expect(parseConnectionJson('c', JSON.stringify({ conn_type: given })).connType).toBe(type);
  });

  it.each([['{"port": 1}', 1], ['{"port": "1"}', 1], ['{"port": null}', null]])('port of %s is %j', (json, port) => {
    expect(parseConnectionJson('c', json).port).toBe(port);
  });

  it.each([['pass :/!@#$%^&*(){}"', 'pass :/!@#$%^&*(){}"'], [null, null], ['', null]])('password %j reads %j', (given, password) => {
    expect(parseConnectionJson('c', JSON.stringify({ password: given })).password).toBe(password);
  });

  it('refuses an unknown field, a bad port and a mix of uri and fields, naming the connection', () => {
    expect(() => parseConnectionJson('x', '{"hots": "h"}')).toThrow(/^connection x: unknown keys hots/);
    expect(() => parseConnectionJson('x', '{"port": "eighty"}')).toThrow(/^connection x: expected an integer for port/);
    expect(() => parseConnectionJson('x', '{"uri": "mysql://", "schema": "AAA"}')).toThrow(/give either uri or the individual fields/);
    expect(() => parseConnectionJson('x', '[1]')).toThrow(/must be an object/);
  });

  it('round-trips through as_json', () => {
    const conn = parseConnectionJson('c', '{"conn_type": "http", "host": "h", "password": "p", "port": 8080, "extra": {"a": 1}}');
    expect(formatConnectionJson(conn)).toBe('{"conn_type": "http", "host": "h", "password": "p", "port": 8080, "extra": {"a": 1}}');
    expect(parseConnectionJson('c', formatConnectionJson(conn))).toEqual(conn);
  });
});

describe('parseConnectionText (secrets backends deserialize_connection)', () => {
  it('reads JSON when the value starts with {, else a URI (test_using_env_var)', () => {
    expect(parseConnectionText('test_uri', ' postgresql://username:password@ec2.compute.com:5432/the_database ')).toMatchObject({ connType: 'postgres', host: 'ec2.compute.com', schema: 'the_database', login: 'username', password: 'password', port: 5432 });
    expect(parseConnectionText('j', ' {"conn_type": "http", "host": "h"}')).toMatchObject({ connType: 'http', host: 'h' });
  });
});

describe('connectionFromObject (local secrets file _create_connection)', () => {
  it('takes extra_dejson as an object, a matching conn_id, and refuses both extras', () => {
    expect(connectionFromObject('c', { conn_type: 'http', extra_dejson: { a: 'b' } }, { extraDejson: true }).extra).toBe('{"a": "b"}');
    expect(() => connectionFromObject('c', { conn_id: 'd' }, { extraDejson: true })).toThrow(/conn_id "d" is not its key "c"/);
    expect(() => connectionFromObject('c', { extra: '{}', extra_dejson: {} }, { extraDejson: true })).toThrow(/mutually exclusive/);
    expect(() => connectionFromObject('c', { extra_dejson: {} })).toThrow(/unknown keys extra_dejson/);
  });
});

describe('connIdProblem (Airflow helpers.validate_key, max 200)', () => {
  it.each([['my_conn.v-2', null], ['é_ok', null]])('%s is fine', (id, problem) => expect(connIdProblem(id)).toBe(problem));
  it.each([['bad id'], ['a/b'], ['x'.repeat(201)]])('%s is refused', (id) => expect(connIdProblem(id)).not.toBeNull());
});

describe('pythonJsonDumps', () => {
  it('matches json.dumps defaults', () => {
    expect(pythonJsonDumps({ a: [1, true, null], 'é': 'x\u007f"\n' })).toBe('{"a": [1, true, null], "\\u00e9": "x\\u007f\\"\\n"}');
  });
});
