/**
 * Airflow Connections (the `connections` table, 0005). Rows are stored as given: `password` and `extra` are
 * Fernet tokens when their `is_*encrypted` flag is set; encrypting and decrypting is the caller's
 * (src/connections/connection-table.ts), so no key ever reaches this layer.
 */
import type { Queryable } from './db.js';

/** One row of `connections`, secrets as stored. */
export interface ConnectionRow {
  readonly connId: string;
  readonly connType: string;
  readonly description: string | null;
  readonly host: string | null;
  readonly schema: string | null;
  readonly login: string | null;
  readonly password: string | null;
  readonly port: number | null;
  readonly isEncrypted: boolean;
  readonly isExtraEncrypted: boolean;
  readonly extra: string | null;
}

const COLUMNS = 'conn_id, conn_type, description, host, schema, login, password, port, is_encrypted, is_extra_encrypted, extra';

interface RawRow {
  conn_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  is_encrypted: boolean;
  is_extra_encrypted: boolean;
  extra: string | null;
}

function toRow(raw: RawRow): ConnectionRow {
  return {
    connId: raw.conn_id, connType: raw.conn_type, description: raw.description, host: raw.host, schema: raw.schema, login: raw.login,
    password: raw.password, port: raw.port, isEncrypted: raw.is_encrypted, isExtraEncrypted: raw.is_extra_encrypted, extra: raw.extra,
  };
}

const values = (row: ConnectionRow): unknown[] => [
  row.connId, row.connType, row.description, row.host, row.schema, row.login, row.password, row.port, row.isEncrypted, row.isExtraEncrypted, row.extra,
];

/** One connection's row; null when there is none of that id. */
export async function getConnectionRow(client: Queryable, connId: string): Promise<ConnectionRow | null> {
  const result = await client.query<RawRow>(`SELECT ${COLUMNS} FROM connections WHERE conn_id = $1`, [connId]);
  return result.rows[0] ? toRow(result.rows[0]) : null;
}

/** Every row, by conn_id (or the one named). */
export async function listConnectionRows(client: Queryable, connId?: string): Promise<ConnectionRow[]> {
  const result = connId === undefined
    ? await client.query<RawRow>(`SELECT ${COLUMNS} FROM connections ORDER BY conn_id`)
    : await client.query<RawRow>(`SELECT ${COLUMNS} FROM connections WHERE conn_id = $1`, [connId]);
  return result.rows.map(toRow);
}

/** Inserts a row; false (and nothing changed) when the conn_id exists, as `airflow connections add` refuses it. */
export async function insertConnectionRow(client: Queryable, row: ConnectionRow): Promise<boolean> {
  const result = await client.query(`INSERT INTO connections (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (conn_id) DO NOTHING`, values(row));
  return (result.rowCount ?? 0) > 0;
}

/** Inserts or replaces a row (`connections import --overwrite`). */
export async function upsertConnectionRow(client: Queryable, row: ConnectionRow): Promise<void> {
  await client.query(
    `INSERT INTO connections (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (conn_id) DO UPDATE SET conn_type = EXCLUDED.conn_type, description = EXCLUDED.description, host = EXCLUDED.host,
       schema = EXCLUDED.schema, login = EXCLUDED.login, password = EXCLUDED.password, port = EXCLUDED.port,
       is_encrypted = EXCLUDED.is_encrypted, is_extra_encrypted = EXCLUDED.is_extra_encrypted, extra = EXCLUDED.extra, updated_at = now()`,
    values(row),
  );
}

/** Deletes a row; false when there was none. */
export async function deleteConnectionRow(client: Queryable, connId: string): Promise<boolean> {
  const result = await client.query('DELETE FROM connections WHERE conn_id = $1', [connId]);
  return (result.rowCount ?? 0) > 0;
}

/**
 * Replaces a row's secrets, compare-and-set on the values read (`from`): false when the row changed or went away
 * meanwhile (a rotation then leaves that row to the next run rather than overwrite a newer value).
 */
export async function replaceConnectionSecrets(client: Queryable, from: ConnectionRow, to: { password: string | null; isEncrypted: boolean; extra: string | null; isExtraEncrypted: boolean }): Promise<boolean> {
  const result = await client.query(
    `UPDATE connections SET password = $2, is_encrypted = $3, extra = $4, is_extra_encrypted = $5, updated_at = now()
      WHERE conn_id = $1 AND password IS NOT DISTINCT FROM $6 AND is_encrypted = $7 AND extra IS NOT DISTINCT FROM $8 AND is_extra_encrypted = $9`,
    [from.connId, to.password, to.isEncrypted, to.extra, to.isExtraEncrypted, from.password, from.isEncrypted, from.extra, from.isExtraEncrypted],
  );
  return (result.rowCount ?? 0) > 0;
}
