"""CronTriggerTimetable and friends: schedules described by their arguments."""
from airflow.timetables.base import Timetable


def _tz_name(timezone):
    if timezone is None:
        return "UTC"
    return str(getattr(timezone, "key", None) or getattr(timezone, "name", None) or timezone)


class CronTriggerTimetable(Timetable):
    """Runs at each cron time; the run's data interval is the point in time (Airflow 3's cron default)."""

    def __init__(self, cron, *, timezone=None, interval=None, run_immediately=False):
        self._expression = cron
        self._timezone = timezone
        self._interval = interval
        self._run_immediately = run_immediately

    @property
    def summary(self):
        return self._expression

    def serialize(self):
        interval = self._interval.total_seconds() if hasattr(self._interval, "total_seconds") else self._interval
        return {"expression": self._expression, "timezone": _tz_name(self._timezone), "interval": interval or 0.0,
                "run_immediately": self._run_immediately}


class MultipleCronTriggerTimetable(Timetable):
    def __init__(self, *crons, timezone=None, interval=None, run_immediately=False):
        self._expressions = list(crons)
        self._timezone = timezone

    @property
    def summary(self):
        return ", ".join(self._expressions)

    def serialize(self):
        return {"expressions": self._expressions, "timezone": _tz_name(self._timezone)}


class DeltaTriggerTimetable(Timetable):
    """Runs every `delta`; the run's data interval is the point in time, or `interval` before it."""

    def __init__(self, delta, *, interval=None):
        self._delta = delta
        self._interval = interval

    @property
    def summary(self):
        return str(self._delta)

    def serialize(self):
        delta = self._delta.total_seconds() if hasattr(self._delta, "total_seconds") else self._delta
        interval = self._interval.total_seconds() if hasattr(self._interval, "total_seconds") else self._interval
        return {"delta": delta, "interval": interval or 0.0}
