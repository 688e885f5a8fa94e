"""The task context: what Airflow hands ``execute(context)``, templates and ``get_current_context()``.

Built from the task run input (contract 3, ``TaskRunInput``) with the keys and formats of Airflow's
``TaskInstance.get_template_context``: ``ds``, ``ts``, ``logical_date``, ``data_interval_*``, ``params``, ``ti``,
``dag_run``, ``var``, ``macros``, ... Datetimes are timezone-aware UTC ``DateTime`` objects (a ``datetime``
subclass whose ``str()`` is ISO 8601 like pendulum's, which Airflow uses), so ``{{ logical_date }}`` renders as
Airflow renders it.

Airflow-2-style files also get the keys Airflow 3 removed (``execution_date``, ``next_ds``, ``prev_ds``,
``yesterday_ds``, ...). ``next_*``/``prev_*`` are derived from the run's data interval (for a manual run they
equal the logical date, as in Airflow); for a cron schedule with irregular intervals they are an approximation.
"""
import os
from datetime import datetime, timedelta, timezone

from dagbridge_shim.execution.xcom import NOT_SET, XComStore

UTC = timezone.utc

#: Contract version of the task run input and result documents.
TASK_RUN_CONTRACT_VERSION = 1

_CURRENT_CONTEXT = []


class DateTime(datetime):
    """A UTC-aware ``datetime`` with the pendulum conveniences DAG authors use in templates.

    Arithmetic and ``astimezone`` keep the subclass (Python 3.8+), so ``logical_date - timedelta(days=1)`` is a
    ``DateTime`` too.
    """

    def __str__(self):
        # pendulum (Airflow's datetime type) prints ISO 8601 with a "T"; templates rely on it.
        return self.isoformat()

    def add(self, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, microseconds=0):
        moved = self
        if years or months:
            month_index = self.month - 1 + months + 12 * years
            year, month = self.year + month_index // 12, month_index % 12 + 1
            day = min(self.day, _days_in_month(year, month))
            moved = self.replace(year=year, month=month, day=day)
        return moved + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds,
                                 microseconds=microseconds)

    def subtract(self, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, microseconds=0):
        return self.add(-years, -months, -weeks, -days, -hours, -minutes, -seconds, -microseconds)

    def in_timezone(self, name):
        from zoneinfo import ZoneInfo

        return self.astimezone(ZoneInfo(name) if isinstance(name, str) else name)

    in_tz = in_timezone

    def to_date_string(self):
        return self.strftime("%Y-%m-%d")

    def to_datetime_string(self):
        return self.strftime("%Y-%m-%d %H:%M:%S")

    def to_iso8601_string(self):
        return self.isoformat()

    @property
    def int_timestamp(self):
        return int(self.timestamp())


def _days_in_month(year, month):
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days


def parse_instant(text):
    """An ISO 8601 string (``...Z`` or ``...+00:00``; naive means UTC) as a UTC ``DateTime``; None stays None."""
    if text is None:
        return None
    from dagbridge_shim.isotime import fromisoformat

    parsed = fromisoformat(text.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return DateTime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second,
                    parsed.microsecond, tzinfo=UTC)


def utcnow():
    """Now, as a UTC ``DateTime``."""
    now = datetime.now(UTC)
    return DateTime(now.year, now.month, now.day, now.hour, now.minute, now.second, now.microsecond, tzinfo=UTC)


class RunInputError(ValueError):
    """The task run input on stdin does not match the contract; names the field."""


_REQUIRED_INPUT_FIELDS = (
    "dagId", "taskId", "runId", "mapIndex", "tryNumber", "maxTries", "runType", "logicalDate",
    "dataIntervalStart", "dataIntervalEnd", "runAfter", "conf", "xcoms", "variables", "testMode",
)


class RunInput:
    """The parsed ``TaskRunInput``: the task-instance key, the run's dates, conf, upstream XComs, variables."""

    def __init__(self, document):
        if not isinstance(document, dict):
            raise RunInputError("task run input must be a JSON object, got %s" % type(document).__name__)
        version = document.get("version")
        if version != TASK_RUN_CONTRACT_VERSION:
            raise RunInputError(
                "task run input version %r is not supported (this shim reads version %d); use the python-shim "
                "shipped with this dagbridge version" % (version, TASK_RUN_CONTRACT_VERSION)
            )
        missing = [name for name in _REQUIRED_INPUT_FIELDS if name not in document]
        if missing:
            raise RunInputError("task run input is missing field(s): %s" % ", ".join(missing))
        self.dag_id = document["dagId"]
        self.task_id = document["taskId"]
        self.run_id = document["runId"]
        self.map_index = int(document["mapIndex"])
        self.try_number = int(document["tryNumber"])
        self.max_tries = int(document["maxTries"])
        self.run_type = document["runType"]
        self.conf = document.get("conf") or {}
        if not isinstance(self.conf, dict):
            raise RunInputError("task run input field conf must be an object")
        self.xcoms = document.get("xcoms") or []
        self.variables = document.get("variables") or {}
        self.test_mode = bool(document.get("testMode"))
        self.logical_date = _instant_field(document, "logicalDate")
        self.data_interval_start = _instant_field(document, "dataIntervalStart")
        self.data_interval_end = _instant_field(document, "dataIntervalEnd")
        self.run_after = _instant_field(document, "runAfter")
        self.dag_run_start_date = _instant_field(document, "dagRunStartDate")
        self.sensor_first_poke_at = _instant_field(document, "sensorFirstPokeAt")
        self.prev_data_interval_start_success = _instant_field(document, "prevDataIntervalStartSuccess")
        self.prev_data_interval_end_success = _instant_field(document, "prevDataIntervalEndSuccess")
        self.prev_start_date_success = _instant_field(document, "prevStartDateSuccess")


