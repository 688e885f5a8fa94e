"""Stand-in of airflow.api.common."""
