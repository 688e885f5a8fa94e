"""Airflow 3 path of the TimeSensor."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.sensors.time_sensor")