def _instant_field(document, name):
    try:
        return parse_instant(document.get(name))
    except (TypeError, ValueError, AttributeError):
        raise RunInputError("task run input field %s is not an ISO 8601 instant: %r" % (name, document.get(name)))


class DagRun:
    """The ``dag_run`` of the context: the attributes Airflow's DagRun offers to task code."""

    def __init__(self, run_input, dag):
        self.dag_id = run_input.dag_id
        self.run_id = run_input.run_id
        self.run_type = run_input.run_type
        self.conf = dict(run_input.conf)
        self.logical_date = run_input.logical_date
        self.execution_date = run_input.logical_date
        self.data_interval_start = run_input.data_interval_start
        self.data_interval_end = run_input.data_interval_end
        self.run_after = run_input.run_after
        self.start_date = run_input.dag_run_start_date
        self.external_trigger = run_input.run_type == "manual"
        self.state = "running"
        self.dag = dag

    def get_dag(self):
        return self.dag

    def __repr__(self):
        return "<DagRun %s @ %s: %s, state:%s, queued_at: None. externally triggered: %s>" % (
            self.dag_id, self.logical_date, self.run_id, self.state, self.external_trigger)


class TaskInstance:
    """The ``ti`` / ``task_instance`` of the context: identity, try numbers and XCom push/pull.

    XComs come from the run input (upstream task instances of the same DAG run) and from this attempt's own
    pushes; nothing else is reachable (no database), so other DAGs' and prior runs' XComs read as missing.
    """

    def __init__(self, task, run_input, xcom_store, airflow_style):
        self.task = task
        self.task_id = run_input.task_id
        self.dag_id = run_input.dag_id
        self.run_id = run_input.run_id
        self.map_index = run_input.map_index
        self.try_number = run_input.try_number
        self.max_tries = run_input.max_tries
        self.logical_date = run_input.logical_date
        self.execution_date = run_input.logical_date
        self.start_date = utcnow()
        self.state = "running"
        self.operator = type(task).__name__
        self.queue = getattr(task, "queue", "default")
        self.pool = getattr(task, "pool", "default_pool")
        self.test_mode = run_input.test_mode
        self._sensor_first_poke_at = run_input.sensor_first_poke_at
        self._xcoms = xcom_store
        self._airflow_style = airflow_style
        self._dag_run = None

    @property
    def key(self):
        return (self.dag_id, self.task_id, self.run_id, self.try_number, self.map_index)

    def xcom_push(self, key, value, execution_date=None, session=None):
        """Stores ``value`` (JSON only) under ``key`` for this task instance."""
        self._xcoms.push(key, value, self.task_id)

    def xcom_pull(self, task_ids=None, dag_id=None, key="return_value", include_prior_dates=False, session=None,
                  map_indexes=NOT_SET, default=None, run_id=None):
        """Airflow's ``xcom_pull`` with its return shapes (``XComStore.pull``, or ``pull_v3`` for Airflow 3
        files). ``include_prior_dates`` is ignored: only this DAG run's XComs are reachable."""
        if (dag_id is not None and dag_id != self.dag_id) or (run_id is not None and run_id != self.run_id):
            return default if _is_single(task_ids, map_indexes) else []
        if self._airflow_style == 3:
            return self._xcoms.pull_v3(self.task_id, task_ids, key, map_indexes, default)
        return self._xcoms.pull(task_ids, key, None if map_indexes is NOT_SET else map_indexes, default)

    def get_dagrun(self, session=None):
        return self._dag_run

    def get_template_context(self, session=None, ignore_param_exceptions=True):
        return get_current_context()

    def get_relevant_upstream_map_indexes(self, upstream, ti_count, session=None):
        from dagbridge_shim.execution.mapping import relevant_upstream_map_indexes

        return relevant_upstream_map_indexes(self.task, upstream, self.map_index)

    @property
    def hostname(self):
        import socket

        try:
            return socket.getfqdn()
        except OSError:
            return "localhost"

    @property
    def log_url(self):
        return ""

    def __repr__(self):
        suffix = "" if self.map_index < 0 else " map_index=%d" % self.map_index
        return "<TaskInstance: %s.%s %s%s [%s]>" % (self.dag_id, self.task_id, self.run_id, suffix, self.state)


