"""DAG objects to the bundle's DagSpec (docs/contracts.md section 1, src/dag/bundle.ts).

Reads Airflow's own attribute names only, so the same code converts stand-in DAGs and real Airflow DAGs.
Classes are recognised by name along the MRO (never by isinstance against one `airflow` package).
"""
import datetime
import math

from dagbridge_shim import priority_weights, timetables
from dagbridge_shim.airflow_facts import CRON_PRESETS, OPERATOR_KINDS
from dagbridge_shim.dataset_spec import condition_spec, condition_uris, is_dataset_like, refs_spec

#: Constructor arguments that have a field of their own in TaskSpec (left out of `args`).
_OWN_FIELDS = frozenset(
    """task_id dag task_group default_args params owner retries retry_delay retry_exponential_backoff
    max_retry_delay execution_timeout queue pool pool_slots priority_weight weight_rule depends_on_past
    wait_for_downstream ignore_first_depends_on_past max_active_tis_per_dag max_active_tis_per_dagrun
    task_concurrency do_xcom_push multiple_outputs python_callable trigger_rule doc_md poke_interval timeout
    mode soft_fail exponential_backoff max_wait is_setup is_teardown on_failure_fail_dagrun
    ignore_downstream_trigger_rules _dagbridge_mapped kwargs_to_upstream run_as_user""".split()
)

_MAX_DEPTH = 32


def class_names(obj):
    return [klass.__name__ for klass in type(obj).__mro__]


def is_xcom_arg(value):
    return any(name == "PlainXComArg" for name in class_names(value)) and hasattr(value, "operator")


def to_json_safe(value, depth=0):
    """JSON-safe copy: other values become {"$repr": ...}, XComArgs {"$xcom": {taskId, key}}."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$repr": repr(value)}
    if depth > _MAX_DEPTH:
        return {"$repr": _safe_repr(value)}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: to_json_safe(v, depth + 1) for k, v in value.items()}
        return {"$repr": _safe_repr(value)}
    if is_xcom_arg(value):
        return {"$xcom": {"taskId": value.operator.task_id, "key": value.key}}
    names = class_names(value)
    if "ParamsDict" in names:
        return {k: to_json_safe(_param_default(_get_param(value, k)), depth + 1) for k in value}
    return {"$repr": _safe_repr(value)}


def _safe_repr(value):
    try:
        return repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not break the export
        return "<%s (repr failed: %s)>" % (type(value).__name__, type(exc).__name__)


def seconds(value):
    """timedelta or number to seconds; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else None


def iso(value, tzinfo=None):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=tzinfo or datetime.timezone.utc)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=tzinfo or datetime.timezone.utc).isoformat()
    return str(value)


def timezone_name(tzinfo):
    """An IANA name for a tzinfo (zoneinfo key, pendulum name), `Etc/GMT±N` for whole-hour fixed offsets."""
    if tzinfo is None:
        return "UTC"
    for attr in ("key", "name", "zone"):
        name = getattr(tzinfo, attr, None)
        if isinstance(name, str) and name:
            return "UTC" if name.lower() in ("utc", "etc/utc", "z") else name
    offset = tzinfo.utcoffset(None) if not isinstance(tzinfo, str) else None
    if offset is not None:
        hours = offset.total_seconds() / 3600
        if hours == 0:
            return "UTC"
        if hours == int(hours):
            return "Etc/GMT%+d" % (-int(hours))
    text = str(tzinfo)
    return text or "UTC"


def _callable_path(func):
    if func is None:
        return None
    module = getattr(func, "__module__", None) or ""
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    module = display_module(module)
    return "%s.%s" % (module, qualname) if module else qualname


