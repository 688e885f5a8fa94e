"""Dataset (asset) events in the task context: ``outlet_events``, ``inlet_events`` and
``triggering_dataset_events`` (Airflow 3: ``triggering_asset_events``).

Follows Airflow 2.10.5's airflow/utils/context.py (OutletEventAccessor(s), InletEventsAccessors),
airflow/utils/operator_helpers.py (ExecutionCallableRunner: ``yield Metadata(...)``) and
airflow/models/taskinstance.py (``_register_dataset_changes``: which events a successful task records).
Keys are URIs (a Dataset's or Asset's), or alias names; a string key is taken as it is.

The events a task reads come in the task run input (``inletEvents``, ``triggeringDatasetEvents``); the events
it emits go out in the result (``outletEvents``), and the worker records them when the task succeeded.
"""
import inspect
import json

from dagbridge_shim import log
from dagbridge_shim.runtime.datetimes import parse_instant

_ALIASES = ("DatasetAlias", "AssetAlias")


def _names(value):
    return [klass.__name__ for klass in type(value).__mro__]


def _is_alias(value):
    return any(name in _names(value) for name in _ALIASES)


def event_key(value):
    """The key of ``value``: an alias's name, a dataset's URI (an asset with only a name: its name), or the
    string itself."""
    if isinstance(value, str):
        return value
    if _is_alias(value):
        return str(value.name)
    uri = getattr(value, "uri", None)
    if isinstance(uri, str) and uri:
        return uri
    name = getattr(value, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(value)


class OutletEventAccessor:
    """What a task adds to the event of one outlet: ``extra``, and for an alias the datasets it attaches."""

    def __init__(self, raw_key):
        self.raw_key = raw_key
        self.extra = {}
        self.dataset_alias_events = []

    @property
    def asset_alias_events(self):
        return self.dataset_alias_events

    def add(self, dataset, extra=None):
        """Attaches ``dataset`` (a Dataset/Asset or a URI) to this alias, with ``extra`` for its event."""
        if not isinstance(dataset, str) and _is_alias(dataset):
            return
        if not isinstance(self.raw_key, str) and not _is_alias(self.raw_key):
            return  # Airflow ignores add() on a dataset's accessor
        self.dataset_alias_events.append({"source_alias_name": event_key(self.raw_key),
                                          "dest_dataset_uri": event_key(dataset), "extra": dict(extra or {})})

    def __repr__(self):
        return "OutletEventAccessor(raw_key=%r, extra=%r)" % (self.raw_key, self.extra)


class OutletEventAccessors:
    """``outlet_events[dataset_or_alias]``: an accessor made on first use."""

    def __init__(self):
        self._dict = {}

    def __getitem__(self, key):
        name = event_key(key)
        if name not in self._dict:
            self._dict[name] = OutletEventAccessor(key)
        return self._dict[name]

    def __contains__(self, key):
        return event_key(key) in self._dict

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)

    def __repr__(self):
        return "OutletEventAccessors(_dict=%r)" % (self._dict,)


def run_callable(function, args, kwargs, outlet_events):
    """Calls ``function``; a generator function is run to its end, each ``Metadata`` it yields updating
    ``outlet_events`` (its extra, and its alias), and its return value is the call's value."""
    if not inspect.isgeneratorfunction(function):
        return function(*args, **kwargs)
    generator = function(*args, **kwargs)
    while True:
        try:
            item = next(generator)
        except StopIteration as stop:
            return stop.value
        if "Metadata" in _names(item):
            _apply_metadata(item, outlet_events)
        else:
            log.warning("Ignoring unknown data of %r received from task", type(item))


def _apply_metadata(metadata, outlet_events):
    # Airflow 2: Metadata(uri, extra, alias_name); Airflow 3: Metadata(asset, extra, alias).
    target = getattr(metadata, "uri", None) or getattr(metadata, "asset", None)
    extra = dict(getattr(metadata, "extra", None) or {})
    outlet_events[target].extra.update(extra)
    alias = getattr(metadata, "alias_name", None) or getattr(metadata, "alias", None)
    if alias:
        outlet_events[event_key(alias)].add(event_key(target), extra=extra)


