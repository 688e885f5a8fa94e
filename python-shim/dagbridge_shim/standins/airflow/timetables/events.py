"""`EventsTimetable` (stand-in of airflow.timetables.events): runs at a fixed list of dates.

dagbridge exports it by class and arguments; its scheduler does not evaluate it (docs/compatibility.md,
Schedules): such a DAG runs only when triggered.
"""
from airflow.timetables.base import Timetable


class EventsTimetable(Timetable):
    def __init__(self, event_dates, restrict_to_events=False, presorted=False, description=None):
        self.event_dates = sorted(event_dates) if not presorted else list(event_dates)
        self.restrict_to_events = restrict_to_events
        if description is None:
            self.description = (
                "%d events between %s and %s" % (len(self.event_dates), self.event_dates[0], self.event_dates[-1])
                if self.event_dates else "No events"
            )
            self._summary = "%d events" % len(self.event_dates)
        else:
            self.description = description
            self._summary = description

    @property
    def summary(self):
        return self._summary

    def serialize(self):
        return {"event_dates": [str(date) for date in self.event_dates], "restrict_to_events": self.restrict_to_events}


__all__ = ["EventsTimetable"]
