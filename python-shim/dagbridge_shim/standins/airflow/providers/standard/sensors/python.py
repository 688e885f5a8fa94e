"""Airflow 3 path of airflow.sensors.python (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.python")
