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


class AssetWatcher:
    """Watches an external resource through an event trigger and creates an asset event when it fires
    (Airflow 3's triggerer; dagbridge has none, so watchers are exported with the asset but never run)."""

    def __init__(self, name, trigger):
        self.name = name
        self.trigger = trigger

    def __repr__(self):
        return "AssetWatcher(name=%r, trigger=%r)" % (self.name, self.trigger)


class AssetRef(BaseDataset):
    """A reference to an asset by name or URI (`Asset.ref(name=...)`), resolved where it is used."""

    def __init__(self, name=None, uri=None):
        self.name = name
        self.uri = uri if uri is not None else name

    def __eq__(self, other):
        return type(other) is type(self) and (self.name, self.uri) == (other.name, other.uri)

    def __hash__(self):
        return hash((type(self).__name__, self.name, self.uri))

    def iter_uris(self):
        yield self.uri


class AssetNameRef(AssetRef):
    """`Asset.ref(name=...)`."""


class AssetUriRef(AssetRef):
    """`Asset.ref(uri=...)`."""


def _asset_ref(*, name="", uri=""):
    if name and uri:
        raise TypeError("Asset reference must be made to either name or URI, not both")
    if name:
        return AssetNameRef(name=name)
    if uri:
        return AssetUriRef(uri=uri)
    raise TypeError("Asset reference expects keyword argument 'name' or 'uri'")


Asset.ref = staticmethod(_asset_ref)


class Model(Asset):
    """An asset that is a machine-learning model (`group="model"`)."""

    def __init__(self, name=None, uri=None, *, group="model", extra=None, watchers=()):
        super().__init__(name, uri, group=group, extra=extra, watchers=watchers)


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
