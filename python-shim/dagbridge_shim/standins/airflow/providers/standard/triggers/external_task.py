"""Airflow 3 path of airflow.triggers.external_task (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.triggers.external_task")
