/**
 * XComs and task logs.
 *
 * Logs are stored in chunks: one `task_logs` row per `appendLogLines` call (a worker flushes its buffered
 * lines every few hundred milliseconds), holding the lines as a JSON array of `[atMs, stream, line]`. Lines are
 * numbered by the store, 1..n per try in append order, from a counter on the try's history row: the counter
 * update serialises concurrent appends of one try, and a try that is handed back and started again continues
 * the numbering instead of colliding with it. Why chunks rather than a row per line: a row costs ~24 bytes of
 * header plus the five key columns plus an index entry, several times the size of a typical log line, and a
 * chunk is written (and TOAST-compressed) as one tuple; reading "after seq N" is still an index range scan
 * on (key, try, last_seq), so `--follow` sees each chunk as soon as it is committed.
 */
import type { LogLine, RunKey, TaskInstanceKey } from '../scheduler/store.js';
import type { Queryable } from './db.js';

export async function listXcoms(client: Queryable, key: RunKey): Promise<Array<{ taskId: string; mapIndex: number; key: string; value: unknown }>> {
  const result = await client.query<{ task_id: string; map_index: number; key: string; value: unknown }>(
    'SELECT task_id, map_index, key, value FROM xcoms WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id, map_index, key',
    [key.dagId, key.runId],
  );
  return result.rows.map((row) => ({ taskId: row.task_id, mapIndex: row.map_index, key: row.key, value: row.value }));
}

/**
 * Appends lines as one chunk in one statement. The `seq` of the lines passed in is not used: the store
 * numbers them after the lines already stored for this try.
 */
export async function appendLogLines(client: Queryable, key: TaskInstanceKey, tryNumber: number, lines: readonly LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  const packed = lines.map((line) => [line.at, line.stream, line.line]);
  const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line.line), 0);
  await client.query(
    `WITH head AS (
       INSERT INTO task_instance_tries AS h (dag_id, run_id, task_id, map_index, try_number, state, log_lines, log_bytes)
       VALUES ($1, $2, $3, $4, $5, 'none', $6, $7)
       ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE
         SET log_lines = h.log_lines + EXCLUDED.log_lines, log_bytes = h.log_bytes + EXCLUDED.log_bytes
       RETURNING log_lines
     )
     INSERT INTO task_logs (dag_id, run_id, task_id, map_index, try_number, first_seq, last_seq, lines)
     SELECT $1, $2, $3, $4, $5, head.log_lines - $6 + 1, head.log_lines, $8::jsonb FROM head`,
    [key.dagId, key.runId, key.taskId, key.mapIndex, tryNumber, lines.length, bytes, JSON.stringify(packed)],
  );
}

/** Lines of a try with `seq > afterSeq` (default: all), in order. */
export async function readLogLines(client: Queryable, key: TaskInstanceKey, tryNumber: number, afterSeq = 0): Promise<LogLine[]> {
  const result = await client.query<{ first_seq: string; lines: Array<[number, LogLine['stream'], string]> }>(
    `SELECT first_seq, lines FROM task_logs
      WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND try_number = $5 AND last_seq > $6
      ORDER BY last_seq`,
    [key.dagId, key.runId, key.taskId, key.mapIndex, tryNumber, afterSeq],
  );
  const out: LogLine[] = [];
  for (const chunk of result.rows) {
    const first = Number(chunk.first_seq);
    chunk.lines.forEach(([at, stream, line], index) => {
      const seq = first + index;
      if (seq > afterSeq) out.push({ seq, at, stream, line });
    });
  }
  return out;
}
