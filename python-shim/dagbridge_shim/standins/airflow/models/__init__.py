"""The models DAG files import (stand-in of airflow.models), resolved lazily."""
import importlib

_LAZY = {
    "DAG": "airflow.models.dag",
    "DagContext": "airflow.models.dag",
    "BaseOperator": "airflow.models.baseoperator",
    "BaseOperatorLink": "airflow.models.baseoperatorlink",
    "Param": "airflow.models.param",
    "Variable": "airflow.models.variable",
    "Connection": "airflow.models.connection",
    "XComArg": "airflow.models.xcom_arg",
    "TaskInstance": "airflow.models.taskinstance",
    "DagRun": "airflow.models.dagrun",
    "Pool": "airflow.models.pool",
    "DagBag": "airflow.models.dagbag",
    "MappedOperator": "airflow.models.mappedoperator",
    "Operator": "airflow.models.baseoperator",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'airflow.models' has no attribute %r" % name)
    if name == "Operator":
        value = importlib.import_module(module).BaseOperator
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
