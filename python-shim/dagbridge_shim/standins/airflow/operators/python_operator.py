"""Airflow 1 import path of the Python operators."""
from airflow.operators.python import (  # noqa: F401
    BranchPythonOperator,
    PythonOperator,
    PythonVirtualenvOperator,
    ShortCircuitOperator,
)