def _is_single(task_ids, map_indexes):
    return (task_ids is None or isinstance(task_ids, str)) and (
        map_indexes is None or map_indexes is NOT_SET or isinstance(map_indexes, int))


class VariableAccessor:
    """``var.value`` / ``var.json``: ``{{ var.value.KEY }}`` and ``{{ var.value.get('KEY', default) }}``.

    Looks a key up in the run input's variables, then in ``AIRFLOW_VAR_<KEY>`` (Airflow's env secrets backend).
    """

    _NOT_SET = object()

    def __init__(self, variables, deserialize_json):
        self._variables = variables
        self._deserialize_json = deserialize_json

    def _lookup(self, key, default=_NOT_SET):
        raw = lookup_variable(self._variables, key)
        if raw is None:
            if default is not VariableAccessor._NOT_SET:
                return default
            raise KeyError("Variable %s does not exist" % key)
        if self._deserialize_json:
            import json

            return json.loads(raw)
        return raw

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return self._lookup(key)

    def get(self, item, default_var=_NOT_SET):
        return self._lookup(item, default_var)

    def __repr__(self):
        return "<VariableAccessor json=%s>" % self._deserialize_json


def lookup_variable(variables, key):
    """A variable's raw string: the run input's variables first, then ``AIRFLOW_VAR_<KEY>``; None if absent."""
    if key in variables:
        return variables[key]
    return os.environ.get("AIRFLOW_VAR_" + key.upper())


class ConfStandin:
    """A small stand-in for ``airflow.configuration.conf``: reads ``AIRFLOW__SECTION__KEY`` env settings."""

    def get(self, section, key, fallback=None, **kwargs):
        return os.environ.get("AIRFLOW__%s__%s" % (section.upper(), key.upper()), fallback)

    def getboolean(self, section, key, fallback=False, **kwargs):
        value = self.get(section, key)
        if value is None:
            return fallback
        return value.strip().lower() in ("true", "t", "1", "yes", "y")

    def getint(self, section, key, fallback=None, **kwargs):
        value = self.get(section, key)
        return fallback if value is None else int(value)

    def getfloat(self, section, key, fallback=None, **kwargs):
        value = self.get(section, key)
        return fallback if value is None else float(value)

    def has_option(self, section, key):
        return self.get(section, key) is not None

    def __repr__(self):
        return "<dagbridge conf stand-in>"


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


_NOT_GIVEN = object()


def build_context(task, dag, run_input, xcom_store=None, airflow_style=2, templates_dict=None):
    """The context dict for ``task`` of ``dag`` in the run described by ``run_input``."""
    from dagbridge_shim import macros

    if xcom_store is None:
        xcom_store = XComStore(run_input.xcoms, run_input.map_index)
    ti = TaskInstance(task, run_input, xcom_store, airflow_style)
    dag_run = DagRun(run_input, dag)
    ti._dag_run = dag_run
    context = {
        "conf": ConfStandin(),
        "dag": dag,
        "dag_run": dag_run,
        "data_interval_end": run_input.data_interval_end,
        "data_interval_start": run_input.data_interval_start,
        "expanded_ti_count": None,
        "inlets": list(getattr(task, "inlets", None) or []),
        "logical_date": run_input.logical_date,
        "macros": macros,
        "map_index_template": getattr(task, "map_index_template", None),
        "outlets": list(getattr(task, "outlets", None) or []),
        "params": resolve_params(dag, task, run_input.conf),
        "prev_data_interval_start_success": run_input.prev_data_interval_start_success,
        "prev_data_interval_end_success": run_input.prev_data_interval_end_success,
        "prev_start_date_success": run_input.prev_start_date_success,
        "run_id": run_input.run_id,
        "task": task,
        "task_instance": ti,
        "test_mode": run_input.test_mode,
        "ti": ti,
        "triggering_dataset_events": {},
        "var": {
            "json": VariableAccessor(run_input.variables, deserialize_json=True),
            "value": VariableAccessor(run_input.variables, deserialize_json=False),
        },
        "conn": None,
        "map_index": run_input.map_index,
        "try_number": run_input.try_number,
        "templates_dict": templates_dict,
    }
    if airflow_style == 3:
        context["triggering_asset_events"] = context.pop("triggering_dataset_events")
    logical_date = run_input.logical_date
    if logical_date is not None:
        ds = logical_date.strftime("%Y-%m-%d")
        ts = logical_date.isoformat()
        ds_nodash = ds.replace("-", "")
        context.update({
            "ds": ds,
            "ds_nodash": ds_nodash,
            "ts": ts,
            "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
            "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
            "task_instance_key_str": "%s__%s__%s" % (run_input.dag_id, run_input.task_id, ds_nodash),
        })
    if airflow_style == 2:
        context.update(_airflow2_keys(run_input))
    return context


