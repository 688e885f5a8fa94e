"""Names an Airflow module has and dagbridge's stand-in lacks, reported as that (``StandinGap``) rather than as
a raw ``ModuleNotFoundError`` or ``ImportError`` pointing into the stand-ins, which reads like a package to
install. ``manifest generate`` and ``worker check`` only turn ``ModuleNotFoundError`` into a package to install,
so a gap never becomes one.

- A module: ``GapFinder`` (last on ``sys.meta_path`` with the stand-ins, after the provider finder) raises
  ``StandinGap`` for an ``airflow.*`` module nothing found; it subclasses ``ModuleNotFoundError``, so DAG code
  that catches either still does.
- A name: ``from airflow.models.dag import NOT_THERE`` fails in Python's own import statement; ``describe`` turns
  that ``ImportError`` into the same words where import errors are reported (the export, the task runner).
"""
import importlib.abc
import os
import re
import sys

STANDINS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standins")
TYPE_NAME = "StandinGap"
_CANNOT_IMPORT = re.compile(r"^cannot import name '([^']+)' from '([^']+)'")


def gap_message(module, name):
    return ("dagbridge's stand-in for %s lacks %s: the stand-in airflow package models what DAG files commonly use, "
            "not all of Airflow; install Apache Airflow where the DAG is exported and run (dagbridge uses it when "
            "importable), or avoid %s.%s" % (module, name, module, name))


class StandinGap(ModuleNotFoundError):
    """An ``airflow.*`` module or name Airflow has and the stand-in does not."""


def _standin_active():
    airflow = sys.modules.get("airflow")
    return airflow is not None and getattr(airflow, "DAGBRIDGE_STANDIN", False)


class GapFinder(importlib.abc.MetaPathFinder):
    """Runs after every other finder: an ``airflow.*`` module that none found is a stand-in gap."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("airflow.") or not _standin_active():
            return None
        module, _, name = fullname.rpartition(".")
        raise StandinGap(gap_message(module, name), name=fullname)


def describe(error):
    """(type, message) for an import error that is a stand-in gap, else None."""
    if isinstance(error, StandinGap):
        return TYPE_NAME, str(error)
    if not isinstance(error, ImportError) or isinstance(error, ModuleNotFoundError):
        return None
    path = getattr(error, "path", None) or ""
    match = _CANNOT_IMPORT.match(str(error))
    if match is None or not match.group(2).startswith("airflow") or not path.startswith(STANDINS_DIR + os.sep):
        return None
    return TYPE_NAME, gap_message(match.group(2), match.group(1))


_FINDER = GapFinder()


def install():
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    sys.meta_path.append(_FINDER)


def uninstall():
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
