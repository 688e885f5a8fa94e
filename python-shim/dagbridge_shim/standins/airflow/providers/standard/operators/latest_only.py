"""Airflow 3 path of airflow.operators.latest_only (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.operators.latest_only")
