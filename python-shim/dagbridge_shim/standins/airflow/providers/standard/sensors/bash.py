"""Airflow 3 path of airflow.sensors.bash (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.bash")
