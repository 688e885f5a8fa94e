"""Timetable base (stand-in of airflow.timetables.base): dagbridge exports a timetable's class path,
summary and `serialize()` arguments; the scheduler evaluates the timetable classes it knows
(docs/compatibility.md, Schedules)."""


class DataInterval(tuple):
    """A data interval: `(start, end)`."""

    def __new__(cls, start, end):
        return super().__new__(cls, (start, end))

    @property
    def start(self):
        return self[0]

    @property
    def end(self):
        return self[1]

    @classmethod
    def exact(cls, at):
        return cls(at, at)


class TimeRestriction(tuple):
    """What a timetable's next run must respect: `(earliest, latest, catchup)`."""

    def __new__(cls, earliest, latest, catchup):
        return super().__new__(cls, (earliest, latest, catchup))

    @property
    def earliest(self):
        return self[0]

    @property
    def latest(self):
        return self[1]

    @property
    def catchup(self):
        return self[2]


class DagRunInfo(tuple):
    """A run a timetable proposes: `(run_after, data_interval)`."""

    def __new__(cls, run_after, data_interval):
        return super().__new__(cls, (run_after, data_interval))

    @property
    def run_after(self):
        return self[0]

    @property
    def data_interval(self):
        return self[1]

    @property
    def logical_date(self):
        return self.data_interval.start

    @classmethod
    def exact(cls, at):
        return cls(run_after=at, data_interval=DataInterval.exact(at))

    @classmethod
    def interval(cls, start, end):
        return cls(run_after=end, data_interval=DataInterval(start, end))


class Timetable:
    """Base of timetables; subclasses implement `next_dagrun_info` and `infer_manual_data_interval`."""

    description = ""
    periodic = True
    _can_be_scheduled = True
    run_ordering = ("data_interval_end", "execution_date")
    active_runs_limit = None

    @property
    def can_be_scheduled(self):
        return self._can_be_scheduled

    @classmethod
    def deserialize(cls, data):
        return cls()

    @property
    def summary(self):
        return type(self).__name__

    def serialize(self):
        return {}

    def validate(self):
        pass

    def infer_manual_data_interval(self, *, run_after):
        raise NotImplementedError()

    def next_dagrun_info(self, *, last_automated_data_interval, restriction):
        raise NotImplementedError()

    def generate_run_id(self, *, run_type, logical_date, data_interval, **extra):
        return "%s__%s" % (getattr(run_type, "value", run_type), logical_date.isoformat())


__all__ = ["DagRunInfo", "DataInterval", "TimeRestriction", "Timetable"]
