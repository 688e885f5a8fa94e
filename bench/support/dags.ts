/**
 * DAG files the benchmarks generate: unmodified-Airflow-style Python sources with no-op tasks, so every figure
 * measures dagbridge (start, run, record) and not the tasks' own work. Task ids are zero-padded so that they
 * sort in creation order (the chain's hand-overs are read in task id order).
 */

const HEADER = `from datetime import datetime

from airflow import DAG
`;

/**
 * `count` BashOperator tasks running `true`. With `layers` > 1 the tasks form that many layers of equal size
 * (the last one takes the remainder) and each task depends on the task at the same position in the layer
 * before (parallel chains); with 1 they are independent.
 */
export function bashNoopDag(dagId: string, count: number, options: { layers?: number; maxActiveTasks?: number } = {}): string {
  const layers = Math.max(1, options.layers ?? 1);
  const perLayer = Math.ceil(count / layers);
  return `${HEADER}from airflow.operators.bash import BashOperator

with DAG(${JSON.stringify(dagId)}, start_date=datetime(2024, 1, 1), schedule=None, catchup=False,
         max_active_tasks=${options.maxActiveTasks ?? 16}) as dag:
    tasks = [BashOperator(task_id="bash_%05d" % i, bash_command="true") for i in range(${count})]
    per_layer = ${perLayer}
    for i in range(per_layer, len(tasks)):
        tasks[i - per_layer] >> tasks[i]
`;
}

/** `count` TaskFlow tasks (`@task` returning None), independent. */
export function pythonNoopDag(dagId: string, count: number, options: { maxActiveTasks?: number } = {}): string {
  return `${HEADER}from airflow.decorators import task

with DAG(${JSON.stringify(dagId)}, start_date=datetime(2024, 1, 1), schedule=None, catchup=False,
         max_active_tasks=${options.maxActiveTasks ?? 16}) as dag:
    @task
    def noop():
        return None

    for i in range(${count}):
        noop.override(task_id="python_%05d" % i)()
`;
}

/** `count` BashOperator tasks running `true` in one chain: each starts when the one before succeeded. */
export function bashChainDag(dagId: string, count: number): string {
  return `${HEADER}from airflow.models.baseoperator import chain
from airflow.operators.bash import BashOperator

with DAG(${JSON.stringify(dagId)}, start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    chain(*[BashOperator(task_id="step_%05d" % i, bash_command="true") for i in range(${count})])
`;
}
