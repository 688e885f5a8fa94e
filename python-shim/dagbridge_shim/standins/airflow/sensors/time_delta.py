"""TimeDeltaSensor: waits until `delta` after the end of the run's data interval."""
from datetime import timedelta

from airflow.sensors.base import BaseSensorOperator
from airflow.utils import timezone


def _base_time(context):
    """The data interval end, or for runs without one (Airflow 3 manual runs) the logical date, then
    the run's run_after."""
    for key in ("data_interval_end", "logical_date"):
        value = context.get(key)
        if value is not None:
            return value
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if run_after is not None:
        return run_after
    return timezone.utcnow()


class TimeDeltaSensor(BaseSensorOperator):
    """Done once `now > data_interval_end + delta`."""

    def __init__(self, *, delta, **kwargs):
        super().__init__(**kwargs)
        self.delta = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)

    def poke(self, context):
        target_dttm = _base_time(context) + self.delta
        self.log.info("Checking if the time (%s) has come", target_dttm)
        return timezone.utcnow() > target_dttm


class TimeDeltaSensorAsync(TimeDeltaSensor):
    """Defers until `delta` after the end of the run's data interval, as Airflow 2.10.5's: done at once when that
    has passed; its `timeout` does not apply to the wait, only `execution_timeout`."""

    def __init__(self, *, end_from_trigger=False, delta, **kwargs):
        super().__init__(delta=delta, **kwargs)
        self.end_from_trigger = end_from_trigger

    def execute(self, context):
        from airflow.exceptions import AirflowSkipException
        from airflow.triggers.temporal import DateTimeTrigger

        target_dttm = _base_time(context) + self.delta
        if timezone.utcnow() > target_dttm:
            return True
        try:
            trigger = DateTimeTrigger(moment=target_dttm, end_from_trigger=self.end_from_trigger)
        except (TypeError, ValueError) as error:
            if self.soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from error
            raise
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context, event=None):
        return None


class WaitSensor(BaseSensorOperator):
    """Waits `time_to_wait` from its first poke (Airflow 2.9+)."""

    def __init__(self, *, time_to_wait, deferrable=False, **kwargs):
        super().__init__(**kwargs)
        self.time_to_wait = time_to_wait if isinstance(time_to_wait, timedelta) else timedelta(minutes=time_to_wait)
        self._started = None

    def poke(self, context):
        if self._started is None:
            self._started = timezone.utcnow()
        return timezone.utcnow() >= self._started + self.time_to_wait
