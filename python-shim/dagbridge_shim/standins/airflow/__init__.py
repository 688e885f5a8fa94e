"""Stand-in for the `airflow` package (dagbridge): authoring API only; tasks run through dagbridge_shim.

Names are resolved lazily, like Airflow's own `airflow/__init__.py`, so `import airflow` stays cheap.
"""

__version__ = "2.10.5"

#: Marks this package as dagbridge's stand-in (real Airflow has no such attribute).
DAGBRIDGE_STANDIN = True

_LAZY = {
    "DAG": ("airflow.models.dag", "DAG"),
    "Dataset": ("airflow.datasets", "Dataset"),
    "XComArg": ("airflow.models.xcom_arg", "XComArg"),
    "AirflowException": ("airflow.exceptions", "AirflowException"),
}


def __getattr__(name):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError("module 'airflow' has no attribute %r" % name)
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value
