"""Airflow 3's authoring API (stand-in of airflow.sdk). A file importing it is an Airflow 3 style file:
no schedule and no catchup unless it says so."""
from airflow.decorators import dag, setup, task, task_group, teardown
from airflow.exceptions import AirflowException  # noqa: F401
from airflow.models.baseoperator import BaseOperator, chain, chain_linear, cross_downstream
from airflow.models.dag import DAG
from airflow.models.param import Param, ParamsDict
from airflow.models.variable import Variable
from airflow.models.xcom_arg import XComArg
from airflow.models.connection import Connection
from airflow.operators.python import get_current_context
from airflow.sdk.assets import Asset, AssetAlias, AssetAll, AssetAny, AssetWatcher, Dataset, Metadata
from airflow.sdk.definitions.asset.decorators import asset
from airflow.sensors.base import BaseSensorOperator, PokeReturnValue
from airflow.hooks.base import BaseHook
from airflow.utils.edgemodifier import EdgeModifier, Label
from airflow.utils.task_group import TaskGroup
from airflow.utils.trigger_rule import TriggerRule
from airflow.utils.weight_rule import WeightRule

Context = dict

#: Names loaded on first use (they import modules a task rarely needs).
_LAZY = {"ObjectStoragePath": "airflow.io.path", "BaseNotifier": "airflow.notifications.basenotifier"}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'airflow.sdk' has no attribute %r" % name)
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetWatcher",
    "BaseHook",
    "BaseNotifier",
    "BaseOperator",
    "BaseSensorOperator",
    "Connection",
    "Context",
    "DAG",
    "Dataset",
    "EdgeModifier",
    "Label",
    "Metadata",
    "ObjectStoragePath",
    "Param",
    "ParamsDict",
    "PokeReturnValue",
    "TaskGroup",
    "TriggerRule",
    "Variable",
    "WeightRule",
    "XComArg",
    "asset",
    "chain",
    "chain_linear",
    "cross_downstream",
    "dag",
    "get_current_context",
    "setup",
    "task",
    "task_group",
    "teardown",
]
