-- 0011_dag_run_changes: a change count per DAG run, so that the scheduler decides again only the runs that
-- changed since it last decided them (docs/scheduling.md, "Which runs a tick decides").
--
-- Every statement that inserts, updates or deletes task instances or XComs of a run, or inserts or updates the
-- run itself, adds one row (changes = 1) per run it touched, from statement-level triggers: no writer can
-- forget it, whether it is the scheduler, a worker, the API or a hand-written UPDATE. A run's change count is the
-- sum of its rows. Writers only insert, so they never wait on each other here and take no lock on the run row.
-- Because a count only grows when a change commits, a reader that compares the count it read before reading a
-- run with the count it reads later sees every change committed in between, in whatever order the writers'
-- transactions commit. `compact_dag_run_changes` folds a run's rows into one with the same sum (the scheduler
-- calls it for runs with many rows, and a run that finishes is folded at once); `max(id)` changes when rows
-- are folded or a run of the same id is created again, which only makes a reader decide once more.

CREATE TABLE dag_run_changes (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dag_id   text NOT NULL,
  run_id   text NOT NULL,
  changes  bigint NOT NULL CHECK (changes > 0)
);
CREATE INDEX dag_run_changes_by_run ON dag_run_changes (dag_id, run_id);

-- Rows of a run are folded into one row holding their sum. Rows another folding holds are skipped
-- (SKIP LOCKED), so two schedulers folding the same run never wait on each other, and the sum is kept.
CREATE OR REPLACE FUNCTION compact_dag_run_changes(p_dag_id text, p_run_id text) RETURNS void
LANGUAGE sql AS $$
  WITH doomed AS (
    SELECT id FROM dag_run_changes WHERE dag_id = p_dag_id AND run_id = p_run_id ORDER BY id FOR UPDATE SKIP LOCKED
  ), gone AS (
    DELETE FROM dag_run_changes c USING doomed d WHERE c.id = d.id RETURNING c.changes
  )
  INSERT INTO dag_run_changes (dag_id, run_id, changes)
  SELECT p_dag_id, p_run_id, sum(changes) FROM gone HAVING count(*) > 0
$$;

-- For task_instances and xcoms: one row per run the statement touched, for runs that still exist (a run being
-- deleted cascades to its instances; it needs no count any more).
CREATE OR REPLACE FUNCTION record_dag_run_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dag_run_changes (dag_id, run_id, changes)
  SELECT t.dag_id, t.run_id, 1
    FROM (SELECT DISTINCT dag_id, run_id FROM changed_rows) t
   WHERE EXISTS (SELECT 1 FROM dag_runs r WHERE r.dag_id = t.dag_id AND r.run_id = t.run_id);
  RETURN NULL;
END $$;

-- For dag_runs: a new or changed run counts as a change of that run; a run that finished is folded.
CREATE OR REPLACE FUNCTION record_dag_run_row_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dag_run_changes (dag_id, run_id, changes) SELECT dag_id, run_id, 1 FROM changed_rows;
  PERFORM compact_dag_run_changes(dag_id, run_id) FROM changed_rows WHERE state IN ('success', 'failed');
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION forget_dag_run_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dag_run_changes c USING changed_rows o WHERE c.dag_id = o.dag_id AND c.run_id = o.run_id;
  RETURN NULL;
END $$;

-- A transition table belongs to one event, hence one trigger per event.
CREATE TRIGGER task_instances_inserted AFTER INSERT ON task_instances
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_changes();
CREATE TRIGGER task_instances_updated AFTER UPDATE ON task_instances
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_changes();
CREATE TRIGGER task_instances_deleted AFTER DELETE ON task_instances
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_changes();
CREATE TRIGGER xcoms_inserted AFTER INSERT ON xcoms
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_changes();
CREATE TRIGGER xcoms_updated AFTER UPDATE ON xcoms
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_changes();
CREATE TRIGGER xcoms_deleted AFTER DELETE ON xcoms
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_changes();
CREATE TRIGGER dag_runs_inserted AFTER INSERT ON dag_runs
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_row_changes();
CREATE TRIGGER dag_runs_updated AFTER UPDATE ON dag_runs
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION record_dag_run_row_changes();
CREATE TRIGGER dag_runs_deleted AFTER DELETE ON dag_runs
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION forget_dag_run_changes();

-- Runs that exist already start with one change each.
INSERT INTO dag_run_changes (dag_id, run_id, changes) SELECT dag_id, run_id, 1 FROM dag_runs;