def task_kind(task):
    """The TaskSpec kind: the first modelled class along the MRO. A class from the DAG repo that defines
    `execute` (or `poke`) before one is reached makes the task `custom`; a provider class (or an `airflow`
    class the stand-ins do not model) makes it `provider`: it needs that package where the task runs."""
    unmodelled_airflow_execute = False
    for klass in type(task).__mro__:
        kind = OPERATOR_KINDS.get(klass.__name__) or vars(klass).get("_dagbridge_kind")
        if kind is not None:
            return kind
        if "_dagbridge_provider_package" in vars(klass):
            return "provider"
        defines = "execute" in vars(klass) or "poke" in vars(klass)
        module = klass.__module__ or ""
        if module.startswith("airflow.providers.") and not module.startswith("airflow.providers.standard."):
            if defines:
                return "provider"
        elif module == "airflow" or module.startswith("airflow."):
            # Stand-in and Airflow core classes (decorated operators, ...) specialise a modelled base.
            unmodelled_airflow_execute = unmodelled_airflow_execute or defines
        elif defines:
            return "custom"
        if klass.__name__ in ("BaseOperator", "MappedOperator"):
            break
    return "provider" if unmodelled_airflow_execute else "custom"


def display_module(module):
    """A module name as a person knows it: a DAG file's own module is its file stem (Airflow imports it as
    `unusual_prefix_<sha1>_<stem>`)."""
    module = module or ""
    if module.startswith("unusual_prefix_"):
        return module[len("unusual_prefix_"):].split("_", 1)[-1]
    return module


def _operator_class(task):
    if "MappedOperator" in class_names(task):
        operator_class = getattr(task, "operator_class", None)
        if isinstance(operator_class, type):
            return operator_class
    return type(task)


def _mapped_input(value):
    # xcom_arg.map(f) has one element per element of the XCom it maps: for the expansion length (all the
    # scheduler reads here) it is that XCom. The task runner applies `f` from the DAG file's own objects.
    while "MapXComArg" in class_names(value) and hasattr(value, "arg"):
        value = value.arg
    if is_xcom_arg(value):
        return {"type": "xcom", "taskId": value.operator.task_id, "key": value.key}
    names = class_names(value)
    if "ZipXComArg" in names and hasattr(value, "args"):
        # Airflow's fillvalue default is the NOTSET sentinel (class ArgNotSet): only a given one pads.
        fillvalue = getattr(value, "fillvalue", None)
        padded = not any(name in ("ArgNotSet", "_NotSet") for name in class_names(fillvalue))
        return {"type": "zip", "args": [_mapped_input(arg) for arg in value.args], "fillvalue": padded}
    if "ConcatXComArg" in names and hasattr(value, "args"):
        return {"type": "concat", "args": [_mapped_input(arg) for arg in value.args]}
    return {"type": "literal", "value": to_json_safe(value)}


def _expand_inputs(expand_input):
    kind = "expand_kwargs" if "ListOfDictsExpandInput" in class_names(expand_input) else "expand"
    value = expand_input.value
    if kind == "expand":
        return kind, {str(k): _mapped_input(v) for k, v in value.items()}
    return kind, {"kwargs": _mapped_input(value)}


def _is_mapped_group(group):
    return getattr(group, "_expand_input", None) is not None or "MappedTaskGroup" in class_names(group)


def _innermost_mapped_group(task):
    group = getattr(task, "task_group", None)
    while group is not None:
        if _is_mapped_group(group):
            return group
        group = getattr(group, "parent_group", None) or getattr(group, "_parent_group", None)
    return None


def mapping_spec(task):
    mapped_group = _innermost_mapped_group(task)
    group_id = mapped_group.group_id if mapped_group is not None else None
    expand_input = getattr(task, "expand_input", None)
    if expand_input is not None and (getattr(task, "is_mapped", False) or "MappedOperator" in class_names(task)):
        kind, inputs = _expand_inputs(expand_input)
        partial = {
            str(k): to_json_safe(v)
            for k, v in (getattr(task, "partial_kwargs", None) or {}).items()
            if k not in ("task_id", "dag", "task_group", "default_args", "params", "python_callable")
        }
        return {"kind": kind, "inputs": inputs, "partial": partial, "groupId": group_id}
    if mapped_group is not None:
        kind, inputs = _expand_inputs(mapped_group._expand_input)
        return {"kind": kind, "inputs": inputs, "partial": {}, "groupId": group_id}
    return None


