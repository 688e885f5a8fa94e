/**
 * A local secrets file of connections, as Airflow 2.10.5's LocalFilesystemBackend reads one
 * (airflow/secrets/local_filesystem.py): the format by extension (`.json`, `.yaml`/`.yml`, `.env`); in JSON and
 * YAML an object of conn_id to a URI string or an object of fields (`extra` or `extra_dejson`), or a list of one
 * of those; in `.env` one `CONN_ID=value` per line (`#` comments, blank lines skipped). Errors name the file, the
 * line or the connection, never a value. `connections import` reads the same formats.
 */
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { readRegularFileText } from '../lib/regular-file.js';
import type { ConnectionRecord } from '../ports/connections.js';
import { ConnectionFormError, connectionFromObject, parseConnectionText, parseConnectionUri } from './forms.js';

/** The largest connections file read (10 MiB). */
export const MAX_CONNECTIONS_FILE_BYTES = 10 * 1024 * 1024;

/** The formats by extension, as Airflow's FILE_PARSERS. */
export const CONNECTIONS_FILE_FORMATS = ['env', 'json', 'yaml', 'yml'] as const;

/** A file's format from its name (the last extension, lowercased); null when it is none of Airflow's. */
export function connectionsFileFormat(file: string): 'env' | 'json' | 'yaml' | null {
  const ext = path.basename(file).split('.').pop()?.toLowerCase() ?? '';
  if (ext === 'env' || ext === 'json') return ext;
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  return null;
}

function fileError(file: string, message: string): ConnectionFormError {
  return new ConnectionFormError(`connections file ${file}: ${message}`);
}

/** `CONN_ID=value` lines: each id with its values (more than one is an error, reported by the caller). */
function parseEnvText(file: string, text: string): Map<string, string[]> {
  const secrets = new Map<string, string[]>();
  const problems: string[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    if (line === '' || /^\s*#/.test(line)) return;
    const eq = line.indexOf('=');
    if (eq < 0) {
      problems.push(`line ${index + 1}: the line should contain at least one equal sign ("=")`);
      return;
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (value === '') problems.push(`line ${index + 1}: the value of ${key} is empty`);
    secrets.set(key, [...(secrets.get(key) ?? []), value]);
  });
  if (problems.length > 0) throw fileError(file, problems.join('; '));
  return secrets;
}

function parseObjectText(file: string, text: string, format: 'json' | 'yaml'): Record<string, unknown> {
  if (text === '') throw fileError(file, 'the file is empty');
  let parsed: unknown;
  try {
    // YAML 1.1, as PyYAML's safe_load reads it (yes/no are booleans, 0777 is octal).
    parsed = format === 'json' ? JSON.parse(text) : parseYaml(text, { version: '1.1' });
  } catch (cause) {
    // The parsers' messages quote the text, which may hold passwords: only the position is kept.
    if (cause instanceof YAMLParseError) throw fileError(file, `not valid YAML (${cause.code} at line ${cause.linePos?.[0].line ?? '?'})`);
    throw fileError(file, `not valid ${format.toUpperCase()} (check its quotes, commas and braces)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fileError(file, 'the file should contain an object of connections by conn_id');
  return parsed as Record<string, unknown>;
}

function connectionOf(file: string, connId: string, value: unknown, format: 'env' | 'json' | 'yaml'): ConnectionRecord {
  // dagbridge reads a `.env` value starting with `{` as JSON (what `connections export --serialization-format json`
  // writes); Airflow 2.10.5 reads every .env value as a URI.
  if (typeof value === 'string') return format === 'env' ? parseConnectionText(connId, value) : parseConnectionUri(connId, value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return connectionFromObject(connId, value as Record<string, unknown>, { extraDejson: true });
  throw fileError(file, `connection ${connId}: expected a URI string or an object of fields, not ${value === null ? 'null' : typeof value}`);
}

/** Every connection of a connections text in `format`; `file` names it in errors. */
export function parseConnectionsText(file: string, text: string, format: 'env' | 'json' | 'yaml'): Map<string, ConnectionRecord> {
  const entries: Array<[string, unknown]> = format === 'env' ? [...parseEnvText(file, text)] : Object.entries(parseObjectText(file, text, format));
  const connections = new Map<string, ConnectionRecord>();
  for (const [connId, value] of entries) {
    if (Array.isArray(value)) {
      if (value.length > 1) throw fileError(file, `found ${value.length} values for ${connId}; give one`);
      if (value.length === 1) connections.set(connId, connectionOf(file, connId, value[0], format));
    } else {
      connections.set(connId, connectionOf(file, connId, value, format));
    }
  }
  return connections;
}

/** Reads and parses a connections file; the format comes from its extension. */
export function readConnectionsFile(file: string): Map<string, ConnectionRecord> {
  const format = connectionsFileFormat(file);
  if (!format) throw fileError(file, 'unsupported file format; the file must have one of the extensions .env .json .yaml .yml');
  let text: string;
  try {
    text = readRegularFileText(path.resolve(file), MAX_CONNECTIONS_FILE_BYTES, 'a connections file');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file was not found' : (cause as Error).message;
    throw fileError(file, `cannot read it: ${reason}`);
  }
  return parseConnectionsText(file, text, format);
}
