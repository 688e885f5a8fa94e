"""Airflow 3 path of airflow.sensors.weekday (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.weekday")
