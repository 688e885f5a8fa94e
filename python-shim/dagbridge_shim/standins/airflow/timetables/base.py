"""Timetable base (stand-in of airflow.timetables.base): dagbridge exports a timetable's class path,
summary and `serialize()` arguments; scheduling with custom timetables is up to the scheduler."""


class Timetable:
    description = ""
    periodic = True
    can_be_scheduled = True
    run_ordering = ("data_interval_end", "execution_date")

    @property
    def summary(self):
        return type(self).__name__

    def serialize(self):
        return {}


class DataInterval(tuple):
    def __new__(cls, start, end):
        return super().__new__(cls, (start, end))

    @property
    def start(self):
        return self[0]

    @property
    def end(self):
        return self[1]
