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

__all__ = [
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetWatcher",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "Connection",
    "Context",
    "DAG",
    "Dataset",
    "EdgeModifier",
    "Label",
    "Metadata",
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
