/**
 * Task instances: reads, the scheduler's batched changes, admission (occupancy, scheduled -> queued).
 * Every write is a compare-and-set on the current state (and try number where a message carries one).
 */
import type { DagSpec } from '../dag/bundle.js';
import type { AdmissionQuery } from '../dag/admission.js';
import { assertTransition, FINISHED_STATES } from '../dag/states.js';
import type { ChangedTaskInstances, DagRunRecord, Occupancy, RunKey, TaskInstanceChange, TaskInstanceKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import type { Queryable } from './db.js';
import { mapTaskInstance, msParam, textParam, TI_COLUMNS, type TaskInstanceRow } from './rows.js';

const FINISHED_SQL = [...FINISHED_STATES].filter((state) => state !== 'removed').map((state) => `'${state}'`).join(', ');

export async function listTaskInstances(client: Queryable, key: RunKey): Promise<TaskInstanceRecord[]> {
  const result = await client.query<TaskInstanceRow>(
    `SELECT ${TI_COLUMNS} FROM task_instances ti WHERE ti.dag_id = $1 AND ti.run_id = $2 ORDER BY ti.task_id, ti.map_index`,
    [key.dagId, key.runId],
  );
  return result.rows.map(mapTaskInstance);
}

/**
 * The run's instances whose row a transaction at or after `since` wrote (`changed_xid`, migration 0012), the
 * run's count of instances, and the bound of the next read: the xmin of this statement's snapshot, the oldest
 * transaction still running. All three come from one statement, hence one snapshot.
 */
export async function listTaskInstancesChanged(client: Queryable, key: RunKey, since: string | null): Promise<ChangedTaskInstances> {
  const result = await client.query<Partial<TaskInstanceRow> & { next_bound: string; total: number }>(
    `SELECT b.next_bound, c.total, ${TI_COLUMNS}
       FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS next_bound) b
      CROSS JOIN (SELECT count(*)::int AS total FROM task_instances WHERE dag_id = $1 AND run_id = $2) c
       LEFT JOIN LATERAL (
         SELECT * FROM task_instances t WHERE t.dag_id = $1 AND t.run_id = $2 AND ($3::xid8 IS NULL OR t.changed_xid >= $3::xid8)
       ) ti ON true`,
    [key.dagId, key.runId, since],
  );
  const first = result.rows[0];
  if (!first) throw new Error('listTaskInstancesChanged: the statement returned no row');
  const instances = result.rows.filter((row) => row.dag_id != null).map((row) => mapTaskInstance(row as TaskInstanceRow));
  return { instances, total: first.total, next: first.next_bound };
}

export async function getTaskInstance(client: Queryable, key: TaskInstanceKey): Promise<TaskInstanceRecord | null> {
  const result = await client.query<TaskInstanceRow>(
    `SELECT ${TI_COLUMNS} FROM task_instances ti WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 AND ti.map_index = $4`,
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  return result.rows[0] ? mapTaskInstance(result.rows[0]) : null;
}

type Create = Extract<TaskInstanceChange, { kind: 'create' }>;
type Transition = Extract<TaskInstanceChange, { kind: 'transition' }>;
type Remap = Extract<TaskInstanceChange, { kind: 'remap' }>;

/**
 * Splits changes into waves so that a task instance appears at most once per wave: a wave is then one
 * INSERT and one UPDATE over arrays, and two changes of the same instance (create, then none -> scheduled)
 * still apply in the order given.
 */
function waves(changes: readonly TaskInstanceChange[]): Array<Array<{ change: TaskInstanceChange; ord: number }>> {
  const next = new Map<string, number>();
  const out: Array<Array<{ change: TaskInstanceChange; ord: number }>> = [];
  changes.forEach((change, ord) => {
    // A remap touches two instances (the placeholder -1 and map index 0): it waits for both.
    const keys = [`${change.taskId}\u0000${change.mapIndex}`];
    if (change.kind === 'remap') keys.push(`${change.taskId}\u0000${change.toMapIndex}`);
    const wave = Math.max(...keys.map((key) => next.get(key) ?? 0));
    for (const key of keys) next.set(key, wave + 1);
    (out[wave] ??= []).push({ change, ord });
  });
  return out;
}

function compareKeys(a: { taskId: string; mapIndex: number }, b: { taskId: string; mapIndex: number }): number {
  return a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.mapIndex - b.mapIndex;
}

async function insertCreates(client: Queryable, run: RunKey, spec: DagSpec, items: Array<{ change: Create; ord: number }>, now: Date): Promise<number[]> {
  if (items.length === 0) return [];
  const tasks = new Map(spec.tasks.map((task) => [task.taskId, task]));
  const columns = {
    taskId: [] as string[],
    mapIndex: [] as number[],
    state: [] as string[],
    maxTries: [] as number[],
    queue: [] as string[],
    pool: [] as string[],
    poolSlots: [] as number[],
    priority: [] as number[],
    note: [] as Array<string | null>,
  };
  // Inserted in key order: concurrent batches then take their row locks in the same order.
  const ordered = [...items].sort((a, b) => compareKeys(a.change, b.change));
  for (const { change } of ordered) {
    // A task the spec lacks gets Airflow's defaults (the scheduler only creates tasks of the run's version).
    const task = tasks.get(change.taskId);
    columns.taskId.push(change.taskId);
    columns.mapIndex.push(change.mapIndex);
    columns.state.push(change.state ?? 'none');
    columns.maxTries.push(change.maxTries ?? task?.retries ?? 0);
    columns.queue.push(task?.queue ?? 'default');
    columns.pool.push(task?.pool ?? 'default_pool');
    columns.poolSlots.push(task?.poolSlots ?? 1);
    columns.priority.push(change.priorityWeight);
    columns.note.push(textParam(change.note ?? null));
  }
  // A task instance created straight into `scheduled` is on its first try (try_number 1), as after none -> scheduled.
  const result = await client.query<{ task_id: string; map_index: number }>(
    `INSERT INTO task_instances (dag_id, run_id, task_id, map_index, state, try_number, max_tries, queue, pool, pool_slots,
                                 priority_weight, note, start_date, end_date, updated_at)
     SELECT $1, $2, c.task_id, c.map_index, c.state, CASE WHEN c.state = 'scheduled' THEN 1 ELSE 0 END, c.max_tries, c.queue,
            c.pool, c.pool_slots, c.priority_weight, c.note,
            CASE WHEN c.state IN (${FINISHED_SQL}) THEN $3::timestamptz END,
            CASE WHEN c.state IN (${FINISHED_SQL}) THEN $3::timestamptz END, $3
       FROM unnest($4::text[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[], $10::int[], $11::int[], $12::text[])
            AS c(task_id, map_index, state, max_tries, queue, pool, pool_slots, priority_weight, note)
     ON CONFLICT (dag_id, run_id, task_id, map_index) DO NOTHING
     RETURNING task_id, map_index`,
    [
      run.dagId,
      run.runId,
      now,
      columns.taskId,
      columns.mapIndex,
      columns.state,
      columns.maxTries,
      columns.queue,
      columns.pool,
      columns.poolSlots,
      columns.priority,
      columns.note,
    ],
  );
  const ordByKey = new Map(items.map(({ change, ord }) => [`${change.taskId}\u0000${change.mapIndex}`, ord]));
  return result.rows.map((row) => ordByKey.get(`${row.task_id}\u0000${row.map_index}`) as number);
}

async function updateTransitions(
  client: Queryable,
  run: RunKey,
  spec: DagSpec,
  items: Array<{ change: Transition; ord: number }>,
  now: Date,
): Promise<number[]> {
  if (items.length === 0) return [];
  const tasks = new Map(spec.tasks.map((task) => [task.taskId, task]));
  const ords: number[] = [];
  const taskIds: string[] = [];
  const mapIndexes: number[] = [];
  const froms: string[] = [];
  const tos: string[] = [];
  const notes: Array<string | null> = [];
  const noteGiven: boolean[] = [];
  const retryAts: Array<Date | null> = [];
  const newTries: boolean[] = [];
  const retries: Array<number | null> = [];
  const queues: Array<string | null> = [];
  const pools: Array<string | null> = [];
  const poolSlots: Array<number | null> = [];
  for (const { change, ord } of items) {
    const task = tasks.get(change.taskId);
    ords.push(ord);
    taskIds.push(change.taskId);
    mapIndexes.push(change.mapIndex);
    froms.push(change.from);
    tos.push(change.to);
    notes.push(textParam(change.note ?? null));
    noteGiven.push(change.note !== undefined);
    retryAts.push(msParam(change.nextRetryAt));
    newTries.push(change.newTry === true);
    retries.push(task?.retries ?? null);
    queues.push(task?.queue ?? null);
    pools.push(task?.pool ?? null);
    poolSlots.push(task?.poolSlots ?? null);
  }
  // Date rules follow Airflow's TaskInstance.set_state; entering `none` (clear, restore) resets the instance
  // and, like clear_task_instances, allows the task's retries again: max_tries = try_number + retries.
  const result = await client.query<{ ord: number }>(
    `UPDATE task_instances ti
        SET state = c.to_state,
            try_number = ti.try_number + CASE WHEN c.new_try THEN 1 ELSE 0 END,
            note = CASE WHEN c.note_given THEN c.note ELSE ti.note END,
            next_retry_at = CASE WHEN c.to_state = 'up_for_retry' THEN COALESCE(c.next_retry_at, $3) END,
            reschedule_at = CASE WHEN c.to_state = 'up_for_reschedule' THEN ti.reschedule_at END,
            sensor_first_poke_at = CASE WHEN c.new_try OR c.to_state = 'none' THEN NULL ELSE ti.sensor_first_poke_at END,
            queued_at = CASE WHEN c.to_state = 'queued' THEN $3 WHEN c.to_state IN ('none', 'scheduled') THEN NULL ELSE ti.queued_at END,
            start_date = CASE WHEN c.to_state = 'none' THEN NULL
                              WHEN c.to_state = 'running' THEN $3
                              WHEN c.to_state IN (${FINISHED_SQL}) THEN COALESCE(ti.start_date, $3)
                              ELSE ti.start_date END,
            end_date = CASE WHEN c.to_state IN ('none', 'scheduled', 'queued', 'running') THEN NULL
                            WHEN c.to_state IN (${FINISHED_SQL}, 'up_for_retry', 'up_for_reschedule') THEN $3
                            ELSE ti.end_date END,
            max_tries = CASE WHEN c.to_state <> 'none' THEN ti.max_tries
                             WHEN c.retries IS NOT NULL THEN ti.try_number + c.retries
                             ELSE GREATEST(ti.max_tries, ti.try_number) END,
            queue = CASE WHEN c.to_state = 'none' THEN COALESCE(c.queue, ti.queue) ELSE ti.queue END,
            pool = CASE WHEN c.to_state = 'none' THEN COALESCE(c.pool, ti.pool) ELSE ti.pool END,
            pool_slots = CASE WHEN c.to_state = 'none' THEN COALESCE(c.pool_slots, ti.pool_slots) ELSE ti.pool_slots END,
            worker_id = CASE WHEN c.to_state = 'none' THEN NULL ELSE ti.worker_id END,
            hostname = CASE WHEN c.to_state = 'none' THEN NULL ELSE ti.hostname END,
            pid = CASE WHEN c.to_state = 'none' THEN NULL ELSE ti.pid END,
            updated_at = $3
       FROM unnest($4::int[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::boolean[],
                   $12::int[], $13::text[], $14::text[], $15::int[], $16::boolean[])
            AS c(ord, task_id, map_index, from_state, to_state, note, next_retry_at, new_try, retries, queue, pool, pool_slots, note_given)
      WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = c.task_id AND ti.map_index = c.map_index AND ti.state = c.from_state
        -- Redundant with the join, but lets the primary-key scan fetch only the candidate rows whatever the
        -- planner believes about the run's size (fresh statistics say 1 row for a run created a moment ago).
        AND ti.task_id = ANY($5::text[]) AND ti.map_index = ANY($6::int[])
      RETURNING c.ord`,
    [run.dagId, run.runId, now, ords, taskIds, mapIndexes, froms, tos, notes, retryAts, newTries, retries, queues, pools, poolSlots, noteGiven],
  );
  return result.rows.map((row) => row.ord);
}

/**
 * A mapped task's placeholder (map index -1) becomes map index 0, keeping its state, tries and history
 * (the foreign keys cascade): compare-and-set on the placeholder's state, and only while map index 0 does
 * not exist. The note is replaced only when one is given.
 */
async function updateRemaps(client: Queryable, run: RunKey, items: Array<{ change: Remap; ord: number }>, now: Date): Promise<number[]> {
  if (items.length === 0) return [];
  const result = await client.query<{ ord: number }>(
    `UPDATE task_instances ti
        SET map_index = c.to_map_index, note = COALESCE(c.note, ti.note), updated_at = $3
       FROM unnest($4::int[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[]) AS c(ord, task_id, map_index, to_map_index, state, note)
      WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = c.task_id AND ti.map_index = c.map_index AND ti.state = c.state
        AND NOT EXISTS (SELECT 1 FROM task_instances o
                         WHERE o.dag_id = $1 AND o.run_id = $2 AND o.task_id = c.task_id AND o.map_index = c.to_map_index)
      RETURNING c.ord`,
    [
      run.dagId,
      run.runId,
      now,
      items.map((item) => item.ord),
      items.map((item) => item.change.taskId),
      items.map((item) => item.change.mapIndex),
      items.map((item) => item.change.toMapIndex),
      items.map((item) => item.change.state),
      items.map((item) => textParam(item.change.note ?? null)),
    ],
  );
  return result.rows.map((row) => row.ord);
}

/**
 * Applies the scheduler's changes inside the caller's transaction: per wave one INSERT (creates,
 * insert-if-absent; queue, pool and pool_slots from the spec's task, max_tries from the change or the task's
 * retries), one UPDATE for remaps and one UPDATE for transitions (compare-and-set on `from`; the note is
 * replaced only when the change carries one; `up_for_retry` without a time may retry at once). Every transition is checked against the state machine first
 * (an illegal one throws and nothing is written). Returns the applied changes in the order given.
 */
export async function applyChanges(
  client: Queryable,
  run: DagRunRecord,
  spec: DagSpec,
  changes: readonly TaskInstanceChange[],
  now: number,
): Promise<TaskInstanceChange[]> {
  for (const change of changes) {
    if (change.kind === 'transition') assertTransition(`${run.dagId}/${run.runId}/${change.taskId}[${change.mapIndex}]`, change.from, change.to);
  }
  const nowDate = new Date(now);
  const applied = new Set<number>();
  for (const wave of waves(changes)) {
    const creates = wave.filter((item): item is { change: Create; ord: number } => item.change.kind === 'create');
    const transitions = wave.filter((item): item is { change: Transition; ord: number } => item.change.kind === 'transition');
    const remaps = wave.filter((item): item is { change: Remap; ord: number } => item.change.kind === 'remap');
    for (const ord of await insertCreates(client, run, spec, creates, nowDate)) applied.add(ord);
    for (const ord of await updateRemaps(client, run, remaps, nowDate)) applied.add(ord);
    for (const ord of await updateTransitions(client, run, spec, transitions, nowDate)) applied.add(ord);
  }
  return changes.filter((_change, ord) => applied.has(ord));
}

/**
 * Every `scheduled` instance of a queued or running run, highest priority first, then oldest run. The instances
 * are read first (`OFFSET 0` keeps the planner from folding the subquery into the join), from the partial index
 * on active states: without fresh statistics, the planner otherwise walks each active run's whole primary-key
 * range (15 ms for a run of 100,000 instances, on every tick, with nothing scheduled).
 */
export async function listScheduled(client: Queryable): Promise<TaskInstanceRecord[]> {
  const result = await client.query<TaskInstanceRow>(
    `SELECT ${TI_COLUMNS} FROM (SELECT * FROM task_instances WHERE state = 'scheduled' OFFSET 0) ti
       JOIN dag_runs r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
      WHERE r.state IN ('queued', 'running')
      ORDER BY ti.priority_weight DESC, COALESCE(r.logical_date, r.run_after), r.run_after, ti.dag_id, ti.run_id, ti.task_id, ti.map_index`,
  );
  return result.rows.map(mapTaskInstance);
}

/**
 * One admission query (src/dag/admission.ts admissionSteps) as Airflow's scheduler makes it: the first `limit`
 * `scheduled` instances of active runs in admission order (priority weight descending, the run's logical date,
 * map index, then ids bytewise as the in-memory order compares them), leaving out starved pools, DAGs, tasks and
 * tasks in a run, and paused DAGs. A run of 100,000 scheduled instances is read `limit` rows at a time.
 */
export async function listScheduledFor(client: Queryable, query: AdmissionQuery & { paused: ReadonlySet<string> }): Promise<TaskInstanceRecord[]> {
  const split = (keys: ReadonlySet<string>, parts: number): string[][] => {
    const columns: string[][] = Array.from({ length: parts }, () => []);
    for (const key of keys) key.split('\u0000').forEach((part, i) => columns[i]?.push(part));
    return columns;
  };
  const [taskDags = [], taskIds = []] = split(query.filters.tasks, 2);
  const [runTaskDags = [], runTaskRuns = [], runTaskIds = []] = split(query.filters.taskRuns, 3);
  const result = await client.query<TaskInstanceRow>(
    `SELECT ${TI_COLUMNS} FROM (SELECT * FROM task_instances WHERE state = 'scheduled' OFFSET 0) ti
       JOIN dag_runs r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
      WHERE r.state IN ('queued', 'running')
        AND ti.pool <> ALL($1::text[]) AND ti.dag_id <> ALL($2::text[])
        AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS s(dag_id, task_id) WHERE s.dag_id = ti.dag_id AND s.task_id = ti.task_id)
        AND NOT EXISTS (SELECT 1 FROM unnest($5::text[], $6::text[], $7::text[]) AS s(dag_id, run_id, task_id)
                         WHERE s.dag_id = ti.dag_id AND s.run_id = ti.run_id AND s.task_id = ti.task_id)
      ORDER BY ti.priority_weight DESC, COALESCE(r.logical_date, r.run_after), ti.map_index,
               ti.dag_id COLLATE "C", ti.run_id COLLATE "C", ti.task_id COLLATE "C"
      LIMIT $8`,
    [[...query.filters.pools], [...query.filters.dags, ...query.paused], taskDags, taskIds, runTaskDags, runTaskRuns, runTaskIds, query.limit],
  );
  return result.rows.map(mapTaskInstance);
}

/** Instances in one state, oldest first (by queued_at or start_date). */
async function listInState(client: Queryable, state: 'queued' | 'running'): Promise<TaskInstanceRecord[]> {
  const order = state === 'queued' ? 'ti.queued_at' : 'ti.start_date';
  const result = await client.query<TaskInstanceRow>(
    `SELECT ${TI_COLUMNS} FROM task_instances ti WHERE ti.state = $1 ORDER BY ${order}, ti.dag_id, ti.run_id, ti.task_id, ti.map_index`,
    [state],
  );
  return result.rows.map(mapTaskInstance);
}

export function listQueued(client: Queryable): Promise<TaskInstanceRecord[]> {
  return listInState(client, 'queued');
}

export function listRunning(client: Queryable): Promise<TaskInstanceRecord[]> {
  return listInState(client, 'running');
}

/**
 * Slots in use, as Airflow counts them (Pool.slots_stats: queued + running hold `pool_slots` each): every pool
 * of the `pools` table, plus any pool an active instance names that the table lacks (with 0 slots, so
 * admission sees it as full rather than unknown). Two queries: the pools, and the active instances grouped.
 */
export async function occupancy(client: Queryable): Promise<Occupancy> {
  const pools = await client.query<{ name: string; slots: number }>('SELECT name, slots FROM pools');
  const active = await client.query<{ dag_id: string; run_id: string; task_id: string; pool: string; instances: number; slots: number }>(
    `SELECT dag_id, run_id, task_id, pool, count(*)::int AS instances, sum(pool_slots)::int AS slots
       FROM task_instances WHERE state IN ('queued', 'running')
      GROUP BY dag_id, run_id, task_id, pool`,
  );
  const result: Occupancy = { pools: new Map(), activeByDag: new Map(), activeByTask: new Map(), activeByRunTask: new Map() };
  for (const pool of pools.rows) result.pools.set(pool.name, { slots: pool.slots, used: 0 });
  const add = (map: Map<string, number>, key: string, count: number): void => void map.set(key, (map.get(key) ?? 0) + count);
  for (const row of active.rows) {
    const pool = result.pools.get(row.pool) ?? { slots: 0, used: 0 };
    pool.used += row.slots;
    result.pools.set(row.pool, pool);
    add(result.activeByDag, row.dag_id, row.instances);
    add(result.activeByTask, `${row.dag_id}\u0000${row.task_id}`, row.instances);
    add(result.activeByRunTask, `${row.dag_id}\u0000${row.run_id}\u0000${row.task_id}`, row.instances);
  }
  return result;
}

/**
 * `scheduled -> queued` for each key whose state is still `scheduled` on the same try. Rows another
 * transaction holds are skipped (`FOR UPDATE SKIP LOCKED`), so two schedulers never queue one try twice
 * and never wait on each other. Returns the instances moved.
 */
export async function markQueued(
  client: Queryable,
  keys: ReadonlyArray<TaskInstanceKey & { tryNumber: number }>,
  now: number,
): Promise<TaskInstanceRecord[]> {
  if (keys.length === 0) return [];
  const result = await client.query<TaskInstanceRow>(
    `WITH wanted AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[]) AS k(dag_id, run_id, task_id, map_index, try_number)
     ), locked AS (
       SELECT ti.dag_id, ti.run_id, ti.task_id, ti.map_index
         FROM task_instances ti
         JOIN wanted k ON k.dag_id = ti.dag_id AND k.run_id = ti.run_id AND k.task_id = ti.task_id AND k.map_index = ti.map_index
        WHERE ti.state = 'scheduled' AND ti.try_number = k.try_number
          FOR UPDATE OF ti SKIP LOCKED
     )
     UPDATE task_instances ti
        SET state = 'queued', queued_at = $6, updated_at = $6
       FROM locked
      WHERE ti.dag_id = locked.dag_id AND ti.run_id = locked.run_id AND ti.task_id = locked.task_id AND ti.map_index = locked.map_index
        AND ti.state = 'scheduled'
      RETURNING ${TI_COLUMNS}`,
    [
      keys.map((key) => key.dagId),
      keys.map((key) => key.runId),
      keys.map((key) => key.taskId),
      keys.map((key) => key.mapIndex),
      keys.map((key) => key.tryNumber),
      new Date(now),
    ],
  );
  // In the order asked for (the scheduler's admission order), whatever order the UPDATE visited the rows in.
  const order = new Map(keys.map((key, index) => [`${key.dagId}\u0000${key.runId}\u0000${key.taskId}\u0000${key.mapIndex}`, index]));
  const position = (ti: TaskInstanceRecord): number => order.get(`${ti.dagId}\u0000${ti.runId}\u0000${ti.taskId}\u0000${ti.mapIndex}`) ?? 0;
  return result.rows.map(mapTaskInstance).sort((a, b) => position(a) - position(b));
}
