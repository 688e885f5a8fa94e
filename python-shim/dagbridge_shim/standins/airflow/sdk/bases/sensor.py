from airflow.sensors.base import BaseSensorOperator, PokeReturnValue  # noqa: F401
