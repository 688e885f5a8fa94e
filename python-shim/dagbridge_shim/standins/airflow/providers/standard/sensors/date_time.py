"""Airflow 3 path of airflow.sensors.date_time (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.date_time")