def outlet_event_records(task, outlet_events):
    """The events a successful ``task`` records (``_register_dataset_changes``): one per dataset outlet with
    the extra set through ``outlet_events``; for alias outlets, one per (dataset, extra) attached, naming every
    alias that attached it."""
    records = []
    through_aliases = {}
    for outlet in getattr(task, "outlets", None) or ():
        if _is_alias(outlet):
            for event in outlet_events[outlet].dataset_alias_events:
                key = (event["dest_dataset_uri"], _frozen(event["extra"]))
                entry = through_aliases.setdefault(key, {"uri": event["dest_dataset_uri"], "extra": event["extra"],
                                                         "aliases": []})
                if event["source_alias_name"] not in entry["aliases"]:
                    entry["aliases"].append(event["source_alias_name"])
        elif "Metadata" not in _names(outlet) and _is_dataset(outlet):
            records.append({"uri": event_key(outlet), "extra": dict(outlet_events[outlet].extra), "aliases": []})
    records.extend(through_aliases.values())
    for record in records:
        record["extra"] = _json_extra(record["extra"])
    return records


def _json_extra(extra):
    # The result is JSON: a value JSON cannot hold is stored as its repr, never fails the finished task.
    return json.loads(json.dumps(extra, default=repr, allow_nan=False))


def _is_dataset(value):
    names = _names(value)
    return any(name in names for name in ("Dataset", "Asset", "AssetRef", "BaseAsset"))


def _frozen(extra):
    try:
        return frozenset(extra.items())
    except TypeError:  # unhashable values: compare by their text
        return repr(sorted(extra.items(), key=lambda item: str(item[0])))


class DatasetEvent:
    """One recorded event, as tasks read it (Airflow's DatasetEvent / AssetEvent attributes)."""

    def __init__(self, document):
        self.id = document.get("id")
        self.uri = document.get("uri")
        self.extra = dict(document.get("extra") or {})
        self.timestamp = parse_instant(document.get("timestamp"))
        self.source_dag_id = document.get("sourceDagId")
        self.source_run_id = document.get("sourceRunId")
        self.source_task_id = document.get("sourceTaskId")
        self.source_map_index = document.get("sourceMapIndex", -1)
        self.source_aliases = [_Named(name) for name in document.get("sourceAliases") or ()]
        self.dataset = _Named(self.uri, uri=self.uri)
        self.asset = self.dataset

    def __repr__(self):
        return "DatasetEvent(uri=%r, extra=%r, timestamp=%s)" % (self.uri, self.extra, self.timestamp)


class _Named:
    def __init__(self, name, uri=None):
        self.name = name
        self.uri = uri if uri is not None else name

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.name)


def triggering_events(documents):
    """``triggering_dataset_events``: URI -> the run's consumed events of that dataset, oldest first."""
    by_uri = {}
    for document in documents or ():
        event = DatasetEvent(document)
        by_uri.setdefault(event.uri, []).append(event)
    return by_uri


class InletEventsAccessors:
    """``inlet_events[inlet]``: every recorded event of an inlet dataset (or of the datasets an inlet alias
    attached), oldest first. An int indexes the task's inlets; a key that is not an inlet raises KeyError."""

    def __init__(self, inlets, documents):
        self._inlets = list(inlets or ())
        self._events = [DatasetEvent(document) for document in documents or ()]
        self._datasets = {event_key(inlet) for inlet in self._inlets if not _is_alias(inlet)}
        self._aliases = {event_key(inlet) for inlet in self._inlets if _is_alias(inlet)}

    def __iter__(self):
        return iter(self._inlets)

    def __len__(self):
        return len(self._inlets)

    def __getitem__(self, key):
        if isinstance(key, int):
            key = self._inlets[key]
            if not _is_alias(key) and not _is_dataset(key):
                raise IndexError(key)
        name = event_key(key)
        if not isinstance(key, str) and _is_alias(key):
            if name not in self._aliases:
                raise KeyError(name)
            return [event for event in self._events if name in (alias.name for alias in event.source_aliases)]
        if name not in self._datasets:
            raise KeyError(name)
        return [event for event in self._events if event.uri == name]
