/**
 * Task-instance and DAG-run states, and the state machine that says which changes are legal.
 *
 * Mirrors Airflow's `airflow/utils/state.py` (TaskInstanceState, DagRunState, State.finished,
 * State.unfinished, ...). Airflow's `None` state is spelled `'none'` here so it can be stored and compared
 * like the others. `deferred` is left out: dagbridge has no triggerer.
 *
 * Every change the scheduler, a worker or a user makes goes through {@link assertTransition}; the store
 * applies it with compare-and-set (`UPDATE ... WHERE state = <from>`), so the pair (from, to) checked here
 * is exactly the pair written there.
 */
import { IllegalTransitionError } from '../lib/errors.js';

/** Every task-instance state, in Airflow's spelling (`'none'` for Airflow's `None`). */
export const TASK_INSTANCE_STATES = [
  'none',
  'scheduled',
  'queued',
  'running',
  'success',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'removed',
  'restarting',
] as const;

/** The state of one task instance (one try of one task, or one map index of a mapped task). */
export type TaskInstanceState = (typeof TASK_INSTANCE_STATES)[number];

/** Every DAG-run state. */
export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;

/** The state of one DAG run. */
export type DagRunState = (typeof DAG_RUN_STATES)[number];

/**
 * States in which a task instance needs no further action (Airflow's `State.finished`): it ran to an end,
 * or never will run (skipped, upstream_failed, removed).
 */
export const FINISHED_STATES: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>([
  'success',
  'failed',
  'skipped',
  'upstream_failed',
  'removed',
]);

/** States in which a task instance has not completed (Airflow's `State.unfinished`). */
export const UNFINISHED_STATES: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>([
  'none',
  'scheduled',
  'queued',
  'running',
  'restarting',
  'up_for_retry',
  'up_for_reschedule',
]);

/** States that count as failure for the DAG run's state (Airflow's `State.failed_states`). */
export const FAILED_STATES: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>(['failed', 'upstream_failed']);

/** States that count as success for the DAG run's state (Airflow's `State.success_states`). */
export const SUCCESS_STATES: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>(['success', 'skipped']);

/**
 * States from which the scheduler may move a task instance to `scheduled` once its dependencies are met
 * (Airflow's `SCHEDULEABLE_STATES`). Trigger rules are evaluated for task instances in these states.
 */
export const SCHEDULABLE_STATES: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>([
  'none',
  'up_for_retry',
  'up_for_reschedule',
]);

/** States that hold an executor slot or a worker (queued or running, incl. a running task being restarted). */
export const ACTIVE_STATES: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>(['queued', 'running', 'restarting']);

/** Finished DAG-run states (Airflow's `State.finished_dr_states`). */
export const FINISHED_DAG_RUN_STATES: ReadonlySet<DagRunState> = new Set<DagRunState>(['success', 'failed']);

/** Unfinished DAG-run states (Airflow's `State.unfinished_dr_states`). */
export const UNFINISHED_DAG_RUN_STATES: ReadonlySet<DagRunState> = new Set<DagRunState>(['queued', 'running']);

/** Type guard for a task-instance state read from outside (database row, CLI argument). */
export function isTaskInstanceState(value: unknown): value is TaskInstanceState {
  return typeof value === 'string' && (TASK_INSTANCE_STATES as readonly string[]).includes(value);
}

/** Type guard for a DAG-run state read from outside. */
export function isDagRunState(value: unknown): value is DagRunState {
  return typeof value === 'string' && (DAG_RUN_STATES as readonly string[]).includes(value);
}

/** Whether a task instance is finished (needs no further action). */
export function isFinished(state: TaskInstanceState): boolean {
  return FINISHED_STATES.has(state);
}

/** Who makes a state change: the scheduler loop, a worker reporting a try, a user command, or lease expiry. */
export type TransitionActor = 'scheduler' | 'worker' | 'user' | 'lease';

/** One legal edge of a state machine, with who takes it and why. */
export interface TransitionEdge<S extends string> {
  readonly from: S;
  readonly to: S;
  readonly actor: TransitionActor;
  readonly reason: string;
}

type TiEdge = TransitionEdge<TaskInstanceState>;

function edges(from: readonly TaskInstanceState[], to: TaskInstanceState, actor: TransitionActor, reason: string): TiEdge[] {
  return from.map((f) => ({ from: f, to, actor, reason }));
}

