"""Resolving XComArgs, the MappedArgument of a mapped task group and DagParams to their values at run time.

The same attributes exist on the stand-ins and on real Airflow's classes (``operator``/``key``, ``arg``/
``callables``, ``args``/``fillvalue``, ``_input``/``_key``, ``_name``/``_default``), so both are resolved here,
from the run input, never through Airflow's own ``resolve`` (which needs its metadata database).
"""
from dagbridge_shim.execution.xcom import NOT_SET, RETURN_KEY, XComNotFound

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
        from dagbridge_shim.execution.mapping import resolve_expand_input

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
    from dagbridge_shim.execution.common import raise_airflow

    raise_airflow("AirflowException", "No value could be resolved for parameter %s" % name)


def _resolve_plain(arg, context):
    from dagbridge_shim.execution.mapping import relevant_upstream_map_indexes

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
    import itertools

    lists = [_as_list(value) for value in values]
    if _is_not_set(fillvalue):
        return [tuple(row) for row in zip(*lists)]
    return [tuple(row) for row in itertools.zip_longest(*lists, fillvalue=fillvalue)]
