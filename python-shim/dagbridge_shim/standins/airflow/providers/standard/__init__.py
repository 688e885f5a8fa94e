"""Airflow 3's standard provider (operators and sensors that moved out of core)."""
