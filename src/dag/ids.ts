/**
 * Identifier rules: dag_id and task_id like Airflow's KEY_REGEX, run_id like DagRun.validate_run_id,
 * run-id generation like DagRun.generate_run_id, and a safe file-system name for any id.
 */
import { AIRFLOW_FACTS } from './airflow-facts.js';

/** Airflow's maximum length of a dag_id, task_id or group_id, in code points (schemas/airflow-facts.json). */
export const KEY_MAX_LENGTH = AIRFLOW_FACTS.key.maxLength;

/**
 * Airflow's KEY_REGEX `^[\w.-]+$` for dag_id and task_id (airflow/utils/helpers.py) with Python's Unicode `\w`:
 * Unicode letters and digits plus the table's punctuation (schemas/airflow-facts.json).
 */
export const KEY_REGEX = new RegExp(`^[\\p{L}\\p{N}${AIRFLOW_FACTS.key.punctuation.replace(/[\\\]^-]/g, '\\$&')}]+$`, 'u');

/** Airflow's maximum length of a run_id (ID_LEN). */
export const ID_MAX_LENGTH = 250;

/**
 * Run ids the scheduler generates (Airflow 3's RUN_ID_REGEX, with `backfill` added: dagbridge generates
 * backfill ids in the same shape).
 */
export const RUN_ID_REGEX = /^(?:manual|scheduled|backfill|asset_triggered|dataset_triggered)__\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?\+00:00(?:_[A-Za-z0-9]+)?$/;

/** Airflow's default `[scheduler] allowed_run_id_pattern`: what a user-supplied run id may contain. */
export const ALLOWED_RUN_ID_PATTERN = /^[A-Za-z0-9_.~:+-]+$/;

/** The kinds of DAG run, as they prefix generated run ids. */
export type RunType = 'manual' | 'scheduled' | 'backfill' | 'asset_triggered';

/** Why an id is not acceptable, or null when it is. `what` names the id in the message (`dag_id`, ...). */
export function keyProblem(id: string, what: 'dag_id' | 'task_id' | 'group_id'): string | null {
  if (id.length === 0) return `${what} is empty`;
  if (codePoints(id) > KEY_MAX_LENGTH) return `${what} ${JSON.stringify(id.slice(0, 40))}... is longer than ${KEY_MAX_LENGTH} characters`;
  if (!KEY_REGEX.test(id)) {
    return `${what} ${JSON.stringify(id)} may contain only letters, digits, underscores, dots and dashes`;
  }
  return null;
}

/** Whether `id` is a valid dag_id / task_id (Airflow's validate_key). */
export function isValidKey(id: string): boolean {
  return id.length > 0 && codePoints(id) <= KEY_MAX_LENGTH && KEY_REGEX.test(id);
}

/** The length Python's `len` gives: code points, not UTF-16 units (U+1D400 is one, not two). */
function codePoints(text: string): number {
  let count = 0;
  for (const _char of text) count += 1;
  return count;
}

/**
 * Why a run id is not acceptable, or null. Airflow accepts a run id matching RUN_ID_REGEX or
 * allowed_run_id_pattern; dagbridge also refuses `..` anywhere, since Airflow's default pattern allows
 * it and a run id becomes part of log paths.
 */
export function runIdProblem(runId: string): string | null {
  if (runId.length === 0) return 'run_id is empty';
  if (runId.length > ID_MAX_LENGTH) return `run_id is longer than ${ID_MAX_LENGTH} characters`;
  if (runId.includes('/') || runId.includes('\\')) return `run_id ${JSON.stringify(runId)} may not contain a path separator`;
  if (runId.includes('..')) return `run_id ${JSON.stringify(runId)} may not contain ".."`;
  if (!RUN_ID_REGEX.test(runId) && !ALLOWED_RUN_ID_PATTERN.test(runId)) {
    return `run_id ${JSON.stringify(runId)} may contain only letters, digits and _ . ~ : + -`;
  }
  return null;
}

/** Whether `runId` is acceptable; see {@link runIdProblem}. */
export function isValidRunId(runId: string): boolean {
  return runIdProblem(runId) === null;
}

/** Epoch ms or an ISO 8601 instant with a zone, as Python's `datetime.isoformat()` prints it in UTC. */
export function pythonIsoUtc(instant: number | string): string {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${JSON.stringify(instant)}`);
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.000Z
  const fraction = ((ms % 1000) + 1000) % 1000;
  const seconds = iso.slice(0, 19);
  return fraction === 0 ? `${seconds}+00:00` : `${seconds}.${String(fraction * 1000).padStart(6, '0')}+00:00`;
}

/**
 * A run id like Airflow's DagRun.generate_run_id: `<runType>__<logical date isoformat>`. When there is
 * no logical date (Airflow 3 manual runs without one) it is built from `runAfter` plus a suffix the caller
 * supplies (Airflow uses a random string; this module takes no randomness).
 */
export function generateRunId(runType: RunType, logicalDate: number | string | null, runAfter?: number | string, suffix?: string): string {
  if (logicalDate !== null) return `${runType}__${pythonIsoUtc(logicalDate)}`;
  if (runAfter === undefined || !suffix) throw new RangeError('a run without a logical date needs runAfter and a suffix');
  if (!/^[A-Za-z0-9]+$/.test(suffix)) throw new RangeError(`run id suffix ${JSON.stringify(suffix)} must be letters and digits`);
  return `${runType}__${pythonIsoUtc(runAfter)}_${suffix}`;
}

/**
 * A file-system name for any id: keeps `[A-Za-z0-9_-]` and `.` (but never a name made only of dots),
 * and escapes every other byte of the UTF-8 encoding as `%XX`, so distinct ids give distinct names and
 * no id can climb out of its directory. `..` and `.` become `%2E%2E` and `%2E`.
 */
export function safePathSegment(id: string): string {
  if (id.length === 0) return '%';
  if (/^\.+$/.test(id)) return id.replace(/\./g, '%2E');
  let out = '';
  for (const byte of new TextEncoder().encode(id)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
