/**
 * Airflow's two text forms of a Connection, as Airflow 2.10.5's airflow/models/connection.py reads and writes
 * them: the URI (`_parse_from_uri`, `get_uri`: `__extra__`, percent-encoding, a host with its own protocol,
 * `-` in the scheme for `_` in the type) and the JSON object (`from_json`, `as_json`), plus the object form of
 * the local secrets file (secrets/local_filesystem.py `_create_connection`). Errors name the connection and the
 * field, never a secret value.
 */
import { DagbridgeError } from '../lib/errors.js';
import type { ConnectionRecord } from '../ports/connections.js';
import { parseQsl, pythonJsonDumps, quote, unquote, urlencode, urlsplit } from './python-url.js';

/** A connection text that Airflow would refuse too; the message names the connection and what is wrong. */
export class ConnectionFormError extends DagbridgeError {
  constructor(message: string) {
    super('CONNECTION_INVALID', message);
  }
}

/** Airflow's key rule for connection ids given to `connections add` and `import` (helpers.validate_key, 200). */
export function connIdProblem(connId: string): string | null {
  if (connId.length > 200) return `the connection id is ${connId.length} characters; at most 200`;
  if (!/^[\p{L}\p{N}_.-]+$/u.test(connId)) return `the connection id ${JSON.stringify(connId)} has to be made of alphanumeric characters, dashes, dots and underscores exclusively`;
  return null;
}

/** Airflow's `_normalize_conn_type`: `postgresql` is `postgres`, `-` becomes `_`. */
export function normalizeConnType(connType: string): string {
  if (connType === 'postgresql') return 'postgres';
  return connType.replace(/-/g, '_');
}

/** A record with every field empty but the id. */
export function emptyConnection(connId: string): ConnectionRecord {
  return { connId, connType: null, description: null, host: null, schema: null, login: null, password: null, port: null, extra: null };
}

/** Airflow's `Connection(conn_id=..., uri=...)`. */
export function parseConnectionUri(connId: string, uri: string, description: string | null = null): ConnectionRecord {
  const invalid = (why: string): ConnectionFormError => new ConnectionFormError(`connection ${connId}: invalid connection URI (${why})`);
  const schemes = uri.split('://').length - 1;
  if (schemes > 2) throw invalid('more than two "://"');
  const hostWithProtocol = schemes === 2;
  let first;
  try {
    first = urlsplit(uri);
  } catch (cause) {
    throw invalid((cause as Error).message);
  }
  const connType = normalizeConnType(first.scheme);
  const rest = uri.split(`${first.scheme}://`).join(hostWithProtocol ? '' : '//');
  if (hostWithProtocol) {
    const protocolPart = rest.split('://', 1)[0] ?? '';
    if (protocolPart.includes('@') || protocolPart.includes(':')) throw invalid('a host with a protocol may not have "@" or ":" before its "://"');
  }
  let parts;
  let port: number | null;
  try {
    parts = urlsplit(rest);
    port = parts.port();
  } catch (cause) {
    throw invalid((cause as Error).message);
  }
  const hostname = netlocHostname(parts.hostname, parts.netloc);
  const protocol = hostWithProtocol ? parts.scheme : null;
  const host = !hostname ? hostname : protocol ? `${protocol}://${hostname}` : hostname;
  const quotedSchema = parts.path.slice(1);
  let extra: string | null = null;
  if (parts.query) {
    const query = Object.fromEntries(parseQsl(parts.query));
    extra = EXTRA_KEY in query ? (query[EXTRA_KEY] as string) : pythonJsonDumps(query);
  }
  return {
    connId,
    connType,
    description,
    host,
    schema: quotedSchema ? unquote(quotedSchema) : quotedSchema,
    login: parts.username ? unquote(parts.username) : parts.username,
    // Airflow's password setter keeps only a non-empty password.
    password: parts.password ? unquote(parts.password) : null,
    port,
    extra,
  };
}

const EXTRA_KEY = '__extra__';

/** Airflow's `_parse_netloc_to_hostname`: the unquoted hostname, or the raw netloc host when it holds a `/`. */
function netlocHostname(hostname: string | null, netloc: string): string {
  let host = unquote(hostname ?? '');
  if (host.includes('/')) {
    host = netloc;
    const at = host.lastIndexOf('@');
    if (at >= 0) host = host.slice(at + 1);
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
    host = unquote(host);
  }
  return host;
}

/** The extra JSON as an object, or null when it is absent or not a JSON object (Airflow's extra_dejson is then {}). */
export function extraObject(extra: string | null): Record<string, unknown> | null {
  if (!extra) return null;
  try {
    const parsed: unknown = JSON.parse(extra);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    // Not JSON: Airflow logs it and reads the extra as {}.
    return null;
  }
}

/** Airflow's `Connection.get_uri()`. */
export function formatConnectionUri(conn: ConnectionRecord): string {
  let uri = conn.connType ? `${conn.connType.toLowerCase().replace(/_/g, '-')}://` : '//';
  const split = conn.host && conn.host.includes('://') ? conn.host.indexOf('://') : -1;
  const protocol = split >= 0 ? (conn.host as string).slice(0, split) : null;
  const host = split >= 0 ? (conn.host as string).slice(split + 3) : conn.host;
  if (protocol) uri += `${protocol}://`;
  let authority = '';
  if (conn.login !== null) authority += quote(conn.login);
  if (conn.password !== null) authority += `:${quote(conn.password)}`;
  if (authority !== '') uri += `${authority}@`;
  let hostBlock = host ? quote(host) : '';
  if (conn.port) hostBlock += hostBlock === '' && authority === '' ? `@:${conn.port}` : `:${conn.port}`;
  if (conn.schema) hostBlock += `/${quote(conn.schema)}`;
  uri += hostBlock;
  if (conn.extra) {
    const object = extraObject(conn.extra);
    const values = object ? Object.entries(object) : [];
    // As Airflow: the extra's pairs as the query only when they read back the same (all values strings).
    const asQuery = values.length > 0 && values.every(([, v]) => typeof v === 'string') ? urlencode(values as Array<[string, string]>) : null;
    uri += (conn.schema ? '?' : '/?') + (asQuery ?? urlencode([[EXTRA_KEY, conn.extra]]));
  }
  return uri;
}

