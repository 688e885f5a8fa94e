/**
 * The `connections` table with its secrets encrypted at rest: password and extra are written as Fernet tokens
 * under the first key of DAGBRIDGE_FERNET_KEY and read with any key of the list (src/lib/fernet.ts). Unlike
 * Airflow, which stores them in clear when no key is set, dagbridge refuses to write a connection without a key,
 * and refuses to read an encrypted value without one, naming the connection (docs/connections.md).
 */
import { FERNET_KEY_ENV, FernetError, FernetKeys } from '../lib/fernet.js';
import type { ConnectionRecord, ConnectionSource } from '../ports/connections.js';
import { ConnectionFormError } from './forms.js';
import type { Queryable } from '../store/db.js';
import {
  deleteConnectionRow, getConnectionRow, insertConnectionRow, listConnectionRows, replaceConnectionSecrets, upsertConnectionRow, type ConnectionRow,
} from '../store/connection-queries.js';

/** What `rotate` did. */
export interface RotationReport {
  /** Rows whose tokens were re-encrypted under the first key. */
  readonly rotated: number;
  /** Rows that held a secret in clear (copied from an Airflow database without a key), now encrypted. */
  readonly encrypted: number;
  /** Rows that changed while being rotated (left as the other writer wrote them). */
  readonly changed: number;
}

/** The metadata table as a connection source, and the writes of `dagbridge connections`. */
export class ConnectionTable implements ConnectionSource {
  readonly #client: Queryable;
  readonly #keyList: string | null;
  #keys: FernetKeys | null = null;

  /** `keyList`: the comma-separated keys of DAGBRIDGE_FERNET_KEY (null or empty: none), parsed when first needed. */
  constructor(client: Queryable, keyList: string | null) {
    this.#client = client;
    this.#keyList = keyList;
  }

  #fernet(purpose: string): FernetKeys {
    if (this.#keys) return this.#keys;
    try {
      this.#keys = FernetKeys.parse(this.#keyList);
    } catch (error) {
      if (error instanceof FernetError && error.code === 'FERNET_KEY_MISSING') {
        throw new FernetError('FERNET_KEY_MISSING', `no Fernet key to ${purpose}: set ${FERNET_KEY_ENV} (generate one with \`dagbridge connections generate-fernet-key\`)`);
      }
      throw error;
    }
    return this.#keys;
  }

  /** A row's fields in clear. */
  decrypt(row: ConnectionRow): ConnectionRecord {
    const open = (value: string | null, encrypted: boolean, what: string): string | null => {
      if (!value || !encrypted) return value;
      return this.#fernet(`decrypt ${what}`).decrypt(value, what);
    };
    return {
      connId: row.connId, connType: row.connType, description: row.description, host: row.host, schema: row.schema, login: row.login,
      password: open(row.password, row.isEncrypted, `the password of connection ${row.connId}`),
      port: row.port,
      extra: open(row.extra, row.isExtraEncrypted, `the extra of connection ${row.connId}`),
    };
  }

  /** The row to store for `conn`, secrets encrypted under the first key. */
  encrypt(conn: ConnectionRecord): ConnectionRow {
    if (!conn.connType) throw new ConnectionFormError(`connection ${conn.connId}: a stored connection needs a conn_type`);
    const keys = this.#fernet(`encrypt connection ${conn.connId}`);
    return {
      connId: conn.connId, connType: conn.connType, description: conn.description, host: conn.host, schema: conn.schema, login: conn.login, port: conn.port,
      password: conn.password ? keys.encrypt(conn.password) : null,
      isEncrypted: Boolean(conn.password),
      extra: conn.extra ? keys.encrypt(conn.extra) : conn.extra,
      isExtraEncrypted: Boolean(conn.extra),
    };
  }

  async getConnection(connId: string): Promise<ConnectionRecord | null> {
    const row = await getConnectionRow(this.#client, connId);
    return row ? this.decrypt(row) : null;
  }

  /** Every connection in clear, by id (or the one named). */
  async list(connId?: string): Promise<ConnectionRecord[]> {
    return (await listConnectionRows(this.#client, connId)).map((row) => this.decrypt(row));
  }

  /** Adds a connection; false when one of that id exists (nothing is changed). */
  async add(conn: ConnectionRecord): Promise<boolean> {
    return insertConnectionRow(this.#client, this.encrypt(conn));
  }

  /** Adds or replaces a connection. */
  async put(conn: ConnectionRecord): Promise<void> {
    await upsertConnectionRow(this.#client, this.encrypt(conn));
  }

  /** Deletes a connection; false when there was none. */
  async delete(connId: string): Promise<boolean> {
    return deleteConnectionRow(this.#client, connId);
  }

  /**
   * Re-encrypts every row's secrets under the first key (Airflow's `rotate-fernet-key`), keeping each token's
   * timestamp; secrets stored in clear are encrypted. Each row is its own compare-and-set, so running it twice,
   * or beside writers, is safe; a token no key opens stops it with InvalidToken naming the connection.
   */
  async rotate(): Promise<RotationReport> {
    const keys = this.#fernet('rotate the connections');
    let rotated = 0;
    let encrypted = 0;
    let changed = 0;
    for (const row of await listConnectionRows(this.#client)) {
      const turn = (value: string | null, isEncrypted: boolean, what: string): string | null => {
        if (!value) return value;
        return isEncrypted ? keys.rotate(value, what) : keys.encrypt(value);
      };
      const next = {
        password: turn(row.password, row.isEncrypted, `the password of connection ${row.connId}`),
        isEncrypted: row.isEncrypted || Boolean(row.password),
        extra: turn(row.extra, row.isExtraEncrypted, `the extra of connection ${row.connId}`),
        isExtraEncrypted: row.isExtraEncrypted || Boolean(row.extra),
      };
      if (!row.password && !row.extra) continue;
      if (!(await replaceConnectionSecrets(this.#client, row, next))) changed += 1;
      else if ((row.password && !row.isEncrypted) || (row.extra && !row.isExtraEncrypted)) encrypted += 1;
      else rotated += 1;
    }
    return { rotated, encrypted, changed };
  }
}
