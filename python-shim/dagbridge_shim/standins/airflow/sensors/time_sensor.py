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


class TimeSensorAsync(TimeSensor):
    def __init__(self, *, end_from_trigger=False, **kwargs):
        super().__init__(**kwargs)


__all__ = ["TimeSensor", "TimeSensorAsync", "datetime"]
