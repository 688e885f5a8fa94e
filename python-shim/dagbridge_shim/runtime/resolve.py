"""Resolving XComArgs, expand inputs, the MappedArgument of a mapped task group and DagParams to their values at
run time.

The same attributes exist on the stand-ins and on real Airflow's classes (``operator``/``key``, ``arg``/
``callables``, ``args``/``fillvalue``, ``_input``/``_key``, ``_name``/``_default``), so both are resolved here,
from the run input, never through Airflow's own ``resolve`` (which needs its metadata database).

Dynamic task mapping (``resolve_expand_input``): ``expand(a=[1, 2], b=["x", "y", "z"])`` makes the cross product
in argument order with the last argument varying fastest (map index 1 is ``a=1, b="y"``); a dict is mapped as
its ``(key, value)`` items; an XComArg input is the upstream value, or the list of every map index's value when
the upstream is itself mapped. ``expand_kwargs(list_of_dicts)`` takes the ``map_index``-th dict. A task inside a
mapped task group receives the group's arguments through ``MappedArgument`` values, resolved the same way. The
two resolutions call each other (an expand input may hold XComArgs; a MappedArgument is an expand input), so
they live in one module.
"""
import itertools

from dagbridge_shim.airflow_errors import raise_airflow
from dagbridge_shim.runtime.mapped_groups import relevant_upstream_map_indexes
from dagbridge_shim.runtime.xcom import NOT_SET, RETURN_KEY, XComNotFound

_XCOM_ARG_CLASSES = ("XComArg", "PlainXComArg", "MapXComArg", "ZipXComArg", "ConcatXComArg")


def _class_names(value):
    return {cls.__name__ for cls in type(value).__mro__}


def is_resolvable(value):
    """Whether ``value`` is an XComArg or a MappedArgument (a value only known at run time)."""
    if isinstance(value, (str, int, float, bool, list, dict, tuple, type(None))):
        return False
    names = _class_names(value)
    return bool(names.intersection(_XCOM_ARG_CLASSES)) or "MappedArgument" in names or "DagParam" in names


def _is_not_set(value):
    return value is NOT_SET or type(value).__name__ in ("_NotSet", "ArgNotSet", "NotSet")


def resolve(value, context):
    """The run-time value of an XComArg / MappedArgument; other values are returned unchanged."""
    names = _class_names(value)
    if "DagParam" in names:
        return resolve_dag_param(value, context)
    if "MappedArgument" in names:
        mapped_kwargs = resolve_expand_input(value._input, context["ti"].map_index, context)
        return mapped_kwargs[value._key]
    if "MapXComArg" in names:
        upstream = resolve(value.arg, context)
        return _apply_callables(upstream, value.callables)
    if "ZipXComArg" in names:
        return _zip([resolve(arg, context) for arg in value.args], getattr(value, "fillvalue", NOT_SET))
    if "ConcatXComArg" in names:
        combined = []
        for arg in value.args:
            combined.extend(_as_list(resolve(arg, context)))
        return combined
    if "XComArg" in names or "PlainXComArg" in names:
        return _resolve_plain(value, context)
    return value


def resolve_dag_param(param, context):
    """The run's value of a DagParam, as Airflow's ``DagParam.resolve``: the DAG run's ``conf[name]`` when conf
    is not empty and has it, else the DagParam's default when it has one, else ``params[name]``."""
    name = param._name
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None)
    if conf and name in conf:
        return conf[name]
    default = getattr(param, "_default", NOT_SET)
    if not _is_not_set(default):
        return default
    params = context.get("params") or {}
    if name in params:
        return params[name]
    raise_airflow("AirflowException", "No value could be resolved for parameter %s" % name)


def _resolve_plain(arg, context):
    ti = context["ti"]
    upstream = arg.operator
    key = getattr(arg, "key", RETURN_KEY) or RETURN_KEY
    map_indexes = relevant_upstream_map_indexes(ti.task, upstream, ti.map_index)
    result = ti._xcoms.pull(upstream.task_id, key, map_indexes, NOT_SET)
    if result is not NOT_SET:
        return result
    if key == RETURN_KEY or getattr(upstream, "multiple_outputs", False):
        return None
    raise XComNotFound(ti.dag_id, upstream.task_id, key)


