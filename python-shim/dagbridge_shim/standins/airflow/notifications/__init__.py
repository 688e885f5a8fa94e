"""Stand-in of airflow.notifications."""
