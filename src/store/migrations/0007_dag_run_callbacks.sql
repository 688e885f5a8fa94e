-- 0007_dag_run_callbacks: a DAG's on_success_callback / on_failure_callback to call once its run ended
-- (docs/dag-callbacks.md). The row is written in the transaction that wins the run's compare-and-set to
-- success/failed, so of two schedulers finishing one run exactly one writes it; a caller claims it with a
-- compare-and-set pending -> running, so it is called at most once. A run that ends again after a clear
-- replaces its row (Airflow calls the callback again then).

CREATE TABLE dag_run_callbacks (
  dag_id      text NOT NULL,
  run_id      text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('success', 'failure')),
  reason      text NOT NULL,
  state       text NOT NULL CHECK (state IN ('pending', 'running', 'done')),
  error       text,
  output      text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (dag_id, run_id),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX dag_run_callbacks_pending ON dag_run_callbacks (created_at) WHERE state = 'pending';
