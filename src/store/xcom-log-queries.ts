/**
 * XComs and task logs.
 *
 * Logs are stored in chunks: one `task_logs` row per `appendLogLines` call (a worker flushes its buffered
 * lines every few hundred milliseconds), holding the lines as a JSON array of `[seq, atMs, stream, line]`. The
 * writer numbers the lines of a try (one writer per try: a handed-back attempt continues as a new try). Why
 * chunks rather than a row per line: a row costs ~24 bytes of header plus the five key columns plus an index
 * entry, several times a typical log line, and a chunk is written (and TOAST-compressed) as one tuple; reading
 * "after seq N" is still an index range scan on (key, try, last_seq), so `--follow` sees each chunk as soon as
 * it is committed. A batch sent twice (a retried append) has the same last seq and is stored once.
 */
import type { LogLine, RunKey, TaskInstanceKey, XcomQuery, XcomRow } from '../ports/metadata-store.js';
import type { Queryable } from './db.js';
import { jsonParam } from './rows.js';

export async function listXcoms(client: Queryable, key: RunKey): Promise<Array<{ taskId: string; mapIndex: number; key: string; value: unknown }>> {
  const result = await client.query<{ task_id: string; map_index: number; key: string; value: unknown }>(
    'SELECT task_id, map_index, key, value FROM xcoms WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id, map_index, key',
    [key.dagId, key.runId],
  );
  return result.rows.map((row) => ({ taskId: row.task_id, mapIndex: row.map_index, key: row.key, value: row.value }));
}

/** Airflow's XCom.get_many (see MetadataStore.queryXcoms). */
export async function queryXcoms(client: Queryable, query: XcomQuery): Promise<XcomRow[]> {
  const result = await client.query<{ dag_id: string; run_id: string; task_id: string; map_index: number; key: string; value: unknown }>(
    `SELECT x.dag_id, x.run_id, x.task_id, x.map_index, x.key, x.value
       FROM xcoms x JOIN dag_runs r ON r.dag_id = x.dag_id AND r.run_id = x.run_id
      WHERE x.dag_id = ANY($1::text[])
        AND ($2::text IS NULL OR x.key = $2)
        AND ($3::text[] IS NULL OR x.task_id = ANY($3::text[]))
        AND ($4::integer[] IS NULL OR x.map_index = ANY($4::integer[]))
        AND (CASE WHEN $5 THEN COALESCE(r.logical_date, r.run_after) <= $6::timestamptz ELSE x.run_id = $7 END)
      ORDER BY COALESCE(r.logical_date, r.run_after) DESC, x.updated_at DESC, x.task_id, x.map_index
      LIMIT $8`,
    [query.dagIds, query.key, query.taskIds, query.mapIndexes, query.includePriorDates, query.before, query.runId, query.limit],
  );
  return result.rows.map((row) => ({ dagId: row.dag_id, runId: row.run_id, taskId: row.task_id, mapIndex: row.map_index, key: row.key, value: row.value }));
}

/** One XCom of a running attempt; compare-and-set on the instance running that try. */
export async function pushXcom(client: Queryable, key: TaskInstanceKey, tryNumber: number, xcomKey: string, value: unknown, now: number): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO xcoms (dag_id, run_id, task_id, map_index, key, value, updated_at)
     SELECT ti.dag_id, ti.run_id, ti.task_id, ti.map_index, $6, $7::jsonb, $8 FROM task_instances ti
      WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 AND ti.map_index = $4 AND ti.state = 'running' AND ti.try_number = $5
     ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
    [key.dagId, key.runId, key.taskId, key.mapIndex, tryNumber, xcomKey, jsonParam(value === undefined ? null : value), new Date(now)],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * Appends lines (numbered by the writer, increasing) as one chunk in one statement, and counts them on the
 * try's history row. Re-sending a batch whose last seq is stored already does nothing.
 */
export async function appendLogLines(client: Queryable, key: TaskInstanceKey, tryNumber: number, lines: readonly LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  const sorted = [...lines].sort((a, b) => a.seq - b.seq);
  const packed = sorted.map((line) => [line.seq, line.at, line.stream, line.line]);
  const bytes = sorted.reduce((sum, line) => sum + Buffer.byteLength(line.line), 0);
  await client.query(
    `WITH chunk AS (
       INSERT INTO task_logs (dag_id, run_id, task_id, map_index, try_number, first_seq, last_seq, lines)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
       ON CONFLICT (dag_id, run_id, task_id, map_index, try_number, last_seq) DO NOTHING
       RETURNING 1
     )
     INSERT INTO task_instance_tries AS h (dag_id, run_id, task_id, map_index, try_number, state, log_lines, log_bytes)
     SELECT $1, $2, $3, $4, $5, 'none', $9, $10 FROM chunk
     ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE
       SET log_lines = h.log_lines + EXCLUDED.log_lines, log_bytes = h.log_bytes + EXCLUDED.log_bytes`,
    [
      key.dagId,
      key.runId,
      key.taskId,
      key.mapIndex,
      tryNumber,
      sorted[0]?.seq,
      sorted.at(-1)?.seq,
      jsonParam(packed),
      sorted.length,
      bytes,
    ],
  );
}

/** Lines of a try with `seq > afterSeq` (default: all), in seq order. */
export async function readLogLines(client: Queryable, key: TaskInstanceKey, tryNumber: number, afterSeq = -1): Promise<LogLine[]> {
  const result = await client.query<{ lines: Array<[number, number, LogLine['stream'], string]> }>(
    `SELECT lines FROM task_logs
      WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND try_number = $5 AND last_seq > $6
      ORDER BY last_seq`,
    [key.dagId, key.runId, key.taskId, key.mapIndex, tryNumber, afterSeq],
  );
  const out: LogLine[] = [];
  for (const chunk of result.rows) {
    for (const [seq, at, stream, line] of chunk.lines) if (seq > afterSeq) out.push({ seq, at, stream, line });
  }
  // Chunks are ordered by their last seq; a writer that overlapped batches still reads back in seq order.
  return out.sort((a, b) => a.seq - b.seq);
}