def sensor_spec(task):
    if "BaseSensorOperator" not in class_names(task):
        return None
    return {
        "mode": "reschedule" if getattr(task, "mode", "poke") == "reschedule" else "poke",
        "pokeIntervalSeconds": seconds(getattr(task, "poke_interval", 60)) or 0.0,
        "timeoutSeconds": seconds(getattr(task, "timeout", 604800)) or 0.0,
        "softFail": bool(getattr(task, "soft_fail", False)),
        "exponentialBackoff": bool(getattr(task, "exponential_backoff", False)),
        "maxWaitSeconds": seconds(getattr(task, "max_wait", None)),
    }


def _group_id(task):
    group = getattr(task, "task_group", None)
    if group is None:
        return None
    return group.group_id or None


def _str(value, default):
    if value is None:
        return default
    return str(getattr(value, "value", value))


def task_spec(task):
    """One TaskSpec from an operator (stand-in or real Airflow)."""
    klass = _operator_class(task)
    kind = task_kind(task)
    template_names = list(getattr(task, "template_fields", ()) or ())
    template_fields = {}
    for name in template_names:
        template_fields[name] = to_json_safe(getattr(task, name, None))
    init_kwargs = getattr(task, "_BaseOperator__init_kwargs", None) or {}
    args = {
        str(k): to_json_safe(v)
        for k, v in init_kwargs.items()
        if k not in _OWN_FIELDS and k not in template_fields and not str(k).startswith("_")
    }
    doc_md = getattr(task, "doc_md", None)
    spec = {
        "taskId": task.task_id,
        "operator": klass.__name__,
        "operatorModule": display_module(klass.__module__),
        "kind": kind,
        "upstream": sorted(task.upstream_task_ids),
        "downstream": sorted(task.downstream_task_ids),
        "triggerRule": _str(getattr(task, "trigger_rule", None), "all_success").lower(),
        "retries": int(getattr(task, "retries", 0) or 0),
        "retryDelaySeconds": seconds(getattr(task, "retry_delay", None)) or 0.0,
        "retryExponentialBackoff": bool(getattr(task, "retry_exponential_backoff", False)),
        "maxRetryDelaySeconds": seconds(getattr(task, "max_retry_delay", None)),
        "executionTimeoutSeconds": seconds(getattr(task, "execution_timeout", None)),
        "queue": getattr(task, "queue", None) or "default",
        "pool": getattr(task, "pool", None) or "default_pool",
        "poolSlots": int(getattr(task, "pool_slots", 1) or 1),
        "priorityWeight": int(getattr(task, "priority_weight", 1)),
        "weightRule": priority_weights.rule_name(getattr(task, "weight_rule", None)),
        "dependsOnPast": bool(getattr(task, "depends_on_past", False)),
        "waitForDownstream": bool(getattr(task, "wait_for_downstream", False)),
        "ignoreFirstDependsOnPast": bool(getattr(task, "ignore_first_depends_on_past", False)),
        "maxActiveTisPerDag": getattr(task, "max_active_tis_per_dag", None),
        "maxActiveTisPerDagrun": getattr(task, "max_active_tis_per_dagrun", None),
        "doXcomPush": bool(getattr(task, "do_xcom_push", True)),
        "multipleOutputs": bool(getattr(task, "multiple_outputs", False)),
        "templateFields": template_fields,
        "pythonCallable": _callable_path(getattr(task, "python_callable", None)),
        "sensor": sensor_spec(task),
        "isSetup": bool(getattr(task, "is_setup", False)),
        "isTeardown": bool(getattr(task, "is_teardown", False)),
        "onFailureFailDagrun": bool(getattr(task, "on_failure_fail_dagrun", False)),
        "ignoreDownstreamTriggerRules": (
            bool(getattr(task, "ignore_downstream_trigger_rules", True)) if kind == "short_circuit" else None
        ),
        "group": _group_id(task),
        "mapping": mapping_spec(task),
        "args": args,
        "requiresProvider": kind == "provider",
        "owner": str(getattr(task, "owner", "airflow")),
        "docMd": doc_md if isinstance(doc_md, str) else None,
        "outlets": refs_spec(getattr(task, "outlets", None), to_json_safe),
        "inlets": refs_spec(getattr(task, "inlets", None), to_json_safe),
    }
    custom_weight = priority_weights.custom_weight_spec(task, getattr(task, "weight_rule", None), spec["mapping"] is not None)
    if custom_weight is not None:
        spec["customWeight"] = custom_weight
    run_as_user = getattr(task, "run_as_user", None)
    if isinstance(run_as_user, str) and run_as_user:
        # Only when set, so that DAGs without it keep the version hash they had.
        spec["runAsUser"] = run_as_user
    return spec


