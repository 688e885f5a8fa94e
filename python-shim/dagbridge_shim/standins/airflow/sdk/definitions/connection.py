"""Connection (stand-in of airflow.sdk.definitions.connection)."""
from airflow.models.connection import Connection  # noqa: F401
