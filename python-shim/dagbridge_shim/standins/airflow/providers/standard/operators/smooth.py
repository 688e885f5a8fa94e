"""Airflow 3 path of airflow.operators.smooth (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.operators.smooth")