def _airflow2_keys(run_input):
    # The keys Airflow 2 still offers (deprecated) and Airflow 3 removed.
    logical_date = run_input.logical_date
    keys = {"execution_date": logical_date}
    if logical_date is None:
        return keys
    start, end = run_input.data_interval_start, run_input.data_interval_end
    if run_input.run_type == "manual" or start is None or end is None or end <= start:
        next_date = prev_date = logical_date
    else:
        next_date, prev_date = end, logical_date - (end - start)
    yesterday = (logical_date - timedelta(1)).strftime("%Y-%m-%d")
    tomorrow = (logical_date + timedelta(1)).strftime("%Y-%m-%d")
    keys.update({
        "next_execution_date": next_date,
        "next_ds": next_date.strftime("%Y-%m-%d"),
        "next_ds_nodash": next_date.strftime("%Y%m%d"),
        "prev_execution_date": prev_date,
        "prev_ds": prev_date.strftime("%Y-%m-%d"),
        "prev_ds_nodash": prev_date.strftime("%Y%m%d"),
        "prev_execution_date_success": run_input.prev_data_interval_start_success,
        "yesterday_ds": yesterday,
        "yesterday_ds_nodash": yesterday.replace("-", ""),
        "tomorrow_ds": tomorrow,
        "tomorrow_ds_nodash": tomorrow.replace("-", ""),
    })
    return keys


class set_current_context:
    """Makes ``context`` what ``get_current_context()`` returns while the task runs (a context manager).

    Also registers it with real Airflow's own stack when Airflow is loaded, so Airflow's
    ``get_current_context`` sees it too.
    """

    def __init__(self, context):
        self.context = context
        self._airflow_stacks = []

    def __enter__(self):
        _CURRENT_CONTEXT.append(self.context)
        import sys

        for module_name in ("airflow.models.taskinstance", "airflow.sdk.definitions._internal.contextmanager",
                            "airflow.sdk.definitions.contextmanager"):
            module = sys.modules.get(module_name)
            stack = getattr(module, "_CURRENT_CONTEXT", None) if module is not None else None
            if isinstance(stack, list) and stack is not _CURRENT_CONTEXT:
                stack.append(self.context)
                self._airflow_stacks.append(stack)
        return self.context

    def __exit__(self, *exc_info):
        for stack in self._airflow_stacks:
            if stack and stack[-1] is self.context:
                stack.pop()
        if _CURRENT_CONTEXT and _CURRENT_CONTEXT[-1] is self.context:
            _CURRENT_CONTEXT.pop()
        return False


def get_current_context():
    """The context of the task that is running (Airflow's ``get_current_context``)."""
    if not _CURRENT_CONTEXT:
        raise RuntimeError(
            "Current context was requested but no context was found! Are you running within an Airflow task?"
        )
    return _CURRENT_CONTEXT[-1]


def context_to_airflow_vars(context, airflow_style=2):
    """The ``AIRFLOW_CTX_*`` variables Airflow exports to a BashOperator's environment."""
    ti = context.get("ti")
    dag = context.get("dag")
    task = context.get("task")
    dag_run = context.get("dag_run")
    result = {}
    if dag is not None and getattr(dag, "dag_id", None):
        result["AIRFLOW_CTX_DAG_ID"] = str(dag.dag_id)
    elif ti is not None:
        result["AIRFLOW_CTX_DAG_ID"] = str(ti.dag_id)
    if ti is not None:
        result["AIRFLOW_CTX_TASK_ID"] = str(ti.task_id)
        result["AIRFLOW_CTX_TRY_NUMBER"] = str(ti.try_number)
    if dag_run is not None:
        if dag_run.logical_date is not None:
            name = "AIRFLOW_CTX_LOGICAL_DATE" if airflow_style == 3 else "AIRFLOW_CTX_EXECUTION_DATE"
            result[name] = dag_run.logical_date.isoformat()
        result["AIRFLOW_CTX_DAG_RUN_ID"] = str(dag_run.run_id)
    owner = getattr(task, "owner", None) or getattr(dag, "owner", None)
    if owner:
        result["AIRFLOW_CTX_DAG_OWNER"] = owner if isinstance(owner, str) else ",".join(owner)
    email = getattr(task, "email", None)
    if email:
        result["AIRFLOW_CTX_DAG_EMAIL"] = email if isinstance(email, str) else ",".join(email)
    return result
