-- 0004_datasets: data-aware scheduling (Airflow 2 datasets, Airflow 3 assets), after Airflow 2.10.5's
-- airflow/models/dataset.py: the datasets the DAGs name, the events tasks (or people) record, the queue of
-- updated datasets per consumer DAG (DatasetDagRunQueue) and the events each triggered run consumed.
-- Datasets are identified by URI; aliases by name.

CREATE TABLE datasets (
  uri         text PRIMARY KEY CHECK (length(uri) > 0),
  extra       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE dataset_aliases (
  name        text PRIMARY KEY CHECK (length(name) > 0),
  created_at  timestamptz NOT NULL
);

-- The datasets an alias resolved to: every dataset a task attached through it (DatasetAliasModel.datasets).
CREATE TABLE dataset_alias_datasets (
  alias_name  text NOT NULL REFERENCES dataset_aliases (name) ON DELETE CASCADE,
  uri         text NOT NULL REFERENCES datasets (uri) ON DELETE CASCADE,
  PRIMARY KEY (alias_name, uri)
);

-- What each DAG's current version names, rewritten by every sync of the DAG: `schedule` (a dataset of its
-- condition), `schedule_alias` (an alias of its condition), `outlet` and `inlet` (of a task; `name` is a URI,
-- or an alias name when `is_alias`). Airflow's DagScheduleDatasetReference, TaskOutletDatasetReference, ...
CREATE TABLE dataset_references (
  dag_id    text NOT NULL REFERENCES dags (dag_id) ON DELETE CASCADE,
  kind      text NOT NULL CHECK (kind IN ('schedule', 'schedule_alias', 'outlet', 'inlet')),
  name      text NOT NULL,
  is_alias  boolean NOT NULL,
  task_id   text NOT NULL DEFAULT '',
  PRIMARY KEY (dag_id, kind, name, task_id)
);
CREATE INDEX dataset_references_by_name ON dataset_references (name, kind);

CREATE TABLE dataset_events (
  id                bigserial PRIMARY KEY,
  uri               text NOT NULL REFERENCES datasets (uri) ON DELETE CASCADE,
  extra             jsonb NOT NULL DEFAULT '{}'::jsonb,
  source_dag_id     text,
  source_run_id     text,
  source_task_id    text,
  source_map_index  integer NOT NULL DEFAULT -1,
  source_aliases    text[] NOT NULL DEFAULT '{}',
  timestamp         timestamptz NOT NULL
);
CREATE INDEX dataset_events_by_uri ON dataset_events (uri, timestamp, id);

-- One row per (consumer DAG, updated dataset) since the DAG's last dataset-triggered run (DatasetDagRunQueue).
-- Insert-if-absent: the first update since that run keeps its time.
CREATE TABLE dataset_dag_run_queue (
  target_dag_id  text NOT NULL REFERENCES dags (dag_id) ON DELETE CASCADE,
  uri            text NOT NULL REFERENCES datasets (uri) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (target_dag_id, uri)
);

-- The events a dataset-triggered run consumed (DagRun.consumed_dataset_events).
CREATE TABLE dag_run_dataset_events (
  dag_id    text NOT NULL,
  run_id    text NOT NULL,
  event_id  bigint NOT NULL REFERENCES dataset_events (id) ON DELETE CASCADE,
  PRIMARY KEY (dag_id, run_id, event_id),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
