"""Stand-in of airflow.api.common.experimental.trigger_dag (deprecated in Airflow 2.10.5 for
airflow.api.common.trigger_dag, which it re-exports)."""
from airflow.api.common.trigger_dag import trigger_dag  # noqa: F401
