"""The ``macros`` object of the task context, as Airflow's ``airflow.macros`` module provides it.

``{{ macros.ds_add(ds, 7) }}``, ``{{ macros.datetime.now() }}``, ``{{ macros.json.dumps(x) }}``: the names and
behaviour follow Airflow. The standard modules (json, time, uuid, random) and ``dateutil`` load on first
access (PEP 562), so a task that never touches ``macros`` pays nothing for them.
"""
from datetime import datetime, timedelta

__all__ = ["datetime", "timedelta", "ds_add", "ds_format", "datetime_diff_for_humans"]

_LAZY_MODULES = ("json", "time", "uuid", "dateutil")


def ds_add(ds, days):
    """``ds`` (YYYY-MM-DD) shifted by ``days``; Airflow returns ``ds`` unchanged (as a string) for 0."""
    if not days:
        return str(ds)
    shifted = datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)
    return shifted.strftime("%Y-%m-%d")


def ds_format(ds, input_format, output_format):
    """``ds`` parsed with ``input_format`` and written with ``output_format``."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def datetime_diff_for_humans(dt, since=None):
    """A rough English description of the distance between ``dt`` and ``since`` (default: now), e.g.
    "3 days ago" or "in 2 hours"; Airflow delegates this to pendulum, which is not available here."""
    if since is None:
        since = datetime.now(dt.tzinfo) if getattr(dt, "tzinfo", None) else datetime.now()
    seconds = (dt - since).total_seconds()
    distance = abs(seconds)
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400),
                       ("hour", 3600), ("minute", 60), ("second", 1)):
        if distance >= size or unit == "second":
            count = int(distance // size)
            text = "%d %s%s" % (count, unit, "" if count == 1 else "s")
            break
    if distance < 10:
        return "a few seconds ago" if seconds <= 0 else "in a few seconds"
    return text + " ago" if seconds < 0 else "in " + text


def __getattr__(name):
    # Airflow's macros module exposes these modules (and ``random`` as the function random.random).
    if name in _LAZY_MODULES:
        import importlib

        try:
            module = importlib.import_module(name)
        except ImportError:
            raise AttributeError(
                "macros.%s is not available: the %s package is not installed in the worker's Python interpreter"
                % (name, name)
            ) from None
        globals()[name] = module
        return module
    if name == "random":
        from random import random

        globals()["random"] = random
        return random
    raise AttributeError("module 'macros' has no attribute %r" % name)