/** States a user may clear (Airflow's `clear`): every state but `none` itself goes back to `none`. */
const CLEARABLE: readonly TaskInstanceState[] = [
  'scheduled',
  'queued',
  'success',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'removed',
  'restarting',
];

/**
 * The legal task-instance transitions. Several edges may share a (from, to) pair when more than one actor
 * takes it for different reasons; {@link canTransition} only asks whether the pair is listed.
 */
export const TASK_INSTANCE_TRANSITIONS: readonly TiEdge[] = [
  // --- scheduler: dependency checks (DagRun.task_instance_scheduling_decisions) ---
  ...edges(['none'], 'scheduled', 'scheduler', 'dependencies met (trigger rule, depends_on_past, mapping): ready to queue'),
  ...edges(['up_for_retry'], 'scheduled', 'scheduler', 'retry delay elapsed (next retry time <= now): next try'),
  ...edges(['up_for_reschedule'], 'scheduled', 'scheduler', 'reschedule date of a reschedule-mode sensor reached'),
  ...edges(
    ['none', 'up_for_retry', 'up_for_reschedule'],
    'skipped',
    'scheduler',
    'trigger rule cannot be met and says skip (flag_upstream_failed), or a zero-length mapping',
  ),
  ...edges(
    ['none', 'up_for_retry', 'up_for_reschedule'],
    'upstream_failed',
    'scheduler',
    'trigger rule cannot be met because an upstream failed (flag_upstream_failed), or unresolvable mapping input',
  ),
  ...edges(
    ['none'],
    'success',
    'scheduler',
    'an EmptyOperator is marked success without being run (DagRun.schedule_tis)',
  ),
  ...edges(['none'], 'failed', 'scheduler', 'mapping would exceed the maximum number of mapped task instances'),
  ...edges(
    ['none', 'scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'restarting'],
    'removed',
    'scheduler',
    'task no longer in the DAG, or map index beyond the resolved expansion length',
  ),
  ...edges(['removed'], 'none', 'scheduler', 'task restored to the DAG, or map index back within the expansion length'),
  // --- branching / short-circuit: SkipMixin._set_state_to_skipped (Airflow 2.10.5) sets skipped whatever the
  // state; a queued or running try is then refused when it starts or reports ---
  ...edges(
    ['scheduled', 'queued', 'running', 'restarting', 'success', 'failed', 'upstream_failed'],
    'skipped',
    'scheduler',
    'skipped by a branch, short-circuit or LatestOnly upstream (SkipMixin sets skipped whatever the state)',
  ),
  // --- executor / admission ---
  ...edges(['scheduled'], 'queued', 'scheduler', 'admitted (pool slot, concurrency limits) and enqueued for a worker'),
  ...edges(['queued'], 'scheduled', 'scheduler', 'queue message lost (Redis flushed) or stuck in queued: enqueue again'),
  ...edges(['queued'], 'failed', 'scheduler', 'redelivery bound reached while queued (like task_queued_timeout)'),
  // --- worker: start and outcome of one try ---
  ...edges(['queued'], 'running', 'worker', 'a worker claimed the message and started this try (compare-and-set per try)'),
  ...edges(['running'], 'success', 'worker', 'the try succeeded'),
  ...edges(['running'], 'failed', 'worker', 'the try failed and no retry is left (or the failure is not retryable)'),
  ...edges(['running'], 'up_for_retry', 'worker', 'the try failed and a retry is left'),
  ...edges(['running'], 'up_for_reschedule', 'worker', 'a reschedule-mode sensor poked and was not satisfied'),
  ...edges(['running'], 'skipped', 'worker', 'the task skipped itself (AirflowSkipException, soft_fail sensor)'),
  ...edges(['restarting'], 'up_for_retry', 'worker', 'the try of a task cleared while running ended: a restarting task always retries'),
  // --- lease expiry: the worker vanished ---
  ...edges(['running'], 'scheduled', 'lease', 'lease expired (worker gone) within the redelivery bound: hand to another worker'),
  ...edges(['running'], 'up_for_retry', 'lease', 'lease expired past the redelivery bound and a retry is left'),
  ...edges(['running'], 'failed', 'lease', 'lease expired past the redelivery bound and no retry is left'),
  ...edges(['restarting'], 'none', 'lease', 'lease of a restarting task expired: the clear takes effect'),
  // --- users ---
  ...edges(CLEARABLE, 'none', 'user', 'cleared: the task instance runs again'),
  ...edges(['running'], 'restarting', 'user', 'cleared while running: the running try is stopped and retried'),
  ...edges(
    ['none', 'scheduled', 'queued', 'running', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'restarting'],
    'success',
    'user',
    'marked success',
  ),
  ...edges(
    ['none', 'scheduled', 'queued', 'running', 'success', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'restarting'],
    'failed',
    'user',
    'marked failed',
  ),
  // Airflow 2.10.5's REST API lets a user set skipped too (UpdateTaskState: success, failed, skipped).
  ...edges(
    ['none', 'scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'restarting'],
    'skipped',
    'user',
    'marked skipped',
  ),
];

/** The legal DAG-run transitions. */
export const DAG_RUN_TRANSITIONS: readonly TransitionEdge<DagRunState>[] = [
  { from: 'queued', to: 'running', actor: 'scheduler', reason: 'max_active_runs allows it: the run starts' },
  { from: 'running', to: 'success', actor: 'scheduler', reason: 'every task finished and every leaf succeeded or was skipped' },
  { from: 'running', to: 'failed', actor: 'scheduler', reason: 'every task finished and a leaf failed, deadlock, or dagrun_timeout' },
  { from: 'queued', to: 'failed', actor: 'scheduler', reason: 'dagrun_timeout reached before the run started' },
  { from: 'success', to: 'queued', actor: 'user', reason: 'task instances cleared: the run is scheduled again' },
  { from: 'failed', to: 'queued', actor: 'user', reason: 'task instances cleared: the run is scheduled again' },
  { from: 'running', to: 'queued', actor: 'user', reason: 'task instances cleared while running' },
  { from: 'queued', to: 'success', actor: 'user', reason: 'marked success' },
  { from: 'running', to: 'success', actor: 'user', reason: 'marked success' },
  { from: 'failed', to: 'success', actor: 'user', reason: 'marked success' },
  { from: 'queued', to: 'failed', actor: 'user', reason: 'marked failed' },
  { from: 'running', to: 'failed', actor: 'user', reason: 'marked failed' },
  { from: 'success', to: 'failed', actor: 'user', reason: 'marked failed' },
];

function index<S extends string>(table: readonly TransitionEdge<S>[]): Map<string, TransitionEdge<S>[]> {
  const byPair = new Map<string, TransitionEdge<S>[]>();
  for (const edge of table) {
    const key = `${edge.from}>${edge.to}`;
    const list = byPair.get(key);
    if (list) list.push(edge);
    else byPair.set(key, [edge]);
  }
  return byPair;
}

const TI_INDEX = index(TASK_INSTANCE_TRANSITIONS);
const RUN_INDEX = index(DAG_RUN_TRANSITIONS);

/**
 * Whether a task instance may go from `from` to `to`; optionally only for one actor. A state never
 * "transitions" to itself: writing the same state again is not a change.
 */
export function canTransition(from: TaskInstanceState, to: TaskInstanceState, actor?: TransitionActor): boolean {
  const list = TI_INDEX.get(`${from}>${to}`);
  if (!list) return false;
  return actor === undefined || list.some((edge) => edge.actor === actor);
}

/**
 * Throws {@link IllegalTransitionError} unless the task instance may go from `from` to `to`.
 * `subject` names the task instance in the message (e.g. its tiKey).
 */
export function assertTransition(subject: string, from: TaskInstanceState, to: TaskInstanceState, actor?: TransitionActor): void {
  if (!canTransition(from, to, actor)) throw new IllegalTransitionError(subject, from, to);
}

/** Whether a DAG run may go from `from` to `to`. */
export function canTransitionDagRun(from: DagRunState, to: DagRunState, actor?: TransitionActor): boolean {
  const list = RUN_INDEX.get(`${from}>${to}`);
  if (!list) return false;
  return actor === undefined || list.some((edge) => edge.actor === actor);
}

/** Throws {@link IllegalTransitionError} unless the DAG run may go from `from` to `to`. */
export function assertDagRunTransition(subject: string, from: DagRunState, to: DagRunState, actor?: TransitionActor): void {
  if (!canTransitionDagRun(from, to, actor)) throw new IllegalTransitionError(subject, from, to);
}
