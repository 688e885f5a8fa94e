"""DateTimeTrigger and TimeDeltaTrigger (stand-in of airflow.triggers.temporal), run in the task's process when a
task defers (dagbridge_shim.execution.deferral)."""
import asyncio
import datetime

from airflow.triggers.base import ArgumentsTrigger, TaskSuccessEvent, TriggerEvent


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class DateTimeTrigger(ArgumentsTrigger):
    """Fires at `moment` (an aware datetime)."""

    def __init__(self, moment, *, end_from_trigger=False):
        if not isinstance(moment, datetime.datetime):
            raise TypeError("Expected datetime.datetime type for moment. Got %s" % type(moment))
        if moment.tzinfo is None:
            raise ValueError("You cannot pass naive datetimes")
        super().__init__(moment=moment.astimezone(datetime.timezone.utc), end_from_trigger=end_from_trigger)

    async def run(self):
        """Airflow 2.10.5's loop: sleeps in steps of an hour, a minute and ten seconds while the moment is more
        than two steps away, then a second at a time."""
        self.log.info("trigger starting")
        for step in 3600, 60, 10:
            remaining = (self.moment - _utcnow()).total_seconds()
            while remaining > 2 * step:
                self.log.info("%d seconds remaining; sleeping %s seconds", remaining, step)
                await asyncio.sleep(step)
                remaining = (self.moment - _utcnow()).total_seconds()
        while self.moment > _utcnow():
            self.log.info("sleeping 1 second...")
            await asyncio.sleep(1)
        if self.end_from_trigger:
            self.log.info("Sensor time condition reached; marking task successful and exiting")
            yield TaskSuccessEvent()
        else:
            self.log.info("yielding event with payload %r", self.moment)
            yield TriggerEvent(self.moment)


class TimeDeltaTrigger(DateTimeTrigger):
    """Fires `delta` from now."""

    def __init__(self, delta, *, end_from_trigger=False):
        super().__init__(_utcnow() + delta, end_from_trigger=end_from_trigger)


__all__ = ["DateTimeTrigger", "TimeDeltaTrigger"]
