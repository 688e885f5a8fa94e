"""ObjectStoragePath (stand-in of airflow.sdk.io.path)."""
from airflow.io.path import ObjectStoragePath  # noqa: F401