def _iter_groups(group):
    for child in getattr(group, "children", {}).values():
        if hasattr(child, "children") and not hasattr(child, "task_id"):
            yield child
            yield from _iter_groups(child)


def task_group_specs(dag):
    root = getattr(dag, "task_group", None)
    if root is None:
        return []
    specs = []
    for group in _iter_groups(root):
        parent = getattr(group, "parent_group", None) or getattr(group, "_parent_group", None)
        tooltip = getattr(group, "tooltip", None)
        specs.append({
            "groupId": group.group_id,
            "parentGroupId": (parent.group_id or None) if parent is not None else None,
            "prefixGroupId": bool(getattr(group, "prefix_group_id", True)),
            "tooltip": tooltip if isinstance(tooltip, str) and tooltip else None,
            "isMapped": _is_mapped_group(group),
        })
    return specs


def _assets_schedule(condition, timetable=None):
    spec = condition_spec(condition)
    return {"type": "assets", "assets": condition_uris(spec), "condition": spec,
            "timetable": schedule_spec(timetable) if timetable is not None else None}


def schedule_spec(value, dag=None):
    """A DAG's schedule argument (or real Airflow timetable) normalised to the bundle's union."""
    if value is None:
        return {"type": "none"}
    if isinstance(value, str):
        text = value.strip()
        if text == "@once":
            return {"type": "once"}
        if text == "@continuous":
            return {"type": "continuous"}
        if text.startswith("@"):
            if text not in CRON_PRESETS:
                raise ValueError("Invalid schedule %r: not a cron expression or a known preset (%s)" % (value, ", ".join(sorted(CRON_PRESETS))))
            return {"type": "cron", "expression": CRON_PRESETS[text], "preset": text}
        if len(text.split()) not in (5, 6, 7):
            raise ValueError("Invalid cron expression %r: expected 5 fields (minute hour day month weekday)" % value)
        return {"type": "cron", "expression": text, "preset": None}
    if isinstance(value, datetime.timedelta):
        if value.total_seconds() <= 0:
            raise ValueError("Invalid schedule %r: a timedelta schedule must be positive" % (value,))
        return {"type": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, (list, tuple, set)) or is_dataset_like(value):
        return _assets_schedule(value)
    names = class_names(value)
    if timetables.is_custom(value) and not any(hasattr(value, a) for a in ("asset_condition", "dataset_condition")):
        return timetables.custom_schedule_spec(value, getattr(dag, "dag_id", None), to_json_safe)
    if "NullTimetable" in names:
        return {"type": "none"}
    if "OnceTimetable" in names:
        return {"type": "once"}
    if "ContinuousTimetable" in names:
        return {"type": "continuous"}
    if "CronDataIntervalTimetable" in names:
        expression = getattr(value, "_expression", None)
        if isinstance(expression, str):
            return schedule_spec(expression)
    if "DeltaDataIntervalTimetable" in names:
        delta = getattr(value, "_delta", None)
        if isinstance(delta, datetime.timedelta):
            return schedule_spec(delta)
    for attr in ("asset_condition", "dataset_condition"):
        if attr in dir(type(value)) or hasattr(value, attr):
            condition = getattr(value, attr, None)
            if condition is not None:
                # DatasetOrTimeSchedule / AssetOrTimeSchedule hold the time part as `timetable`.
                timetable = getattr(value, "timetable", None)
                if timetable is not None and any(n in class_names(timetable) for n in ("DatasetTriggeredTimetable", "AssetTriggeredTimetable")):
                    raise ValueError("%s cannot nest dataset timetables" % type(value).__name__)
                return _assets_schedule(condition, timetable)
    serialize = getattr(value, "serialize", None)
    args = {}
    if callable(serialize):
        try:
            args = to_json_safe(serialize())
        except Exception:  # noqa: BLE001 - a timetable that cannot serialise still exports by name
            args = {}
    summary = getattr(value, "summary", None)
    return {
        "type": "timetable",
        "className": "%s.%s" % (type(value).__module__, type(value).__qualname__),
        "summary": summary if isinstance(summary, str) else None,
        "args": args if isinstance(args, dict) else {"value": args},
    }


