"""Task-level helpers (stand-in of airflow.task)."""
