"""Airflow 3 path of airflow.operators.bash (apache-airflow-providers-standard)."""
from airflow._dagbridge import reexport

reexport(globals(), "airflow.operators.bash")
