"""Airflow 3's asset definitions (stand-in of airflow.sdk.definitions.asset)."""
from airflow.sdk.assets import (  # noqa: F401
    Asset, AssetAlias, AssetAll, AssetAny, AssetNameRef, AssetRef, AssetUriRef, AssetWatcher, Dataset, Model,
)
from airflow.datasets import BaseDataset as BaseAsset  # noqa: F401

__all__ = ["Asset", "Dataset", "Model", "AssetAlias", "AssetAll", "AssetAny", "AssetNameRef", "AssetRef",
           "AssetUriRef", "AssetWatcher"]
