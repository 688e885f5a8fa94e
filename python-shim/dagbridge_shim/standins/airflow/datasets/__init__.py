"""Datasets (Airflow 2) and the conditions built with `|` and `&` (stand-in of airflow.datasets)."""


class BaseDataset:
    """Something a DAG can be scheduled on."""

    def __or__(self, other):
        return DatasetAny(self, other)

    def __and__(self, other):
        return DatasetAll(self, other)

    def iter_uris(self):
        raise NotImplementedError


class Dataset(BaseDataset):
    """A dataset identified by its URI."""

    def __init__(self, uri, extra=None):
        if not isinstance(uri, str):
            raise TypeError("uri must be a str")
        if not uri or uri.isspace():
            raise ValueError("Dataset URI cannot be empty")
        self.uri = uri
        self.extra = extra or {}

    def __eq__(self, other):
        return isinstance(other, Dataset) and self.uri == other.uri

    def __hash__(self):
        return hash(self.uri)

    def __repr__(self):
        return "Dataset(uri=%r)" % self.uri

    def iter_uris(self):
        yield self.uri


class DatasetAlias(BaseDataset):
    def __init__(self, name):
        self.name = name
        self.uri = name

    def iter_uris(self):
        yield self.name


class _DatasetBooleanCondition(BaseDataset):
    def __init__(self, *objects):
        self.objects = list(objects)

    def iter_uris(self):
        for obj in self.objects:
            yield from obj.iter_uris()


class DatasetAny(_DatasetBooleanCondition):
    """Scheduled when any of the datasets is updated."""


class DatasetAll(_DatasetBooleanCondition):
    """Scheduled when all of the datasets have been updated."""


def extract_event_key(value):
    """The key of an outlet event: a Dataset's URI, a DatasetAlias's name, or the string itself."""
    if isinstance(value, DatasetAlias):
        return value.name
    if isinstance(value, Dataset):
        return value.uri
    return str(value)


__all__ = ["Dataset", "DatasetAll", "DatasetAny"]
