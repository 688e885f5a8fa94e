-- 0012_task_instance_changed_xid: each task instance row carries the id of the transaction that last wrote it,
-- so that the scheduler reads again only the instances of a run that changed since its last read
-- (docs/scheduling.md, "Which runs a tick decides").
--
-- A BEFORE UPDATE trigger sets it on every update, whoever writes (scheduler, worker, API, a hand-written
-- UPDATE); an INSERT takes it from the column default. A reader takes the oldest transaction still running at
-- its read (the xmin of the statement's snapshot) as the bound of its next read: every transaction older than
-- that had ended when it read, so its writes were seen, and every later one has an id at or above the bound,
-- whenever it commits. Rows that existed before this migration carry 1, older than any bound.

ALTER TABLE task_instances ADD COLUMN changed_xid xid8 NOT NULL DEFAULT '1';
ALTER TABLE task_instances ALTER COLUMN changed_xid SET DEFAULT pg_current_xact_id();

CREATE OR REPLACE FUNCTION stamp_task_instance_xid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_xid := pg_current_xact_id();
  RETURN NEW;
END $$;

CREATE TRIGGER task_instances_changed_xid BEFORE UPDATE ON task_instances
  FOR EACH ROW EXECUTE FUNCTION stamp_task_instance_xid();

CREATE INDEX task_instances_changed ON task_instances (dag_id, run_id, changed_xid);
