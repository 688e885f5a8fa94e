"""Airflow 1 import path of BashOperator."""
from airflow.operators.bash import BashOperator  # noqa: F401
