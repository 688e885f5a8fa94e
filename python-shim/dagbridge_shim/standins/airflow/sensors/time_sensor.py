"""TimeSensor: waits until a time of day in the DAG's timezone."""
import datetime

from airflow.sensors.base import BaseSensorOperator
from airflow.utils import timezone


class TimeSensor(BaseSensorOperator):
    """Done once the wall-clock time (DAG timezone) is past `target_time`."""

    def __init__(self, *, target_time, **kwargs):
        super().__init__(**kwargs)
        self.target_time = target_time

    def poke(self, context):
        tz = self.dag.timezone if self.has_dag() else timezone.utc
        return timezone.make_naive(timezone.utcnow(), tz).time() > self.target_time


class TimeSensorAsync(BaseSensorOperator):
    """Defers until today's `target_time` in the DAG's timezone, the day taken when the operator is built, as
    Airflow 2.10.5's: its `timeout` does not apply to the wait, only `execution_timeout`."""

    def __init__(self, *, target_time, start_from_trigger=False, trigger_kwargs=None, end_from_trigger=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.start_from_trigger = start_from_trigger
        self.end_from_trigger = end_from_trigger
        self.target_time = target_time
        tz = self.dag.timezone if self.has_dag() else timezone.utc
        aware = datetime.datetime.combine(datetime.datetime.today(), target_time, tz)
        self.target_datetime = aware.astimezone(datetime.timezone.utc)

    def execute(self, context):
        from airflow.triggers.temporal import DateTimeTrigger

        self.defer(trigger=DateTimeTrigger(moment=self.target_datetime, end_from_trigger=self.end_from_trigger),
                   method_name="execute_complete")

    def execute_complete(self, context, event=None):
        return None


__all__ = ["TimeSensor", "TimeSensorAsync", "datetime"]
