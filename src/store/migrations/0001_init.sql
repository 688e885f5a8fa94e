-- 0001_init: the metadata schema of dagbridge (Airflow's model: DAGs, runs, task instances, tries, XComs,
-- logs, pools, variables) plus the cluster's own tables (workers, manifests, settings).
-- Forward-only: never edit this file once released; add 0002_... instead (the checksum is verified).
-- Times are timestamptz; state columns are text with CHECK constraints listing Airflow's state names.

CREATE TABLE settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per distinct DagSpec of a DAG (content-addressed by the hash of the spec). A run keeps the version
-- it was created with, so editing a DAG file never changes a run in flight.
CREATE TABLE dag_versions (
  dag_id        text NOT NULL,
  version_hash  text NOT NULL,
  spec          jsonb NOT NULL,
  file_hash     text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (dag_id, version_hash)
);

CREATE TABLE dags (
  dag_id          text PRIMARY KEY,
  file            text NOT NULL,
  version_hash    text NOT NULL,
  is_paused       boolean NOT NULL,
  is_active       boolean NOT NULL DEFAULT true,
  last_parsed_at  timestamptz NOT NULL,
  FOREIGN KEY (dag_id, version_hash) REFERENCES dag_versions (dag_id, version_hash)
);

-- Files of the DAG folder that failed to import at the last sync (replaced as a whole by each sync).
CREATE TABLE import_errors (
  file        text PRIMARY KEY,
  type        text NOT NULL,
  message     text NOT NULL,
  traceback   text NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE dag_runs (
  dag_id               text NOT NULL REFERENCES dags (dag_id),
  run_id               text NOT NULL,
  version_hash         text NOT NULL,
  run_type             text NOT NULL CHECK (run_type IN ('manual', 'scheduled', 'backfill', 'asset_triggered')),
  state                text NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
  logical_date         timestamptz,
  data_interval_start  timestamptz,
  data_interval_end    timestamptz,
  run_after            timestamptz NOT NULL,
  conf                 jsonb NOT NULL DEFAULT '{}'::jsonb,
  queued_at            timestamptz NOT NULL,
  start_date           timestamptz,
  end_date             timestamptz,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dag_id, run_id),
  FOREIGN KEY (dag_id, version_hash) REFERENCES dag_versions (dag_id, version_hash)
);
-- Two schedulers computing the same next interval race to insert the same run: this index lets exactly one
-- INSERT ... ON CONFLICT DO NOTHING win. Manual runs may share a logical date (Airflow 3 semantics).
CREATE UNIQUE INDEX dag_runs_automated_logical_date ON dag_runs (dag_id, logical_date)
  WHERE run_type <> 'manual' AND logical_date IS NOT NULL;
-- The scheduler loads active runs every loop; they are a small slice of a large table.
CREATE INDEX dag_runs_active ON dag_runs (run_after) WHERE state IN ('queued', 'running');
-- Listing a DAG's runs newest first, and previousRun (depends_on_past).
CREATE INDEX dag_runs_by_dag_order ON dag_runs (dag_id, (COALESCE(logical_date, run_after)), run_after, run_id);

