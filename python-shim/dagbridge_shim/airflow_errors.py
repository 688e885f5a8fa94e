"""Airflow's exception classes, the stand-ins' or real Airflow's, whichever is loaded: what the shim raises is
then what DAG code catches."""
import importlib


def exceptions():
    """The loaded ``airflow.exceptions`` module (looked up at call time: the stand-ins or Airflow are chosen
    after the shim starts)."""
    return importlib.import_module("airflow.exceptions")


def raise_airflow(name, message):
    """Raises ``airflow.exceptions.<name>(message)``."""
    raise getattr(exceptions(), name)(message)
