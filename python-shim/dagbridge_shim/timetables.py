"""Custom timetables: a ``Timetable`` subclass the scheduler's TypeScript port (src/dag/timetable.ts) does not
implement is exported as its serialized form and evaluated by running its own Python (docs/scheduling.md).

Export: Airflow 2.10.5's ``encode_timetable`` (airflow/serialization/serialized_objects.py): the class path
(``qualname``) must be registered, that is be an ``airflow.timetables.*`` class or in a plugin's ``timetables``
(``plugins_manager.initialize_timetables_plugins``), else ``_TimetableNotRegistered``, which ``serialize_dag``
reports as ``SerializationError: Failed to serialize DAG '<id>': ...``, the file's import error. The serialized
form is ``{"__type": <class path>, "__var": timetable.serialize()}``.

Evaluation: ``python -m dagbridge_shim timetable --dags-folder DIR [--plugins-folder DIR] [--no-airflow]`` reads
``{"timetable": <serialized form>, "requests": [...]}`` on stdin, decodes the timetable as ``decode_timetable``
does (``cls.deserialize(__var)``, the class found the same way) and answers each request on stdout as JSON:

- ``{"kind": "next", "last": {"start", "end"} | null, "restriction": {"earliest", "latest", "catchup"},
  "chain": N}``: ``next_dagrun_info(last_automated_data_interval=..., restriction=TimeRestriction(...))``, then,
  up to ``N`` answers in all, again with each answer's data interval as the last one (a catch-up's next runs in
  one start). Answer ``{"ok": true, "infos": [{"runAfter", "start", "end"} | null, ...]}``.
- ``{"kind": "manual", "runAfter": ISO}``: ``infer_manual_data_interval(run_after=...)``. Answer
  ``{"ok": true, "interval": {"start", "end"}}``.

A request whose timetable raises answers ``{"ok": false, "error": {"type", "message", "traceback"}}``; one the
timetable cannot be decoded for makes every answer that error. Instants are ISO 8601 with an offset, in UTC.
Whatever the timetable or a plugin prints goes to stderr, so stdout holds the answer only. Exit 0 unless the
command line or stdin is unusable (2).
"""
import datetime
import importlib
import json
import os
import sys
import traceback

#: The timetable classes the scheduler evaluates itself (src/dag/timetable.ts, convert.schedule_spec): exported
#: by their arguments, not evaluated here. Any other class, an ``airflow.timetables`` one too, is custom.
BUILTIN_CLASSES = frozenset((
    "NullTimetable", "OnceTimetable", "ContinuousTimetable", "CronDataIntervalTimetable",
    "DeltaDataIntervalTimetable", "CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable",
    "DatasetTriggeredTimetable", "AssetTriggeredTimetable", "DatasetOrTimeSchedule", "AssetOrTimeSchedule",
))

USAGE = "usage: python -m dagbridge_shim timetable --dags-folder DIR [--plugins-folder DIR] [--no-airflow] < request.json"

_registered = None


class TimetableNotRegistered(ValueError):
    """Airflow's ``_TimetableNotRegistered``, with its message."""

    def __init__(self, type_string):
        super().__init__(type_string)
        self.type_string = type_string

    def __str__(self):
        return ("Timetable class %r is not registered or you have a top level database access that disrupted the "
                "session. Please check the airflow best practices documentation." % self.type_string)


class SerializationError(ValueError):
    """Airflow's ``SerializationError`` (``serialize_dag`` wraps what encoding a DAG raised in it)."""


def configure(dags_folder, plugins_folder):
    """The folders plugins are looked for in (export and the ``timetable`` command set them)."""
    global _registered
    from dagbridge_shim import plugins

    plugins.configure_export(dags_folder, plugins_folder)
    _registered = None


def qualname(cls):
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def _real_airflow():
    module = sys.modules.get("airflow")
    return module is not None and not getattr(module, "DAGBRIDGE_STANDIN", False)


def is_custom(value):
    """Whether ``value`` is a timetable the scheduler does not implement itself (its exact class counts: a
    subclass of a built-in overrides what the built-in does)."""
    if not callable(getattr(value, "next_dagrun_info", None)):
        return False
    klass = type(value)
    return not (klass.__module__.startswith("airflow.timetables.") and klass.__name__ in BUILTIN_CLASSES)


def registered_timetables():
    """Class path -> class of the plugins' ``timetables``, loaded once (``initialize_timetables_plugins``)."""
    global _registered
    if _registered is None:
        from dagbridge_shim import plugins

        _registered = {qualname(klass): klass for plugin in plugins.dag_code_plugins()
                       for klass in (getattr(plugin, "timetables", None) or [])}
    return _registered


def registered_class(type_string):
    """Airflow's ``_get_registered_timetable``: ``airflow.timetables.*`` by import, others from plugins."""
    if type_string.startswith("airflow.timetables."):
        module_name, _, name = type_string.rpartition(".")
        return getattr(importlib.import_module(module_name), name, None)
    return registered_timetables().get(type_string)


def encode(timetable):
    """Airflow's ``encode_timetable``; real Airflow's own when it is the ``airflow`` imported."""
    if _real_airflow():
        from airflow.serialization.serialized_objects import encode_timetable

        return encode_timetable(timetable)
    type_string = qualname(type(timetable))
    if registered_class(type_string) is None:
        raise TimetableNotRegistered(type_string)
    return {"__type": type_string, "__var": timetable.serialize()}