_MISSING = object()


def _dag_schedule_value(dag):
    """The schedule a DAG was given: `schedule` (stand-ins, Airflow 3), else Airflow 2's
    `schedule_interval`, or the DAG's timetable when that is all there is."""
    value = getattr(dag, "schedule", _MISSING)
    if value is _MISSING:
        value = getattr(dag, "schedule_interval", None)
    timetable = getattr(dag, "timetable", None)
    if isinstance(value, str) and value in ("Dataset", "Asset") and timetable is not None:
        return timetable
    return value


def _get_param(params, key):
    getter = getattr(params, "get_param", None)
    return getter(key) if callable(getter) else params[key]


def _param_default(param):
    if "Param" not in class_names(param):
        return param
    value = getattr(param, "value", None)
    return None if type(value).__name__ in ("ArgNotSet", "_NotSet") else value


def params_spec(params):
    result = {}
    for key in params or {}:
        param = _get_param(params, key)
        if "Param" in class_names(param):
            description = getattr(param, "description", None)
            schema = getattr(param, "schema", None) or {}
            result[str(key)] = {
                "default": to_json_safe(_param_default(param)),
                "description": description if isinstance(description, str) else None,
                "schema": to_json_safe(dict(schema)) if isinstance(schema, dict) else {},
            }
            if type(getattr(param, "value", None)).__name__ in ("ArgNotSet", "_NotSet"):
                # Only then: "no value passed and Param has no default value" when a run gives none.
                result[str(key)]["hasDefault"] = False
        else:
            result[str(key)] = {"default": to_json_safe(param), "description": None, "schema": {}}
    return result


def dag_spec(dag, rel_path, file_hash, style):
    """One DagSpec. Raises ValueError for a schedule the bundle cannot express."""
    tzinfo = getattr(dag, "timezone", None)
    tasks = [task_spec(t) for t in dag.task_dict.values()]
    owners = sorted({t["owner"] for t in tasks})
    spec = {
        "dagId": dag.dag_id,
        "file": rel_path,
        "fileHash": file_hash,
        "description": dag.description if isinstance(getattr(dag, "description", None), str) else None,
        "schedule": schedule_spec(_dag_schedule_value(dag), dag),
        "timezone": timezone_name(tzinfo),
        "startDate": iso(getattr(dag, "start_date", None), tzinfo if not isinstance(tzinfo, str) else None),
        "endDate": iso(getattr(dag, "end_date", None), tzinfo if not isinstance(tzinfo, str) else None),
        "catchup": bool(getattr(dag, "catchup", style != 3)),
        "maxActiveRuns": int(getattr(dag, "max_active_runs", 16)),
        "maxActiveTasks": int(getattr(dag, "max_active_tasks", 16)),
        "maxConsecutiveFailedDagRuns": int(getattr(dag, "max_consecutive_failed_dag_runs", 0) or 0),
        "dagrunTimeoutSeconds": seconds(getattr(dag, "dagrun_timeout", None)),
        "defaultArgs": to_json_safe(dict(getattr(dag, "default_args", None) or {})),
        "params": params_spec(getattr(dag, "params", None)),
        "tags": [str(t) for t in (getattr(dag, "tags", None) or [])],
        "owner": ", ".join(owners),
        "docMd": dag.doc_md if isinstance(getattr(dag, "doc_md", None), str) else None,
        "isPausedUponCreation": getattr(dag, "is_paused_upon_creation", None),
        "renderTemplateAsNativeObj": bool(getattr(dag, "render_template_as_native_obj", False)),
        "airflowStyle": 3 if style == 3 else 2,
        "tasks": tasks,
        "taskGroups": task_group_specs(dag),
    }
    # Present only when set, so the versions of DAGs without DAG callbacks keep their hash.
    for key, name in (("hasOnSuccessCallback", "on_success_callback"), ("hasOnFailureCallback", "on_failure_callback")):
        if getattr(dag, name, None):
            spec[key] = True
    return spec
