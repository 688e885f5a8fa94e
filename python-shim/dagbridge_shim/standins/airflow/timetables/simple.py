"""Timetables without a time schedule (stand-in of airflow.timetables.simple): `None`, `@once`,
`@continuous` and dataset/asset-triggered schedules."""
from airflow.timetables.base import Timetable


class _TrivialTimetable(Timetable):
    periodic = False
    run_ordering = ("execution_date",)

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)


class NullTimetable(_TrivialTimetable):
    """`schedule=None`: only manual and triggered runs."""

    _can_be_scheduled = False
    description = "Never, external triggers only"

    @property
    def summary(self):
        return "None"


class OnceTimetable(_TrivialTimetable):
    """`@once`."""

    description = "Once, as soon as possible"

    @property
    def summary(self):
        return "@once"


class ContinuousTimetable(_TrivialTimetable):
    """`@continuous`: a new run as soon as the previous one ends."""

    description = "As frequently as possible, but only one run at a time."
    active_runs_limit = 1

    @property
    def summary(self):
        return "@continuous"


class DatasetTriggeredTimetable(_TrivialTimetable):
    """Runs when its datasets are updated (`dataset_condition`)."""

    description = "Triggered by datasets"
    UNRESOLVED_ALIAS_SUMMARY = "Unresolved DatasetAlias"

    def __init__(self, datasets):
        self.dataset_condition = datasets

    @property
    def summary(self):
        return "Dataset"


class AssetTriggeredTimetable(DatasetTriggeredTimetable):
    """Airflow 3's name: runs when its assets are updated (`asset_condition`)."""

    description = "Triggered by assets"

    def __init__(self, assets):
        super().__init__(assets)
        self.asset_condition = assets

    @property
    def summary(self):
        return "Asset"


__all__ = ["AssetTriggeredTimetable", "ContinuousTimetable", "DatasetTriggeredTimetable", "NullTimetable",
           "OnceTimetable"]
