"""`DatasetOrTimeSchedule` (stand-in of airflow.timetables.datasets): runs on its timetable and also when its
datasets are updated."""
from airflow.datasets import BaseDataset, DatasetAll
from airflow.exceptions import AirflowTimetableInvalid
from airflow.timetables.simple import DatasetTriggeredTimetable


class DatasetOrTimeSchedule(DatasetTriggeredTimetable):
    """`timetable` for time-based runs, `datasets` (a condition, or a list meaning all) for event runs."""

    def __init__(self, *, timetable, datasets):
        super().__init__(datasets if isinstance(datasets, BaseDataset) else DatasetAll(*datasets))
        self.timetable = timetable
        self.description = "Triggered by datasets or %s" % getattr(timetable, "description", "")
        self.periodic = getattr(timetable, "periodic", True)
        self._can_be_scheduled = getattr(timetable, "can_be_scheduled", True)
        self.active_runs_limit = getattr(timetable, "active_runs_limit", None)

    @property
    def summary(self):
        return "Dataset or %s" % getattr(self.timetable, "summary", "")

    def validate(self):
        if isinstance(self.timetable, DatasetTriggeredTimetable):
            raise AirflowTimetableInvalid("cannot nest dataset timetables")
        if not isinstance(self.dataset_condition, BaseDataset):
            raise AirflowTimetableInvalid("all elements in 'datasets' must be datasets")


__all__ = ["DatasetOrTimeSchedule"]
