-- 0010_rendered_fields: the template fields as a try rendered them (Airflow 2.10.5's
-- rendered_task_instance_fields.rendered_fields), reported by the task in its result with sensitive values
-- masked by the shim, stored on the try's history row by finishTry. NULL: the try reported none (it ended
-- before rendering, or ran before this migration).
ALTER TABLE task_instance_tries ADD COLUMN rendered_fields jsonb;