def _as_list(value):
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError("XComArg.map/zip/concat needs a list or dict, got %s" % type(value).__name__)
    return list(value)


def _apply_callables(value, callables):
    results = []
    for element in _as_list(value):
        for function in callables:
            element = function(element)
        results.append(element)
    return results


def _zip(values, fillvalue):
    lists = [_as_list(value) for value in values]
    if _is_not_set(fillvalue):
        return [tuple(row) for row in zip(*lists)]
    return [tuple(row) for row in itertools.zip_longest(*lists, fillvalue=fillvalue)]


def _is_mappable(value):
    return isinstance(value, dict) or (hasattr(value, "__getitem__") and hasattr(value, "__len__")
                                       and not isinstance(value, (str, bytes, bytearray)))


def _element(value, index, key):
    if isinstance(value, dict):
        for position, item in enumerate(value.items()):
            if position == index:
                return item
        raise IndexError("map index %d is over the mapped length of %r" % (index, key))
    return value[index]


def resolve_expand_input(expand_input, map_index, context, oids=None):
    """``{argument: value}`` for ``map_index`` of ``expand_input`` (DictOfLists or ListOfDicts).

    ``oids``, when a set, receives the ids of values that came from XComs: Airflow does not render those as
    templates.
    """
    if map_index < 0:
        raise RuntimeError("can't resolve task-mapping argument without expanding (map index %d)" % map_index)
    kind = getattr(expand_input, "kind", None) or (
        "expand_kwargs" if type(expand_input).__name__ == "ListOfDictsExpandInput" else "expand")
    if kind == "expand_kwargs":
        return _resolve_list_of_dicts(expand_input.value, map_index, context, oids)
    return _resolve_dict_of_lists(expand_input.value, map_index, context, oids)


def _resolve_dict_of_lists(inputs, map_index, context, oids):
    resolved = {}
    for key, value in inputs.items():
        if is_resolvable(value):
            value = resolve(value, context)
            if not _is_mappable(value):
                raise ValueError(
                    "expand() argument %r got %s from its upstream XCom; it needs a list or dict to map over"
                    % (key, type(value).__name__)
                )
            resolved[key] = (value, True)
        else:
            resolved[key] = (value, False)
    total = 1
    for key, (value, _) in resolved.items():
        if len(value) < 1:
            raise RuntimeError("cannot expand field %r mapped to length %d" % (key, len(value)))
        total *= len(value)
    if map_index >= total:
        raise IndexError("map index %d is over the mapped length %d" % (map_index, total))
    kwargs = {}
    index = map_index
    for key in reversed(list(resolved)):
        value, from_xcom = resolved[key]
        element = _element(value, index % len(value), key)
        index //= len(value)
        kwargs[key] = element
        if from_xcom and oids is not None:
            oids.add(id(element))
    return {key: kwargs[key] for key in resolved}


def _resolve_list_of_dicts(value, map_index, context, oids):
    from_xcom = is_resolvable(value)
    if from_xcom:
        value = resolve(value, context)
    if not _is_mappable(value) or isinstance(value, dict):
        raise ValueError("expand_kwargs() expects a list[dict], not %s" % type(value).__name__)
    if map_index >= len(value):
        raise IndexError("map index %d is over the mapped length %d" % (map_index, len(value)))
    mapping = value[map_index]
    if is_resolvable(mapping):
        mapping = resolve(mapping, context)
        from_xcom = True
    if not isinstance(mapping, dict):
        raise ValueError("expand_kwargs() expects a list[dict], not list[%s]" % type(mapping).__name__)
    kwargs = {}
    for key, element in mapping.items():
        if not isinstance(key, str):
            raise ValueError("expand_kwargs() input dict keys must all be str, but %r is of type %s"
                             % (key, type(key).__name__))
        if is_resolvable(element):
            element = resolve(element, context)
            if oids is not None:
                oids.add(id(element))
        elif from_xcom and oids is not None:
            oids.add(id(element))
        kwargs[key] = element
    return kwargs
