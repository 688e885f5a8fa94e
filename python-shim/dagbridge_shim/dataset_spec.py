"""Datasets (Airflow 2) and assets (Airflow 3) to the bundle's JSON (docs/contracts.md section 1,
src/dag/datasets.ts): a schedule's condition and a task's outlets and inlets.

Classes are recognised by name along the MRO, so stand-ins and real Airflow 2 or 3 convert alike. The order
of the checks follows airflow/datasets/__init__.py: `_DatasetAliasCondition` (what a real DAG holds for an
alias in its schedule) is a DatasetAny, so aliases are recognised first.
"""

_ALIASES = ("DatasetAlias", "AssetAlias", "_DatasetAliasCondition", "_AssetAliasCondition")
_ALL = ("DatasetAll", "AssetAll")
_ANY = ("DatasetAny", "AssetAny")
_DATASETS = ("Dataset", "Asset", "AssetRef", "BaseAsset", "BaseDataset")


def _names(value):
    return [klass.__name__ for klass in type(value).__mro__]


def _uri(value):
    uri = getattr(value, "uri", None)
    if isinstance(uri, str) and uri:
        return uri
    # Airflow 3's Asset.ref(name=...) has a name only; an asset made with only a name has it as its URI.
    name = getattr(value, "name", None)
    return name if isinstance(name, str) and name else None


def is_dataset_like(value):
    """Whether ``value`` is a dataset, an asset, an alias or a condition of them."""
    names = _names(value)
    return any(name in names for name in _ALIASES + _ALL + _ANY + _DATASETS)


def condition_spec(value):
    """The condition of a schedule: a list (or tuple, set) means all of its members."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return {"type": "all", "objects": [condition_spec(item) for item in value]}
    names = _names(value)
    if any(name in names for name in _ALIASES):
        return {"type": "alias", "name": str(getattr(value, "name"))}
    for kinds, kind in ((_ALL, "all"), (_ANY, "any")):
        if any(name in names for name in kinds):
            return {"type": kind, "objects": [condition_spec(item) for item in getattr(value, "objects", ())]}
    uri = _uri(value)
    if uri is None:
        raise ValueError("%r cannot be scheduled on: expected a Dataset/Asset, an alias, or a list or | & of them"
                         % (value,))
    return {"type": "dataset", "uri": uri}


def condition_uris(condition):
    """The URIs a condition names, in order, once each."""
    uris = []
    if condition["type"] == "dataset":
        uris.append(condition["uri"])
    for member in condition.get("objects", ()):
        uris.extend(uri for uri in condition_uris(member) if uri not in uris)
    return uris


def refs_spec(values, to_json_safe):
    """A task's outlets or inlets: its datasets (with their declared extra) and aliases. Other lineage objects
    (Airflow allows any) are left out."""
    refs = []
    for value in values or ():
        names = _names(value)
        if any(name in names for name in _ALIASES):
            refs.append({"type": "alias", "name": str(getattr(value, "name"))})
        elif any(name in names for name in _DATASETS) and _uri(value) is not None:
            extra = getattr(value, "extra", None)
            safe = to_json_safe(extra) if isinstance(extra, dict) else {}
            refs.append({"type": "dataset", "uri": _uri(value), "extra": safe if isinstance(safe, dict) else {}})
    return refs
