"""Airflow 3 path of airflow.operators.branch (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.operators.branch")
