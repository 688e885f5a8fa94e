"""Sensors (BaseSensorOperator.execute): call the sensor's ``poke(context)`` until it is true.

- poke mode: poke, sleep ``poke_interval`` (or the exponential backoff interval), poke again, in this process,
  until the condition holds or ``timeout`` seconds have passed since the first poke: then
  AirflowSensorTimeout (the task fails without retrying) or, with ``soft_fail``, skipped.
- reschedule mode: one poke per task process. False -> AirflowRescheduleException with the next poke time;
  the runner reports ``up_for_reschedule`` and ``rescheduleAt``, the scheduler starts the task again then. The
  timeout counts from the first poke of this try (``sensorFirstPokeAt`` in the run input).
- A poke returning a PokeReturnValue: its ``is_done`` decides and its ``xcom_value`` becomes the return value.
- ExternalTaskSensor(deferrable=True): its own ``execute``, which defers on a WorkflowTrigger
  (execution.external_triggers runs it).
- ExternalTaskSensor (its own ``poke``, stand-in or Airflow's, whose poke would query the metadata database):
  ``execution.external_task.poke_external_task``, which asks the worker over the supervisor channel.
"""
import time
from datetime import timedelta

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import exceptions
from dagbridge_shim.execution.common import defining_class, seconds
from dagbridge_shim.execution.external_task import poke_external_task
from dagbridge_shim.runtime.datetimes import utcnow


def _poke(op):
    """The poke to call: ``poke_external_task`` when ``op`` uses ExternalTaskSensor's own poke (Airflow's
    queries the metadata database), else ``op.poke``."""
    if getattr(defining_class(op, "poke"), "__name__", None) == "ExternalTaskSensor":
        return lambda context: poke_external_task(op, context)
    return op.poke


def _poke_result(value):
    # PokeReturnValue(is_done, xcom_value) or a plain truthy/falsy value.
    if hasattr(value, "is_done") and hasattr(value, "xcom_value"):
        return bool(value.is_done), value.xcom_value
    return bool(value), None


def next_poke_interval(op, started_at, run_duration, poke_count, reschedule):
    """Seconds until the next poke (Airflow's ``BaseSensorOperator._get_next_poke_interval``)."""
    import hashlib

    poke_interval = seconds(getattr(op, "poke_interval", 60), 60.0)
    timeout = seconds(getattr(op, "timeout", 7 * 24 * 3600), 7 * 24 * 3600.0)
    if not getattr(op, "exponential_backoff", False):
        return poke_interval

    def jittered(count):
        min_backoff = max(int(poke_interval * (2 ** (count - 2))), 1)
        run_hash = int(hashlib.sha1(("%s#%s#%s#%s" % (op.dag_id, op.task_id, started_at, count)).encode())
                       .hexdigest(), 16)
        return min(min_backoff + run_hash % min_backoff, timedelta.max.total_seconds() - 1)

    if reschedule:
        elapsed = run_duration()
        cumulative, estimated = 0.0, 0
        while cumulative <= elapsed:
            estimated += 1
            cumulative += jittered(estimated)
        poke_count = estimated or poke_count
    interval = min(timeout - int(run_duration()), jittered(poke_count))
    max_wait = getattr(op, "max_wait", None)
    if max_wait:
        interval = min(seconds(max_wait, interval), interval)
    log.info("new %s interval is %s", "reschedule" if reschedule else "poke", interval)
    return interval


def execute_sensor(op, context):
    """Pokes until done (poke mode) or once (reschedule mode); returns the PokeReturnValue's xcom_value."""
    errors = exceptions()
    if getattr(op, "deferrable", False) and getattr(defining_class(op, "execute"), "__name__", None) == "ExternalTaskSensor":
        # Airflow 2.10.5's ExternalTaskSensor.execute (sensors/external_task.py lines 345-362): defer on a
        # WorkflowTrigger (allowed_states only), run here by execution.deferral, resumed in execute_complete.
        return op.execute(context)
    reschedule = getattr(op, "mode", "poke") == "reschedule" or getattr(op, "reschedule", False) is True
    timeout = seconds(getattr(op, "timeout", 7 * 24 * 3600), 7 * 24 * 3600.0)
    soft_fail = bool(getattr(op, "soft_fail", False))
    never_fail = bool(getattr(op, "never_fail", False))
    silent_fail = bool(getattr(op, "silent_fail", False))
    if reschedule:
        first_poke = getattr(context.get("ti"), "_sensor_first_poke_at", None) or utcnow()
        started_at = first_poke

        def run_duration():
            return (utcnow() - first_poke).total_seconds()
    else:
        start_monotonic = time.monotonic()
        started_at = start_monotonic

        def run_duration():
            return time.monotonic() - start_monotonic

    poke = _poke(op)
    poke_count = 1
    while True:
        try:
            done, xcom_value = _poke_result(poke(context))
        except (errors.AirflowSensorTimeout, errors.AirflowTaskTimeout, errors.AirflowFailException) as error:
            if soft_fail:
                raise errors.AirflowSkipException("Skipping due to soft_fail is set to True.") from error
            if never_fail:
                raise errors.AirflowSkipException("Skipping due to never_fail is set to True.") from error
            raise
        except errors.AirflowSkipException:
            raise
        except Exception as error:
            if silent_fail:
                import traceback

                log.error("Sensor poke failed: \n %s", traceback.format_exc())
                done, xcom_value = False, None
            elif never_fail:
                raise errors.AirflowSkipException("Skipping due to never_fail is set to True.") from error
            else:
                raise
        if done:
            break
        if run_duration() > timeout:
            message = ("Sensor has timed out; run duration of %s seconds exceeds the specified timeout of %s."
                       % (run_duration(), timeout))
            if soft_fail:
                raise errors.AirflowSkipException(message)
            raise errors.AirflowSensorTimeout(message)
        interval = next_poke_interval(op, started_at, run_duration, poke_count, reschedule)
        if reschedule:
            raise errors.AirflowRescheduleException(utcnow() + timedelta(seconds=interval))
        time.sleep(max(interval, 0))
        poke_count += 1
    log.info("Success criteria met. Exiting.")
    return xcom_value
