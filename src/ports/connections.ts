/**
 * Airflow Connections as the control plane hands them to a task: the fields of Airflow's `Connection` model,
 * secrets in clear (they leave the store only to the task instance that asked, over its supervisor channel).
 * A {@link ConnectionSource} answers one lookup; the lookup order across sources (environment, local secrets
 * file, metadata table) is the caller's.
 */

/** One connection, as Airflow's `Connection` fields. */
export interface ConnectionRecord {
  readonly connId: string;
  readonly connType: string | null;
  readonly description: string | null;
  readonly host: string | null;
  readonly schema: string | null;
  readonly login: string | null;
  readonly password: string | null;
  readonly port: number | null;
  /** The `extra` JSON text, as Airflow stores it. */
  readonly extra: string | null;
}

/** Where connections can be looked up by id. */
export interface ConnectionSource {
  /** The connection named `connId`, or null when this source has none of that name. */
  getConnection(connId: string): Promise<ConnectionRecord | null>;
}
