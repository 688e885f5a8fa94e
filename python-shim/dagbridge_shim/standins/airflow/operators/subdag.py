"""SubDagOperator (stand-in of airflow.operators.subdag, Airflow 2 core, deprecated there): dagbridge does not
run SubDAGs. A DAG file using one loads; the SubDagOperator task fails, not retryable, saying so (use a
TaskGroup instead, as Airflow recommends)."""
import enum

from airflow.exceptions import NotSupportedByDagbridge
from airflow.sensors.base import BaseSensorOperator


class SkippedStatePropagationOptions(enum.Enum):
    """When a SubDAG's skipped tasks skip the SubDagOperator itself."""

    ALL_LEAVES = "all_leaves"
    ANY_LEAF = "any_leaf"


class SubDagOperator(BaseSensorOperator):
    ui_color = "#555"
    ui_fgcolor = "#fff"
    _dagbridge_kind = "custom"

    def __init__(self, *, subdag, session=None, conf=None, propagate_skipped_state=None, **kwargs):
        super().__init__(**kwargs)
        self.subdag = subdag
        self.conf = conf
        self.propagate_skipped_state = propagate_skipped_state

    def execute(self, context):
        raise NotSupportedByDagbridge(
            "SubDagOperator %r: dagbridge does not run SubDAGs (deprecated in Airflow 2, removed in 3); "
            "put the tasks of %r in a TaskGroup" % (self.task_id, getattr(self.subdag, "dag_id", self.subdag))
        )

    poke = execute


__all__ = ["SkippedStatePropagationOptions", "SubDagOperator"]