CREATE TABLE task_instances (
  dag_id                text NOT NULL,
  run_id                text NOT NULL,
  task_id               text NOT NULL,
  map_index             integer NOT NULL DEFAULT -1,
  state                 text NOT NULL DEFAULT 'none' CHECK (state IN ('none', 'scheduled', 'queued', 'running', 'success',
                          'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'removed', 'restarting')),
  try_number            integer NOT NULL DEFAULT 0 CHECK (try_number >= 0),
  max_tries             integer NOT NULL DEFAULT 0 CHECK (max_tries >= 0),
  queue                 text NOT NULL,
  pool                  text NOT NULL,
  pool_slots            integer NOT NULL DEFAULT 1 CHECK (pool_slots > 0),
  priority_weight       integer NOT NULL DEFAULT 1,
  queued_at             timestamptz,
  start_date            timestamptz,
  end_date              timestamptz,
  next_retry_at         timestamptz,
  reschedule_at         timestamptz,
  sensor_first_poke_at  timestamptz,
  worker_id             text,
  hostname              text,
  pid                   integer,
  note                  text,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dag_id, run_id, task_id, map_index),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE
);
-- Admission (listScheduled), queue rebuild (listQueued), lease checks (listRunning) and pool occupancy all
-- read instances in these states; finished instances (the vast majority) stay out of the index.
CREATE INDEX task_instances_active_state ON task_instances (state, priority_weight DESC)
  WHERE state IN ('scheduled', 'queued', 'running', 'restarting');

-- One row per try of a task instance: who ran it, when, and how it ended. The foreign keys to task_instances
-- cascade updates because a mapped task's placeholder (map index -1) becomes map index 0 when it expands.
CREATE TABLE task_instance_tries (
  dag_id            text NOT NULL,
  run_id            text NOT NULL,
  task_id           text NOT NULL,
  map_index         integer NOT NULL,
  try_number        integer NOT NULL,
  worker_id         text,
  hostname          text,
  pid               integer,
  start_date        timestamptz,
  end_date          timestamptz,
  duration_seconds  double precision,
  state             text NOT NULL,
  exit_code         integer,
  signal            text,
  exit_reason       text,
  error             jsonb,
  log_lines         bigint NOT NULL DEFAULT 0,
  log_bytes         bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number),
  FOREIGN KEY (dag_id, run_id, task_id, map_index)
    REFERENCES task_instances (dag_id, run_id, task_id, map_index) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE xcoms (
  dag_id      text NOT NULL,
  run_id      text NOT NULL,
  task_id     text NOT NULL,
  map_index   integer NOT NULL,
  key         text NOT NULL,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (dag_id, run_id, task_id, map_index, key),
  FOREIGN KEY (dag_id, run_id, task_id, map_index)
    REFERENCES task_instances (dag_id, run_id, task_id, map_index) ON DELETE CASCADE ON UPDATE CASCADE
);

-- Task logs in chunks: one row per appendLogLines call (a worker flushes a batch of lines), holding the
-- batch's lines (sequence numbers first_seq..last_seq, given by the writer) as a JSON array of
-- [seq, atMs, stream, line]. The primary key on last_seq makes "lines after seq N" (--follow) an index range
-- scan, and makes a re-sent batch a no-op.
CREATE TABLE task_logs (
  dag_id      text NOT NULL,
  run_id      text NOT NULL,
  task_id     text NOT NULL,
  map_index   integer NOT NULL,
  try_number  integer NOT NULL,
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  lines       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number, last_seq),
  CHECK (first_seq <= last_seq),
  FOREIGN KEY (dag_id, run_id, task_id, map_index)
    REFERENCES task_instances (dag_id, run_id, task_id, map_index) ON DELETE CASCADE ON UPDATE CASCADE
);

-- Dependency manifests by content hash; the current one is named in settings ('current_manifest_hash').
CREATE TABLE manifests (
  hash        text PRIMARY KEY,
  content     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workers (
  worker_id          text PRIMARY KEY,
  hostname           text NOT NULL,
  pid                integer,
  queues             text[] NOT NULL DEFAULT '{}',
  refused            jsonb NOT NULL DEFAULT '[]'::jsonb,
  concurrency        integer NOT NULL CHECK (concurrency > 0),
  slots_busy         integer NOT NULL DEFAULT 0 CHECK (slots_busy >= 0),
  version            text NOT NULL,
  state              text NOT NULL,
  started_at         timestamptz NOT NULL,
  last_heartbeat_at  timestamptz NOT NULL,
  last_poll_at       timestamptz,
  manifest_hash      text,
  manifest_report    jsonb,
  requested_action   text CHECK (requested_action IN ('drain', 'shutdown', 'cold_shutdown'))
);
CREATE INDEX workers_heartbeat ON workers (last_heartbeat_at);

CREATE TABLE pools (
  name         text PRIMARY KEY,
  slots        integer NOT NULL CHECK (slots >= 0),
  description  text NOT NULL DEFAULT ''
);
INSERT INTO pools (name, slots, description) VALUES ('default_pool', 128, 'Default pool');

CREATE TABLE variables (
  key          text PRIMARY KEY,
  value        text NOT NULL,
  description  text
);
