"""The ``params`` of the task context, resolved as Airflow's ``process_params`` resolves them."""
from dagbridge_shim.runtime.conf import ConfStandin

_NOT_GIVEN = object()


def _is_param(value):
    return type(value).__name__ == "Param"


def _is_not_set(value):
    return type(value).__name__ in ("_NotSet", "ArgNotSet", "NotSet")


def _param_items(params):
    if not params:
        return []
    if hasattr(params, "to_dict") and not isinstance(params, dict):
        params = params.to_dict()
    store = getattr(params, "_ParamsDict__dict", None)
    if isinstance(store, dict):
        params = store
    return list(params.items())


def resolve_params(dag, task, conf):
    """DAG params < task params < ``dag_run.conf`` (every conf key, when ``dag_run_conf_overrides_params``,
    Airflow's default), as Airflow's ``process_params``. A Param resolves to its value and validates it
    (``Param.resolve``): a conf value its schema refuses fails the task, as in Airflow."""
    merged = {}
    for key, value in _param_items(getattr(dag, "params", None)):
        merged[key] = value
    for key, value in _param_items(getattr(task, "params", None)):
        merged[key] = value
    overrides = ConfStandin().getboolean("core", "dag_run_conf_overrides_params", fallback=True)
    if overrides and conf:
        for key, value in conf.items():
            if key in merged and _is_param(merged[key]):
                merged[key] = (merged[key], value)
            else:
                merged[key] = value
    params = {}
    for key, value in merged.items():
        given = _NOT_GIVEN
        if isinstance(value, tuple) and len(value) == 2 and _is_param(value[0]):
            value, given = value
        if _is_param(value):
            resolve = getattr(value, "resolve", None)
            if callable(resolve):
                try:
                    value = resolve() if given is _NOT_GIVEN else resolve(given)
                except Exception as error:
                    if type(error).__name__ != "ParamValidationError":
                        raise
                    # ParamsDict.validate's wording: the message names the param.
                    raise type(error)("Invalid input for param %s: %s" % (key, error)) from None
            else:
                value = getattr(value, "value", None) if given is _NOT_GIVEN else given
            if _is_not_set(value):
                value = None
        params[key] = value
    return params
