-- 0008_dag_run_listener_calls: the plugin listeners' DAG-run hooks to call, one row per state change of a run
-- (Airflow 2.10.5's DagRun.notify_dagrun_state_changed: on_dag_run_running / _success / _failed with a msg;
-- docs/dag-callbacks.md). The row is written in the statement that wins the run's compare-and-set, so of two
-- schedulers making one change exactly one writes it; a caller claims it pending -> running (at most once), and
-- only when no earlier call of the same run is still pending or running, so a run's hooks are called in order.

CREATE TABLE dag_run_listener_calls (
  id          bigserial PRIMARY KEY,
  dag_id      text NOT NULL,
  run_id      text NOT NULL,
  hook        text NOT NULL CHECK (hook IN ('on_dag_run_running', 'on_dag_run_success', 'on_dag_run_failed')),
  msg         text NOT NULL DEFAULT '',
  state       text NOT NULL CHECK (state IN ('pending', 'running', 'done')),
  error       text,
  output      text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX dag_run_listener_calls_by_run ON dag_run_listener_calls (dag_id, run_id, id);
CREATE INDEX dag_run_listener_calls_pending ON dag_run_listener_calls (id) WHERE state = 'pending';
