/**
 * Dataset-triggered runs (Airflow's `dags_needing_dagruns` + `_create_dag_runs_dataset_triggered`): each loop
 * reads the consumer queues, evaluates every queued consumer's condition (all/any/nested, aliases resolved
 * as they are now) and asks the store to create the run from exactly the rows it evaluated. The store's
 * compare-and-set (DAG row locked, rows unchanged, under `max_active_runs`) makes two schedulers create each
 * run once; a refused request is not an error, the next loop reads the queue again.
 */
import { randomInt } from 'node:crypto';
import { queueSatisfies } from '../dag/dataset-runs.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DagRecord, DagRunRecord, DatasetQueueRow, MetadataStore } from '../ports/metadata-store.js';

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Eight random letters and digits, as Airflow's `get_random_string` ends an Airflow 3 run id. */
export function randomRunIdSuffix(): string {
  let out = '';
  for (let i = 0; i < 8; i += 1) out += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return out;
}

/** A consumer whose queue satisfies its condition, with the rows that do. */
export interface DueConsumer {
  dag: DagRecord;
  rows: DatasetQueueRow[];
}

/**
 * The consumers whose queued datasets satisfy their condition now: active, unpaused DAGs scheduled on
 * datasets (a DatasetOrTimeSchedule included). Paused or inactive DAGs' rows wait, as in Airflow.
 */
export async function dueConsumers(store: MetadataStore): Promise<DueConsumer[]> {
  const snapshot = await store.listDatasetQueue();
  if (snapshot.rows.length === 0) return [];
  const aliases = new Map(Object.entries(snapshot.aliases));
  const byDag = new Map<string, DatasetQueueRow[]>();
  for (const row of snapshot.rows) byDag.set(row.dagId, [...(byDag.get(row.dagId) ?? []), row]);
  const due: DueConsumer[] = [];
  for (const [dagId, rows] of byDag) {
    const dag = await store.getDag(dagId);
    if (!dag || !dag.isActive || dag.isPaused || !queueSatisfies(dag.spec, rows, aliases)) continue;
    due.push({ dag, rows });
  }
  return due;
}

/** Creates the dataset-triggered runs that are due; returns the runs it created. Never throws for one DAG's failure. */
export async function createDatasetTriggeredRuns(store: MetadataStore, now: number, log: Logger, suffix: () => string = randomRunIdSuffix): Promise<DagRunRecord[]> {
  const created: DagRunRecord[] = [];
  for (const { dag, rows } of await dueConsumers(store)) {
    try {
      const result = await store.createDatasetTriggeredRun({ dag, rows, runIdSuffix: suffix() }, now);
      if (result.created) {
        created.push(result.run);
        log.info('DAG run created by dataset events', { dagId: dag.dagId, runId: result.run.runId, events: result.events.length });
      } else if (result.reason === 'run_exists') {
        log.warn('a dataset-triggered run was not created: a run with its logical date exists', { dagId: dag.dagId });
      }
    } catch (error) {
      log.error('could not create a dataset-triggered run', { dagId: dag.dagId, error: errorMessage(error) });
    }
  }
  return created;
}
