"""Interval timetables (stand-in of airflow.timetables.interval)."""
import datetime

from airflow.timetables.base import Timetable
from airflow.timetables.trigger import _tz_name


class CronDataIntervalTimetable(Timetable):
    """Airflow 2's cron schedule: a run covers the interval between two cron times."""

    def __init__(self, cron, timezone=None):
        self._expression = cron
        self._timezone = timezone

    @property
    def summary(self):
        return self._expression

    def serialize(self):
        return {"expression": self._expression, "timezone": _tz_name(self._timezone)}


class DeltaDataIntervalTimetable(Timetable):
    """A run covers `delta` from the previous one."""

    def __init__(self, delta):
        self._delta = delta

    @property
    def summary(self):
        return str(self._delta)

    def serialize(self):
        seconds = self._delta.total_seconds() if hasattr(self._delta, "total_seconds") else None
        return {"delta": seconds}


#: The type of the `delta` argument (Airflow also accepts dateutil.relativedelta).
Delta = datetime.timedelta
