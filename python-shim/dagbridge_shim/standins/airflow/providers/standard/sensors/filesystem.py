"""Airflow 3 path of airflow.sensors.filesystem (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.filesystem")
