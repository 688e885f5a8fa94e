"""Airflow 3 path of airflow.triggers.file (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.triggers.file")
