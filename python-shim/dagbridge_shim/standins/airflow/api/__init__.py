"""Stand-in of airflow.api: only what DAG code calls, ``airflow.api.common.trigger_dag``."""
