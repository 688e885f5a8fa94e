"""Deferred tasks: the trigger runs in the task's own process, and the task resumes there.

Airflow hands a deferring task's trigger (``TaskDeferred``, raised by ``BaseOperator.defer``) to its triggerer
and frees the worker slot; when the trigger yields its first event the task is scheduled again and resumes with
``next_method(context, **next_kwargs, event=payload)`` (Airflow 2.10.5's ``BaseTrigger``'s
``TriggerEvent.handle_submit`` and ``BaseOperator.resume_execution``). dagbridge has no triggerer: it runs the
trigger where the task runs, as Airflow's ``dag.test()`` does (``_run_inline_trigger`` in models/dag.py), and keeps
the slot while it waits. The rest follows the triggerer's path:

- a deferral ``timeout`` that passes resumes with ``__fail__`` and Airflow's ``Trigger/execution timeout``
  (``SchedulerJobRunner.check_trigger_timeouts``); a trigger that raises resumes with ``__fail__`` and
  ``Trigger failure`` (``Trigger.submit_failure``), its traceback logged as ``Trigger failed:``; both raise
  ``TaskDeferralError``, which a sensor's ``soft_fail`` turns into a skip (``BaseSensorOperator.resume_execution``);
- ``TaskSuccessEvent`` / ``TaskFailedEvent`` / ``TaskSkippedEvent`` end the task without resuming it, with their
  XComs pushed (``BaseTaskEndEvent.handle_submit``); a failed end is not retried, as ``set_state(FAILED)``;
- a resumed method may defer again; the task's ``execution_timeout`` bounds the whole try: the trigger's timeout
  is capped at ``start_date + execution_timeout`` and a trigger timing out there fails the task with
  ``AirflowTaskTimeout`` before it resumes, as Airflow (the worker's supervisor enforces the same bound).
"""
import asyncio
import traceback

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import exceptions
from dagbridge_shim.execution.common import class_names, defining_class, seconds
from dagbridge_shim.execution.external_triggers import events_of
from dagbridge_shim.runtime.datetimes import utcnow

TIMEOUT_ERROR = "Trigger/execution timeout"
FAILURE_ERROR = "Trigger failure"

_END_EVENTS = {"TaskSuccessEvent": "success", "TaskFailedEvent": "failed", "TaskSkippedEvent": "skipped"}


def is_deferral(error):
    """True when ``error`` is a ``TaskDeferred`` (the stand-in's, Airflow 2's or the task SDK's)."""
    return "TaskDeferred" in class_names(error)


async def _first_event(trigger):
    try:
        async for event in events_of(trigger):
            return event
        return None
    finally:
        cleanup = getattr(trigger, "cleanup", None)
        if cleanup is not None:
            await cleanup()


def run_trigger(trigger, timeout):
    """``("event", event)`` for the trigger's first event, ``("timeout", None)`` when ``timeout`` seconds pass
    first, or ``("failure", traceback lines)`` when the trigger raises or ends without an event."""
    try:
        event = asyncio.run(asyncio.wait_for(_first_event(trigger), seconds(timeout, None)))
    except asyncio.TimeoutError:
        return "timeout", None
    except Exception as error:
        if "NotSupportedByDagbridge" in class_names(error):
            raise  # a stand-in trigger dagbridge cannot run: its error names the gap
        return "failure", traceback.format_exception(type(error), error, error.__traceback__)
    if event is None:
        return "failure", ["the trigger %r ended without an event\n" % (trigger,)]
    return "event", event


