-- 0002_security: run ids follow Airflow's rule in the database itself, so no writer (an old dagbridge, a
-- script, a future API) can store one that a `{{ run_id }}` in a bash command, a log line or a table would
-- misread. The rule is Airflow's default [scheduler] allowed_run_id_pattern ^[A-Za-z0-9_.~:+-]+$ and its
-- ID_LEN of 250, plus dagbridge's own refusal of ".." (src/dag/ids.ts runIdProblem says the same).
--
-- Runs already stored with a run id outside the rule are renamed, not deleted and not left to fail the
-- migration: the new id is `renamed__<the old id with every other character as _, first 64>__<md5 of the old
-- id>`, unique and valid; their task instances, tries, XComs and logs follow through ON UPDATE CASCADE; and
-- dag_run_renames keeps each old id next to its new one (docs/metadata-schema.md).

-- Renaming a run must carry its task instances (tries, XComs and logs already cascade from them).
ALTER TABLE task_instances DROP CONSTRAINT task_instances_dag_id_run_id_fkey;
ALTER TABLE task_instances ADD CONSTRAINT task_instances_dag_id_run_id_fkey
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE dag_run_renames (
  dag_id      text NOT NULL,
  old_run_id  text NOT NULL,
  new_run_id  text NOT NULL,
  renamed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dag_id, new_run_id)
);

INSERT INTO dag_run_renames (dag_id, old_run_id, new_run_id)
SELECT dag_id, run_id,
       'renamed__' || regexp_replace(left(run_id, 64), '[^A-Za-z0-9_~:+-]', '_', 'g') || '__' || md5(run_id)
  FROM dag_runs
 WHERE NOT (length(run_id) <= 250 AND run_id ~ '^[A-Za-z0-9_.~:+-]+$' AND strpos(run_id, '..') = 0);

UPDATE dag_runs r SET run_id = n.new_run_id
  FROM dag_run_renames n
 WHERE r.dag_id = n.dag_id AND r.run_id = n.old_run_id;

ALTER TABLE dag_runs ADD CONSTRAINT dag_runs_run_id_allowed
  CHECK (length(run_id) <= 250 AND run_id ~ '^[A-Za-z0-9_.~:+-]+$' AND strpos(run_id, '..') = 0);