def decode(data):
    """Airflow's ``decode_timetable``; real Airflow's own when it is the ``airflow`` imported."""
    if _real_airflow():
        from airflow.serialization.serialized_objects import decode_timetable

        return decode_timetable(data)
    klass = registered_class(data["__type"])
    if klass is None:
        raise TimetableNotRegistered(data["__type"])
    return klass.deserialize(data["__var"])


def _text(value):
    return value if isinstance(value, str) else None


def custom_schedule_spec(timetable, dag_id, to_json_safe):
    """The bundle's ``custom`` schedule of a DAG's custom timetable; raises SerializationError as Airflow's
    ``serialize_dag`` does when the class is not registered or its ``serialize()`` fails."""
    try:
        serialized = to_json_safe(encode(timetable))
        summary = _text(getattr(timetable, "summary", None))
        description = _text(getattr(timetable, "description", None))
        can_be_scheduled = bool(getattr(timetable, "can_be_scheduled", True))
        periodic = bool(getattr(timetable, "periodic", True))
        limit = getattr(timetable, "active_runs_limit", None)
    except SerializationError:
        raise
    except Exception as exc:  # noqa: BLE001 - what encoding raises is the DAG's serialization error, as in Airflow
        raise SerializationError("Failed to serialize DAG %r: %s" % (dag_id, exc)) from exc
    return {
        "type": "custom",
        "className": qualname(type(timetable)),
        "summary": summary or type(timetable).__name__,
        "description": description or None,
        "canBeScheduled": can_be_scheduled,
        "periodic": periodic,
        "activeRunsLimit": limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        "serialized": serialized,
    }


# --- evaluation -------------------------------------------------------------------------------------------------


def _instant(text):
    if text is None:
        return None
    from airflow.utils import timezone

    return timezone.coerce_datetime(datetime.datetime.fromisoformat(text))


def _iso(value, what):
    if not isinstance(value, datetime.datetime):
        raise TypeError("%s is %r, not a datetime" % (what, value))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc).isoformat()


def _interval(value, what):
    start, end = getattr(value, "start", None), getattr(value, "end", None)
    if start is None and end is None:
        raise TypeError("%s returned %r, not a DataInterval" % (what, value))
    return {"start": _iso(start, what + " start"), "end": _iso(end, what + " end")}


def _error(exc):
    return {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc) or type(exc).__name__,
                                   "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}}


def _next_infos(timetable, request):
    from airflow.timetables.base import DataInterval, TimeRestriction

    given = request.get("restriction") or {}
    restriction = TimeRestriction(_instant(given.get("earliest")), _instant(given.get("latest")), bool(given.get("catchup")))
    last = request.get("last")
    last = DataInterval(_instant(last["start"]), _instant(last["end"])) if last else None
    infos = []
    for _ in range(max(1, int(request.get("chain") or 1))):
        try:
            info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
            if info is None:
                infos.append(None)
                break
            run_after = _iso(getattr(info, "run_after", None), "next_dagrun_info run_after")
            interval = _interval(getattr(info, "data_interval", None), "next_dagrun_info data_interval")
        except Exception as exc:  # noqa: BLE001 - the timetable's error is the answer
            if not infos:
                return _error(exc)
            break  # the chain ends here; the failing step is asked for again on its own
        infos.append(dict(interval, runAfter=run_after))
        if last is not None and info.data_interval.start <= last.start:
            break  # not advancing: asking again would answer the same
        last = info.data_interval
    return {"ok": True, "infos": infos}


def answer(timetable, request):
    """One request's answer; never raises for the timetable's errors."""
    if request.get("kind") == "next":
        return _next_infos(timetable, request)
    if request.get("kind") == "manual":
        try:
            interval = timetable.infer_manual_data_interval(run_after=_instant(request["runAfter"]))
            return {"ok": True, "interval": _interval(interval, "infer_manual_data_interval")}
        except Exception as exc:  # noqa: BLE001 - the timetable's error is the answer
            return _error(exc)
    return _error(ValueError("unknown request kind %r" % (request.get("kind"),)))


def _parse_argv(argv):
    options, index = {"dags_folder": None, "plugins_folder": None, "no_airflow": False}, 0
    while index < len(argv):
        name = argv[index]
        if name == "--no-airflow":
            options["no_airflow"] = True
            index += 1
        elif name in ("--dags-folder", "--plugins-folder") and index + 1 < len(argv):
            options[name[2:].replace("-", "_")] = argv[index + 1]
            index += 2
        else:
            return None
    return options if options["dags_folder"] else None


def main(argv):
    from dagbridge_shim import loader

    options = _parse_argv(argv)
    if options is None:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        request = json.load(sys.stdin)
        timetable_data, requests = request["timetable"], list(request["requests"])
    except (ValueError, KeyError, TypeError) as exc:
        print("dagbridge_shim timetable: stdin is not a request: %s" % exc, file=sys.stderr)
        return 2
    out, sys.stdout = sys.stdout, sys.stderr
    try:
        if loader.choose_mode(no_airflow=options["no_airflow"]) == loader.MODE_STANDIN:
            loader.load_airflow_world()
        loader.setup_sys_path(options["dags_folder"], options["plugins_folder"])
        configure(options["dags_folder"], options["plugins_folder"])
        try:
            timetable = decode(timetable_data)
        except Exception as exc:  # noqa: BLE001 - a timetable that cannot be rebuilt answers every request so
            answers = [_error(exc) for _ in requests]
        else:
            answers = [answer(timetable, item) for item in requests]
    finally:
        sys.stdout = out
    json.dump({"answers": answers}, out, separators=(",", ":"))
    out.write("\n")
    out.flush()
    return 0