def _resume(op, method_name, next_kwargs, context):
    """Airflow's ``resume_execution``: the operator's own (real Airflow's, or a sensor's with ``soft_fail``)
    when it has one, else ``BaseOperator.resume_execution``'s steps. TriggerDagRunOperator's ``execute_complete``
    (Airflow's reads the triggered run from the metadata database) is dagbridge's, over the channel."""
    if method_name == "execute_complete" and getattr(defining_class(op, "execute_complete"), "__name__", None) == "TriggerDagRunOperator":
        from dagbridge_shim.execution.trigger import complete_trigger_dagrun

        return complete_trigger_dagrun(op, context, **(next_kwargs or {}))
    own = getattr(op, "resume_execution", None)
    if callable(own):
        return own(method_name, next_kwargs, context)
    return resume_execution(op, method_name, next_kwargs, context)


def resume_execution(op, method_name, next_kwargs, context):
    """``BaseOperator.resume_execution`` of Airflow 2.10.5: ``__fail__`` raises TaskDeferralError with the error
    (its traceback logged first); else ``getattr(op, method_name)(context, **next_kwargs)``."""
    if method_name == "__fail__":
        next_kwargs = next_kwargs or {}
        lines = next_kwargs.get("traceback")
        if lines is not None:
            log.error("Trigger failed:\n%s", "\n".join(lines))
        raise exceptions().TaskDeferralError(next_kwargs.get("error", "Unknown"))
    return getattr(op, method_name)(context, **(next_kwargs or {}))


def _end(op, event, state, context):
    errors = exceptions()
    ti = context["ti"]
    for key, value in (getattr(event, "xcoms", None) or {}).items():
        ti.xcom_push(key=key, value=value)
    if state == "skipped":
        raise errors.AirflowSkipException("The trigger of %s ended the task as skipped" % op.task_id)
    if state == "failed":
        raise errors.AirflowFailException("The trigger of %s ended the task as failed" % op.task_id)
    log.info("The trigger of %s ended the task as successful", op.task_id)


def _execution_time_left(op, context):
    """Seconds left of ``execution_timeout`` since the try started (None without one). Airflow caps a trigger's
    timeout at ``start_date + execution_timeout`` (models/taskinstance.py lines 1723-1732) and a task resumed past
    it raises AirflowTaskTimeout before resuming (lines 748-760)."""
    limit = seconds(getattr(op, "execution_timeout", None), None)
    started = getattr(context.get("ti"), "start_date", None)
    if limit is None or started is None:
        return None
    return limit - (utcnow() - started).total_seconds()


def resume_deferred(op, deferral, context):
    """For ``deferral``, raised by ``op``'s execute, and each deferral after it: the trigger run here and the task
    resumed. Returns what the last resumed method returns."""
    while True:
        log.info("Pausing task as DEFERRED. dag_id=%s, task_id=%s; running its trigger %r in this process "
                 "(dagbridge has no triggerer)", getattr(op, "dag_id", None), op.task_id, deferral.trigger)
        remaining = _execution_time_left(op, context)
        timeout = seconds(deferral.timeout, None)
        if remaining is not None:
            timeout = remaining if timeout is None else min(timeout, remaining)
        outcome, detail = run_trigger(deferral.trigger, timeout)
        if outcome == "timeout" and remaining is not None and _execution_time_left(op, context) <= 0:
            # The task resumes past its execution_timeout: Airflow fails it before resuming (AirflowTaskTimeout).
            raise exceptions().AirflowTaskTimeout()
        if outcome == "event":
            state = next((_END_EVENTS[name] for name in class_names(detail) if name in _END_EVENTS), None)
            if state is not None:
                return _end(op, detail, state, context)
            method_name = deferral.method_name
            next_kwargs = dict(deferral.kwargs or {})
            next_kwargs["event"] = detail.payload
        elif outcome == "timeout":
            method_name, next_kwargs = "__fail__", {"error": TIMEOUT_ERROR}
        else:
            method_name, next_kwargs = "__fail__", {"error": FAILURE_ERROR, "traceback": detail}
        log.info("Resuming %s with %s", op.task_id, method_name)
        try:
            return _resume(op, method_name, next_kwargs, context)
        except BaseException as error:
            if not is_deferral(error):
                raise
            deferral = error
