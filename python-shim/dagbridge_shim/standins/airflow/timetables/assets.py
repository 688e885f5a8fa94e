"""`AssetOrTimeSchedule` (stand-in of Airflow 3's airflow.timetables.assets)."""
from airflow.datasets import BaseDataset, DatasetAll
from airflow.timetables.datasets import DatasetOrTimeSchedule


class AssetOrTimeSchedule(DatasetOrTimeSchedule):
    """`timetable` for time-based runs, `assets` (a condition, or a list meaning all) for event runs."""

    def __init__(self, *, timetable, assets):
        super().__init__(timetable=timetable, datasets=assets)
        self.asset_condition = assets if isinstance(assets, BaseDataset) else DatasetAll(*assets)
        self.description = "Triggered by assets or %s" % getattr(timetable, "description", "")

    @property
    def summary(self):
        return "Asset or %s" % getattr(self.timetable, "summary", "")


__all__ = ["AssetOrTimeSchedule"]
