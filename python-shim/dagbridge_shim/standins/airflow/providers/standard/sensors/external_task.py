"""Airflow 3 path of airflow.sensors.external_task (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.external_task")
