"""DateTimeSensor: waits until a (templated) point in time."""
import datetime

from airflow.sensors.base import BaseSensorOperator
from airflow.utils import timezone


class DateTimeSensor(BaseSensorOperator):
    """Done once `now > target_time` (a datetime or a templated ISO 8601 string)."""

    template_fields = ("target_time",)

    def __init__(self, *, target_time, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_time, datetime.datetime):
            self.target_time = target_time.isoformat()
        elif isinstance(target_time, str):
            self.target_time = target_time
        else:
            raise TypeError(
                "Expected str or datetime.datetime type for target_time. Got %s" % type(target_time)
            )

    def poke(self, context):
        self.log.info("Checking if the time (%s) has come", self.target_time)
        return timezone.utcnow() > timezone.parse(self.target_time)


class DateTimeSensorAsync(DateTimeSensor):
    """Defers until `target_time`, as Airflow 2.10.5's: its `timeout` does not apply to the wait, only
    `execution_timeout`."""

    def __init__(self, *, end_from_trigger=False, **kwargs):
        super().__init__(**kwargs)
        self.end_from_trigger = end_from_trigger

    def execute(self, context):
        from airflow.triggers.temporal import DateTimeTrigger

        self.defer(method_name="execute_complete",
                   trigger=DateTimeTrigger(moment=timezone.parse(self.target_time),
                                           end_from_trigger=self.end_from_trigger))

    def execute_complete(self, context, event=None):
        return None
