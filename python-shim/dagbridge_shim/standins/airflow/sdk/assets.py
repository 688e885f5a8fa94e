"""Assets (Airflow 3's datasets)."""
from airflow.datasets import BaseDataset, DatasetAll, DatasetAny


class Asset(BaseDataset):
    """An asset: `Asset("s3://bucket/key")` or `Asset(name=..., uri=...)`."""

    def __init__(self, name=None, uri=None, *, group="asset", extra=None, watchers=()):
        if name is None and uri is None:
            raise TypeError("Asset() requires either 'name' or 'uri'")
        self.name = name if name is not None else uri
        self.uri = uri if uri is not None else name
        self.group = group
        self.extra = extra or {}
        self.watchers = list(watchers)

    def __eq__(self, other):
        return isinstance(other, Asset) and (self.name, self.uri) == (other.name, other.uri)

    def __hash__(self):
        return hash((self.name, self.uri))

    def __repr__(self):
        return "Asset(name=%r, uri=%r)" % (self.name, self.uri)

    def iter_uris(self):
        yield self.uri


class AssetAlias(BaseDataset):
    def __init__(self, name, group="asset"):
        self.name = name
        self.uri = name
        self.group = group

    def iter_uris(self):
        yield self.name


class AssetAny(DatasetAny):
    """Scheduled when any of the assets is updated."""


class AssetAll(DatasetAll):
    """Scheduled when all of the assets have been updated."""


class Metadata:
    """Extra information attached to an asset event by a task."""

    def __init__(self, asset, extra, alias=None):
        self.asset = asset
        self.extra = extra
        self.alias = alias


Dataset = Asset
