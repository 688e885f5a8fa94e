"""Run types and the NOTSET sentinel (stand-in of airflow.utils.types)."""
from enum import Enum

from airflow._dagbridge import NOTSET, ArgNotSet  # noqa: F401


class DagRunType(str, Enum):
    BACKFILL_JOB = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    DATASET_TRIGGERED = "dataset_triggered"
    ASSET_TRIGGERED = "asset_triggered"

    def __str__(self):
        return self.value
