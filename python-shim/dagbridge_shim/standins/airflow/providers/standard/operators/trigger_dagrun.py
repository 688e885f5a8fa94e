"""Airflow 3 path of airflow.operators.trigger_dagrun (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.operators.trigger_dagrun")
