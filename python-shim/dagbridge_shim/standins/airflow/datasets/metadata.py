"""`Metadata` (stand-in of airflow.datasets.metadata): extra information a task attaches to a dataset event,
`yield Metadata(dataset, {"k": "v"})`."""
from airflow.datasets import DatasetAlias, extract_event_key


class Metadata:
    """`target`: the Dataset (or its URI), `extra`: a JSON dict, `alias`: the DatasetAlias (or its name) the
    event is emitted through."""

    def __init__(self, target, extra, alias=None):
        self.uri = extract_event_key(target)
        self.extra = extra
        self.alias_name = alias.name if isinstance(alias, DatasetAlias) else alias

    def __repr__(self):
        return "Metadata(uri=%r, extra=%r, alias_name=%r)" % (self.uri, self.extra, self.alias_name)


__all__ = ["Metadata"]