/** The fields Airflow's `Connection(**kwargs)` takes, by their Airflow names. */
const FIELD_NAMES = ['conn_type', 'description', 'host', 'login', 'password', 'schema', 'port', 'extra', 'uri'] as const;

function textField(connId: string, object: Record<string, unknown>, name: string): string | null {
  const value = object[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ConnectionFormError(`connection ${connId}: ${name} must be a string or null, not ${Array.isArray(value) ? 'an array' : typeof value}`);
  return value;
}

function portField(connId: string, value: unknown): number | null {
  // As Airflow's from_json: a falsy port is no port; a number or digit string is an integer.
  if (value === undefined || value === null || value === 0 || value === '') return null;
  const port = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port)) throw new ConnectionFormError(`connection ${connId}: expected an integer for port, got ${JSON.stringify(typeof value === 'string' ? value.slice(0, 20) : typeof value)}`);
  return port;
}

/**
 * A connection from an object of Airflow's field names (`conn_type`, `host`, ..., `extra` as text or an object;
 * `extraDejson` allows `extra_dejson` as the local secrets file does). `uri` may stand for the other fields.
 */
export function connectionFromObject(connId: string, object: Record<string, unknown>, options: { extraDejson?: boolean } = {}): ConnectionRecord {
  const allowed = new Set<string>([...FIELD_NAMES, 'conn_id', ...(options.extraDejson ? ['extra_dejson'] : [])]);
  const unknown = Object.keys(object).filter((key) => !allowed.has(key));
  if (unknown.length > 0) throw new ConnectionFormError(`connection ${connId}: unknown keys ${unknown.join(', ')}; a connection has ${[...allowed].join(', ')}`);
  if ('conn_id' in object && object.conn_id !== connId) throw new ConnectionFormError(`connection ${connId}: the object's conn_id ${JSON.stringify(object.conn_id)} is not its key ${JSON.stringify(connId)}`);
  if ('extra' in object && 'extra_dejson' in object) throw new ConnectionFormError(`connection ${connId}: extra and extra_dejson are mutually exclusive; give one`);
  const rawExtra = 'extra_dejson' in object ? object.extra_dejson : object.extra;
  const extra = rawExtra === undefined || rawExtra === null || rawExtra === '' ? (rawExtra === '' ? '' : null) : typeof rawExtra === 'string' ? rawExtra : pythonJsonDumps(rawExtra);
  const description = textField(connId, object, 'description');
  const uri = textField(connId, object, 'uri');
  const connTypeText = textField(connId, object, 'conn_type');
  const fields = {
    connType: connTypeText ? normalizeConnType(connTypeText) : connTypeText,
    host: textField(connId, object, 'host'),
    login: textField(connId, object, 'login'),
    password: textField(connId, object, 'password') || null,
    schema: textField(connId, object, 'schema'),
    port: portField(connId, object.port),
    extra,
  };
  if (uri) {
    if (fields.connType || fields.host || fields.login || fields.password || fields.schema || fields.port || fields.extra) {
      throw new ConnectionFormError(`connection ${connId}: give either uri or the individual fields (conn_type, host, login, password, schema, port, extra), not both`);
    }
    return parseConnectionUri(connId, uri, description);
  }
  return { connId, description, ...fields };
}

/** Airflow's `Connection.from_json(value, conn_id)`: a JSON object of the fields. */
export function parseConnectionJson(connId: string, text: string): ConnectionRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may hold the password: the message says only what is wrong.
    throw new ConnectionFormError(`connection ${connId}: the JSON form is not valid JSON (check its quotes, commas and braces)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConnectionFormError(`connection ${connId}: the JSON form must be an object of fields`);
  return connectionFromObject(connId, parsed as Record<string, unknown>);
}

/** A serialized connection as Airflow's secrets backends read one: JSON when it starts with `{`, else a URI. */
export function parseConnectionText(connId: string, text: string): ConnectionRecord {
  const value = text.trim();
  return value.startsWith('{') ? parseConnectionJson(connId, value) : parseConnectionUri(connId, value);
}

/** The fields by Airflow's names, extra as text (connections export's `_connection_to_dict`). */
export function connectionToObject(conn: ConnectionRecord): Record<string, unknown> {
  return { conn_type: conn.connType, description: conn.description, login: conn.login, password: conn.password, host: conn.host, port: conn.port, schema: conn.schema, extra: conn.extra };
}

/** Airflow's `as_json()`: the non-empty fields, extra as an object. */
export function formatConnectionJson(conn: ConnectionRecord): string {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ conn_type: conn.connType, description: conn.description, host: conn.host, login: conn.login, password: conn.password, schema: conn.schema, port: conn.port })) {
    if (value !== null && value !== '') object[key] = value;
  }
  const extra = extraObject(conn.extra);
  if (extra && Object.keys(extra).length > 0) object.extra = extra;
  return pythonJsonDumps(object);
}
