from airflow._dagbridge import reexport

reexport(globals(), "airflow.providers.standard.utils.weekday")
