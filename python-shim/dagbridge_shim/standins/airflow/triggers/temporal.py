"""DateTimeTrigger and TimeDeltaTrigger (stand-in of airflow.triggers.temporal)."""
import datetime

from airflow.triggers.base import ArgumentsTrigger


class DateTimeTrigger(ArgumentsTrigger):
    """Fires at `moment` (an aware datetime)."""

    def __init__(self, moment, *, end_from_trigger=False):
        if not isinstance(moment, datetime.datetime):
            raise TypeError("Expected datetime.datetime type for moment. Got %s" % type(moment))
        if moment.tzinfo is None:
            raise ValueError("You cannot pass naive datetimes")
        super().__init__(moment=moment.astimezone(datetime.timezone.utc), end_from_trigger=end_from_trigger)


class TimeDeltaTrigger(DateTimeTrigger):
    """Fires `delta` from now."""

    def __init__(self, delta, *, end_from_trigger=False):
        super().__init__(datetime.datetime.now(datetime.timezone.utc) + delta, end_from_trigger=end_from_trigger)


__all__ = ["DateTimeTrigger", "TimeDeltaTrigger"]
