"""Airflow 3 path of airflow.sensors.time_delta (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.time_delta")
