"""Stand-in of airflow.api.common.experimental (deprecated in Airflow 2)."""
