/**
 * `dagbridge connections add|get|list|delete|import|export|rotate-fernet-key|generate-fernet-key`: Airflow
 * Connections with `airflow connections`' flags (Airflow 2.10.5 airflow/cli/cli_config.py and
 * commands/connection_command.py). Stored connections are encrypted under DAGBRIDGE_FERNET_KEY; what is printed
 * has the password and sensitive extra values as `***` unless `--show-secrets` (docs/connections.md).
 */
import { openSync, writeSync, closeSync, fchmodSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { requireStore, type App } from '../app.js';
import { ConnectionTable } from '../connections/connection-table.js';
import {
  connIdProblem, connectionToObject, emptyConnection, extraObject, formatConnectionUri, normalizeConnType, parseConnectionJson, parseConnectionUri,
} from '../connections/forms.js';
import { maskConnection } from '../connections/mask.js';
import { urlsplit } from '../connections/python-url.js';
import { connectionsFileFormat, readConnectionsFile } from '../connections/secrets-file.js';
import { EnvConnectionSource, FileConnectionSource, connectionEnvName } from '../connections/sources.js';
import { DagbridgeError, NotFoundError, UsageError } from '../lib/errors.js';
import { generateFernetKey } from '../lib/fernet.js';
import type { ConnectionRecord, ConnectionSource } from '../ports/connections.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

interface ShowOptions extends SharedOptions {
  showSecrets?: boolean;
  output?: string;
}

const OUTPUTS = ['table', 'json', 'yaml', 'plain'] as const;

const withShow = (command: Command): Command =>
  withJson(withConnectionOptions(command)).option('--show-secrets', 'print passwords and sensitive extra values in full (default: ***)');

const withOutput = (command: Command): Command => command.option('-o, --output <format>', `output format: ${OUTPUTS.join(', ')} (default table; --json is json)`);

function tableOf(app: App): ConnectionTable {
  return new ConnectionTable(requireStore(app).pool, app.config.fernetKey);
}

function outputOf(options: ShowOptions): (typeof OUTPUTS)[number] {
  if (options.json) return 'json';
  const output = (options.output ?? 'table').toLowerCase();
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`--output ${JSON.stringify(options.output)}: use one of ${OUTPUTS.join(', ')}`);
  return output as (typeof OUTPUTS)[number];
}

/** A connection as `connections get` and `list` show it (Airflow's `_connection_mapper`, without the row id). */
function view(conn: ConnectionRecord, showSecrets: boolean, source?: string): Record<string, unknown> {
  const shown = showSecrets ? conn : maskConnection(conn);
  return {
    conn_id: shown.connId, conn_type: shown.connType, description: shown.description, host: shown.host, schema: shown.schema, login: shown.login,
    password: shown.password, port: shown.port, extra_dejson: extraObject(shown.extra) ?? {}, get_uri: formatConnectionUri(shown),
    ...(source === undefined ? {} : { source }),
  };
}

function printConnections(views: Array<Record<string, unknown>>, output: (typeof OUTPUTS)[number]): void {
  if (output === 'json') return printJson(views);
  if (output === 'yaml') return void process.stdout.write(toYaml(views));
  const columns = ['conn_id', 'conn_type', 'host', 'port', 'schema', 'login', 'password', 'description', ...(views.some((v) => 'source' in v) ? ['source'] : [])];
  const rows = views.map((v) => columns.map((c) => (v[c] === null || v[c] === undefined ? null : String(v[c]))));
  if (output === 'plain') return printLines(rows.map((row) => row.map((cell) => cell ?? '').join('\t')));
  printLines(renderTable(columns, rows));
}

interface AddOptions extends ShowOptions {
  connUri?: string;
  connJson?: string;
  connType?: string;
  connHost?: string;
  connLogin?: string;
  connPassword?: string;
  connSchema?: string;
  connPort?: string;
  connExtra?: string;
  connDescription?: string;
}

function requireConnId(connId: string): void {
  const problem = connIdProblem(connId);
  if (problem) throw new UsageError(`could not create connection: ${problem}`);
}

