/**
 * Where a worker, standalone and `dags test` look a connection up, in order (docs/connections.md "Lookup order"):
 * `AIRFLOW_CONN_<CONN_ID upper>` of the process's environment, the local secrets file
 * (`DAGBRIDGE_CONNECTIONS_FILE`), then the metadata table. The first source that has the id answers; a source
 * whose text is malformed fails the lookup with a message naming it (the variable, the file), not the value,
 * rather than fall through to a connection of the same id further down.
 */
import type { ConnectionRecord, ConnectionSource } from '../ports/connections.js';
import { parseConnectionText } from './forms.js';
import { readConnectionsFile } from './secrets-file.js';

/** The environment variable Airflow reads a connection from (EnvironmentVariablesBackend). */
export function connectionEnvName(connId: string): string {
  return `AIRFLOW_CONN_${connId.toUpperCase()}`;
}

/** `AIRFLOW_CONN_*` of an environment: a URI, or JSON when the value starts with `{`. */
export class EnvConnectionSource implements ConnectionSource {
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  async getConnection(connId: string): Promise<ConnectionRecord | null> {
    const name = connectionEnvName(connId);
    const value = this.#env[name];
    if (value === undefined || value.trim() === '') return null;
    try {
      return parseConnectionText(connId, value);
    } catch (error) {
      throw new Error(`environment variable ${name}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A local secrets file, read again at each lookup (as Airflow's LocalFilesystemBackend), so edits apply at once. */
export class FileConnectionSource implements ConnectionSource {
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  async getConnection(connId: string): Promise<ConnectionRecord | null> {
    return readConnectionsFile(this.#file).get(connId) ?? null;
  }
}

/** The first answer of several sources, in order. */
export class ChainedConnectionSource implements ConnectionSource {
  readonly #sources: readonly ConnectionSource[];

  constructor(sources: readonly ConnectionSource[]) {
    this.#sources = sources;
  }

  async getConnection(connId: string): Promise<ConnectionRecord | null> {
    for (const source of this.#sources) {
      const found = await source.getConnection(connId);
      if (found) return found;
    }
    return null;
  }
}

/** What the lookup chain is built from. */
export interface LookupSettings {
  /** The environment `AIRFLOW_CONN_*` is read from (the worker's own). */
  readonly env: NodeJS.ProcessEnv;
  /** The local secrets file (setting connectionsFile); null: none. */
  readonly connectionsFile: string | null;
  /** The metadata table; null where there is no database (`dags test` without a database URL). */
  readonly table: ConnectionSource | null;
}

/** The lookup chain: environment, secrets file, table. */
export function connectionLookup(settings: LookupSettings): ConnectionSource {
  const sources: ConnectionSource[] = [new EnvConnectionSource(settings.env)];
  if (settings.connectionsFile) sources.push(new FileConnectionSource(settings.connectionsFile));
  if (settings.table) sources.push(settings.table);
  return new ChainedConnectionSource(sources);
}
