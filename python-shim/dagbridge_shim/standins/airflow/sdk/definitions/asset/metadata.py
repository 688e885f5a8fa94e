"""`Metadata` (stand-in of airflow.sdk.definitions.asset.metadata): `yield Metadata(asset, {"k": "v"})`."""
from airflow.sdk.assets import Metadata  # noqa: F401

__all__ = ["Metadata"]
