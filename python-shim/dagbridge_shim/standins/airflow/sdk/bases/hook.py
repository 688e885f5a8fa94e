from airflow.hooks.base import BaseHook  # noqa: F401
