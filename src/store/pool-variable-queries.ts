/**
 * Pools and variables (Airflow's `slot_pool` and `variable`). `default_pool` is seeded with 128 slots by
 * the first migration, as in Airflow.
 */
import type { Queryable } from './db.js';

export async function listVariables(client: Queryable): Promise<Record<string, string>> {
  const result = await client.query<{ key: string; value: string }>('SELECT key, value FROM variables ORDER BY key');
  return Object.fromEntries(result.rows.map((row) => [row.key, row.value]));
}

/** One variable's value; null when it is not set. */
export async function getVariable(client: Queryable, key: string): Promise<string | null> {
  const result = await client.query<{ value: string }>('SELECT value FROM variables WHERE key = $1', [key]);
  return result.rows[0]?.value ?? null;
}

/** Creates or replaces a variable. */
export async function setVariable(client: Queryable, key: string, value: string, description?: string | null): Promise<void> {
  await client.query(
    `INSERT INTO variables (key, value, description) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, description = COALESCE(EXCLUDED.description, variables.description)`,
    [key, value, description ?? null],
  );
}

/** Deletes a variable; false when it did not exist. */
export async function deleteVariable(client: Queryable, key: string): Promise<boolean> {
  const result = await client.query('DELETE FROM variables WHERE key = $1', [key]);
  return (result.rowCount ?? 0) > 0;
}

/** Creates or resizes a pool (the description is kept when not given). */
export async function setPool(client: Queryable, name: string, slots: number, description?: string): Promise<void> {
  await client.query(
    `INSERT INTO pools (name, slots, description) VALUES ($1, $2, COALESCE($3, ''))
     ON CONFLICT (name) DO UPDATE SET slots = EXCLUDED.slots, description = COALESCE($3, pools.description)`,
    [name, slots, description ?? null],
  );
}

export async function listPools(client: Queryable): Promise<Array<{ name: string; slots: number; description: string }>> {
  const result = await client.query<{ name: string; slots: number; description: string }>('SELECT name, slots, description FROM pools ORDER BY name');
  return result.rows;
}

/** Writes a variable's value and description exactly as given (Airflow's `Variable.set` replaces both). */
export async function putVariable(client: Queryable, key: string, value: string, description: string | null): Promise<void> {
  await client.query(
    `INSERT INTO variables (key, value, description) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, description = EXCLUDED.description`,
    [key, value, description],
  );
}

/** A pool's fields as a PATCH sets them; absent fields are kept. Returns false when the pool does not exist. */
export async function updatePool(client: Queryable, name: string, fields: { name?: string; slots?: number; description?: string | null }): Promise<boolean> {
  const result = await client.query(
    `UPDATE pools SET name = COALESCE($2, name), slots = COALESCE($3, slots), description = CASE WHEN $4 THEN COALESCE($5, '') ELSE description END
      WHERE name = $1`,
    [name, fields.name ?? null, fields.slots ?? null, 'description' in fields, fields.description ?? null],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Deletes a pool; false when it did not exist. Task instances keep the pool name they were created with, as in Airflow. */
export async function deletePool(client: Queryable, name: string): Promise<boolean> {
  const result = await client.query('DELETE FROM pools WHERE name = $1', [name]);
  return (result.rowCount ?? 0) > 0;
}
