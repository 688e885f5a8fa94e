"""BaseSensorOperator (stand-in of airflow.sensors.base): `poke(context)` until true or timeout.
The poke loop, reschedule and timeout handling run in dagbridge_shim.execution.sensor."""
from datetime import timedelta

from airflow.exceptions import AirflowException, AirflowSkipException, TaskDeferralError
from airflow.models.baseoperator import BaseOperator


class PokeReturnValue:
    """What a poke may return instead of a bool: done or not, and an XCom value to push when done."""

    def __init__(self, is_done, xcom_value=None):
        self.xcom_value = xcom_value
        self.is_done = is_done

    def __bool__(self):
        return self.is_done

    def __repr__(self):
        return "PokeReturnValue(is_done=%r, xcom_value=%r)" % (self.is_done, self.xcom_value)


def _seconds(value, name):
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise AirflowException("The %s must be a non-negative number or timedelta" % name) from None
    if seconds < 0:
        raise AirflowException("The %s must be a non-negative number" % name)
    return seconds


class BaseSensorOperator(BaseOperator):
    """Waits for a condition. `mode="poke"` holds a worker slot while waiting; `mode="reschedule"` frees it
    between pokes."""

    ui_color = "#e6f1f2"
    valid_modes = ["poke", "reschedule"]

    def __init__(
        self,
        *,
        poke_interval=60,
        timeout=7 * 24 * 60 * 60,
        soft_fail=False,
        mode="poke",
        exponential_backoff=False,
        max_wait=None,
        silent_fail=False,
        never_fail=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.poke_interval = _seconds(poke_interval, "poke_interval")
        self.soft_fail = soft_fail
        self.timeout = _seconds(timeout, "timeout")
        if mode not in self.valid_modes:
            raise AirflowException(
                "The mode must be one of %s,'%s.%s'; received '%s'."
                % (self.valid_modes, self.dag_id if self.has_dag() else "", self.task_id, mode)
            )
        self.mode = mode
        self.exponential_backoff = exponential_backoff
        self.max_wait = _seconds(max_wait, "max_wait") if max_wait is not None else None
        self.silent_fail = silent_fail
        self.never_fail = never_fail
        if soft_fail and never_fail:
            raise ValueError("soft_fail and never_fail are mutually exclusive, you can not provide both.")

    @property
    def reschedule(self):
        return self.mode == "reschedule"

    def poke(self, context):
        """True (or a done PokeReturnValue) when the condition holds."""
        raise AirflowException("Override me.")

    def execute(self, context):
        from dagbridge_shim.execution.sensor import execute_sensor

        return execute_sensor(self, context)

    def resume_execution(self, next_method, next_kwargs, context):
        """As Airflow 2.10.5's: a resumed sensor that fails (a trigger timeout too) is skipped with ``soft_fail``."""
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except (AirflowException, TaskDeferralError) as error:
            if self.soft_fail:
                raise AirflowSkipException(str(error)) from error
            raise


BaseSensorOperator._dagbridge_accepts_multiple_outputs = False
