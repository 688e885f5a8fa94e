"""Airflow 1 import path of DummyOperator."""
from airflow.operators.dummy import DummyOperator  # noqa: F401