/** The connection `connections add` describes, with Airflow's checks of the flag combinations. */
function connectionFromFlags(connId: string, options: AddOptions): ConnectionRecord {
  requireConnId(connId);
  const { connUri: uri, connJson: json } = options;
  if (!options.connType && !uri && !json) throw new UsageError('must supply either --conn-uri or --conn-json if not supplying --conn-type');
  if (uri && json) throw new UsageError('cannot supply both --conn-uri and --conn-json');
  if (uri || json) {
    if (uri && urlsplit(uri).scheme === '') throw new UsageError(`the URI given to --conn-uri has no scheme (the connection type, as in postgres://host/db)`);
    const fields = ['connType', 'connHost', 'connLogin', 'connPassword', 'connSchema', 'connPort', ...(json ? ['connExtra'] : [])] as const;
    const given = fields.filter((field) => options[field] !== undefined).map((field) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (given.length > 0) throw new UsageError(`${given.join(', ')} cannot be combined with --conn-${uri ? 'uri' : 'json'}`);
  }
  let conn: ConnectionRecord;
  if (uri) {
    conn = parseConnectionUri(connId, uri, options.connDescription ?? null);
  } else if (json) {
    conn = parseConnectionJson(connId, json);
    if (!conn.connType) throw new UsageError('--conn-json is invalid: it must give conn_type');
    if (options.connDescription !== undefined) conn = { ...conn, description: options.connDescription };
  } else {
    let port: number | null = null;
    if (options.connPort !== undefined && options.connPort !== '') {
      port = Number(options.connPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--conn-port ${JSON.stringify(options.connPort)}: expected a whole number from 0 to 65535`);
    }
    conn = {
      ...emptyConnection(connId), connType: normalizeConnType(options.connType as string), description: options.connDescription ?? null, host: options.connHost ?? null,
      login: options.connLogin ?? null, password: options.connPassword || null, schema: options.connSchema ?? null, port,
    };
  }
  if (options.connExtra !== undefined) conn = { ...conn, extra: options.connExtra || null };
  if (!conn.connType) throw new UsageError('the connection needs a type: give --conn-type, or a scheme in --conn-uri');
  return conn;
}

/** What `connections export` writes, as Airflow's `_format_connections`. */
export function formatConnectionsFile(conns: readonly ConnectionRecord[], format: 'json' | 'yaml' | 'env', serialization: 'uri' | 'json'): string {
  if (format === 'env') {
    return conns.map((conn) => `${conn.connId}=${serialization === 'uri' ? formatConnectionUri(conn) : JSON.stringify(connectionToObject(conn))}\n`).join('');
  }
  const byId = Object.fromEntries(conns.map((conn) => [conn.connId, connectionToObject(conn)]));
  return format === 'yaml' ? toYaml(byId, { sortMapEntries: true }) : `${JSON.stringify(byId, null, 2)}\n`;
}

/** Writes a file only this user can read (it holds secrets), replacing what was there. */
function writePrivateFile(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Registers the `connections` group. */
export function registerConnectionCommands(program: Command): void {
  const connections = program.command('connections').description('Airflow Connections: add, get, list, delete, import, export, rotate-fernet-key, generate-fernet-key');

  withShow(connections.command('add').argument('<conn_id>', 'the connection id').description('add a connection to the metadata table (encrypted under DAGBRIDGE_FERNET_KEY)'))
    .option('--conn-uri <uri>', "the connection in Airflow's URI form (type://login:password@host:port/schema?extra)")
    .option('--conn-json <json>', "the connection in Airflow's JSON form ({\"conn_type\": ..., \"host\": ...})")
    .option('--conn-type <type>', 'the connection type (required without --conn-uri or --conn-json)')
    .option('--conn-host <host>', 'the host')
    .option('--conn-login <login>', 'the login')
    .option('--conn-password <password>', 'the password (visible in the process list)')
    .option('--conn-schema <schema>', 'the schema')
    .option('--conn-port <port>', 'the port')
    .option('--conn-extra <json>', 'the extra, a JSON object as text')
    .option('--conn-description <text>', 'what the connection is for')
    .action(async (connId: string, options: AddOptions) => {
      const conn = connectionFromFlags(connId, options);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        if (!(await tableOf(app).add(conn))) throw new DagbridgeError('CONFLICT', `a connection with conn_id ${connId} already exists; delete it first, or use connections import --overwrite`);
      });
      const shown = options.showSecrets ? conn : maskConnection(conn);
      if (options.json) printJson({ added: connId, connection: view(conn, options.showSecrets === true) });
      else printLines([`Successfully added conn_id=${connId} : ${formatConnectionUri(shown)}`]);
    });

  withOutput(withShow(connections.command('get').argument('<conn_id>', 'the connection id').description('show a connection as a task would get it: AIRFLOW_CONN_*, the connections file, then the table')))
    .action(async (connId: string, options: ShowOptions) => {
      const output = outputOf(options);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const sources: Array<[string, ConnectionSource]> = [[`environment variable ${connectionEnvName(connId)}`, new EnvConnectionSource(process.env)]];
        if (app.config.connectionsFile) sources.push([`file ${app.config.connectionsFile}`, new FileConnectionSource(app.config.connectionsFile)]);
        sources.push(['table', tableOf(app)]);
        for (const [name, source] of sources) {
          const conn = await source.getConnection(connId);
          if (conn) return printConnections([view(conn, options.showSecrets === true, name)], output);
        }
        throw new NotFoundError(`connection ${connId} not found (looked in ${sources.map(([name]) => name).join(', ')})`);
      });
    });

  withOutput(withShow(connections.command('list').description('the connections of the metadata table')))
    .option('--conn-id <conn_id>', 'only this connection')
    .action(async (options: ShowOptions & { connId?: string }) => {
      const output = outputOf(options);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const conns = await tableOf(app).list(options.connId);
        printConnections(conns.map((conn) => view(conn, options.showSecrets === true)), output);
      });
    });

  withJson(withConnectionOptions(connections.command('delete').argument('<conn_id>', 'the connection id').description('delete a connection from the metadata table')))
    .action(async (connId: string, options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        if (!(await tableOf(app).delete(connId))) throw new NotFoundError(`did not find a connection with conn_id ${connId}`);
      });
      if (options.json) printJson({ deleted: connId });
      else printLines([`Successfully deleted connection with conn_id=${connId}`]);
    });

  withJson(withConnectionOptions(connections.command('import').argument('<file>', 'a .json, .yaml/.yml or .env file of connections').description('add the connections of a file to the metadata table')))
    .option('--overwrite', 'replace connections that exist (default: keep them and skip)')
    .action(async (file: string, options: SharedOptions & { overwrite?: boolean }) => {
      const conns = readConnectionsFile(file);
      const imported: string[] = [];
      const skipped: Array<{ connId: string; reason: string }> = [];
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const table = tableOf(app);
        for (const [connId, conn] of conns) {
          const problem = connIdProblem(connId) ?? (conn.connType ? null : 'it has no conn_type');
          if (problem) skipped.push({ connId, reason: problem });
          else if (options.overwrite) await table.put(conn).then(() => imported.push(connId));
          else if (await table.add(conn)) imported.push(connId);
          else skipped.push({ connId, reason: 'connection already exists' });
        }
      });
      if (options.json) printJson({ imported, skipped });
      else printLines([...imported.map((id) => `Imported connection ${id}`), ...skipped.map((s) => `Could not import connection ${s.connId}: ${s.reason}`)]);
    });

  withShow(connections.command('export').argument('<file>', 'the file to write, or - for stdout').description('write every connection of the metadata table to a file'))
    .option('--file-format <format>', 'json, yaml or env (default: by the file extension; json for stdout)')
    .option('--format <format>', 'deprecated spelling of --file-format')
    .option('--serialization-format <format>', 'for env files: each connection as uri (default) or json')
    .action(async (file: string, options: ShowOptions & { fileFormat?: string; format?: string; serializationFormat?: string }) => {
      if (options.format && options.fileFormat) throw new UsageError('--format is the deprecated spelling of --file-format; give only --file-format');
      const given = (options.fileFormat ?? options.format)?.toLowerCase().replace(/^\./, '');
      const stdout = file === '-';
      const format = given === 'yml' ? 'yaml' : given ?? (stdout ? 'json' : connectionsFileFormat(file));
      if (format !== 'json' && format !== 'yaml' && format !== 'env') {
        throw new UsageError(given ? `--file-format ${given}: use json, yaml or env` : `unsupported file format of ${file}: the file must have the extension .yaml, .json or .env, or give --file-format`);
      }
      const serialization = options.serializationFormat?.toLowerCase();
      if (serialization !== undefined && format !== 'env') throw new UsageError('--serialization-format may only be used with the env file format');
      if (serialization !== undefined && serialization !== 'uri' && serialization !== 'json') throw new UsageError(`--serialization-format ${serialization}: use uri or json`);
      const conns = await withApp(options, { role: 'cli', database: true }, async (app) => tableOf(app).list());
      // A file is what import reads back, so it holds the secrets (mode 0600); stdout is masked unless asked.
      const text = formatConnectionsFile(stdout && !options.showSecrets ? conns.map(maskConnection) : conns, format, serialization === 'json' ? 'json' : 'uri');
      if (stdout) process.stdout.write(text);
      else writePrivateFile(file, text);
      if (!stdout) {
        if (options.json) printJson({ exported: conns.length, file: path.resolve(file), format });
        else printLines([`Connections successfully exported: ${conns.length} to ${file}`]);
      }
    });

  withJson(withConnectionOptions(connections.command('rotate-fernet-key').description('re-encrypt every stored connection under the first key of DAGBRIDGE_FERNET_KEY')))
    .action(async (options: SharedOptions) => {
      const report = await withApp(options, { role: 'cli', database: true }, async (app) => tableOf(app).rotate());
      if (options.json) printJson(report);
      else printLines([`${report.rotated} connections re-encrypted with the first key, ${report.encrypted} stored in clear now encrypted${report.changed > 0 ? `, ${report.changed} changed meanwhile (run again)` : ''}`]);
    });

  withJson(connections.command('generate-fernet-key').description('print a new Fernet key for DAGBRIDGE_FERNET_KEY'))
    .action((options: { json?: boolean }) => {
      const key = generateFernetKey();
      if (options.json) printJson({ fernetKey: key });
      else printLines([key]);
    });
}
