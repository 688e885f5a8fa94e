"""Stand-in of airflow.sdk.io."""
