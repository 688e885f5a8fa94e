"""Airflow 3 path of airflow.operators.python (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.operators.python")
