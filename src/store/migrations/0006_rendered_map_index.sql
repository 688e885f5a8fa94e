-- 0006_rendered_map_index: the name a mapped task instance's map_index_template gave it (Airflow 2.10.5's
-- task_instance.rendered_map_index), rendered by the task after execute and reported in its result. Kept from
-- the last try that rendered one (a try that ends before rendering leaves the earlier name).
ALTER TABLE task_instances ADD COLUMN rendered_map_index text;
