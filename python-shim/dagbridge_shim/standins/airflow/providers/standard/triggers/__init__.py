"""Airflow 3 path of airflow.triggers (apache-airflow-providers-standard)."""
