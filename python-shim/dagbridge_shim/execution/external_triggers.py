"""The runs of Airflow 2.10.5's external-task triggers (airflow/triggers/external_task.py): WorkflowTrigger,
TaskStateTrigger and DagStateTrigger, asking the worker over the supervisor channel for the counts Airflow's
triggerer reads from the metadata database. A task that defers on one (ExternalTaskSensor(deferrable=True),
TriggerDagRunOperator(wait_for_completion=True, deferrable=True), or a DAG author's own ``self.defer``) runs it
in its own process (dagbridge_shim.execution.deferral); the stand-ins' ``run()`` and real Airflow's classes
(whose ``run()`` would query the database) both come here.

- ``external.count``: ``_get_count`` of utils/sensor_helper.py (the sensor's poke asks the same);
- ``external.dag_ti_count``: TaskStateTrigger.count_running_dags, any task instance of the DAG (its tasks as last
  parsed) at the dates in the states.
"""
import asyncio
from datetime import datetime

from dagbridge_shim import log
from dagbridge_shim.execution.common import defining_class
from dagbridge_shim.runtime import channel
from dagbridge_shim.runtime.datetimes import parse_instant, utcnow


def _iso(value):
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime is disallowed")
        return value.isoformat()
    return parse_instant(str(value)).isoformat()


def _event(payload):
    from airflow.triggers.base import TriggerEvent

    return TriggerEvent(payload)


def _states(states, what):
    if states is None:
        # Airflow's query `state IN (None)` raises; the trigger fails the same way (a Trigger failure).
        raise ValueError("%s is None: the trigger has no states to count" % what)
    return [str(getattr(s, "value", s)) for s in states]


def count(dag_id, dates, states, task_ids=None, group_id=None):
    """``_get_count`` over the channel: instances per watched task, or the DAG's runs, at ``dates`` in ``states``."""
    result = channel.request("external.count", {
        "dagId": str(dag_id), "taskIds": list(task_ids) if task_ids else None, "taskGroupId": group_id or None,
        "logicalDates": list(dates), "states": list(states)})
    return (result or {}).get("count", 0)


async def workflow_events(trigger):
    """WorkflowTrigger.run (2.10.5 lines 99-120). As there: with ``failed_states`` the first check decides,
    ``failed`` when one is found and ``success`` at once otherwise (lines 102-109); then ``skipped_states``;
    then ``success`` when every date has the allowed states, else sleep ``poke_interval`` and count again."""
    dates = [_iso(d) for d in (trigger.execution_dates or [])]
    task_ids = list(trigger.external_task_ids) if trigger.external_task_ids else None
    group_id = trigger.external_task_group_id or None

    def counted(states, what):
        return count(trigger.external_dag_id, dates, _states(states, what), task_ids, group_id)

    while True:
        if trigger.failed_states:
            status = "failed" if counted(trigger.failed_states, "failed_states") > 0 else "success"
            yield _event({"status": status})
            return
        if trigger.skipped_states and counted(trigger.skipped_states, "skipped_states") > 0:
            yield _event({"status": "skipped"})
            return
        if counted(trigger.allowed_states, "allowed_states") == len(trigger.execution_dates or []):
            yield _event({"status": "success"})
            return
        log.info("Sleeping for %s seconds", trigger.poke_interval)
        await asyncio.sleep(float(trigger.poke_interval))


async def task_state_events(trigger):
    """TaskStateTrigger.run (2.10.5 lines 194-220): ``timeout`` once ``_timeout_sec`` (60) seconds have passed
    since ``trigger_start_time`` (whether or not the DAG runs, as there), ``success`` when the task has one of
    ``states`` at every date, ``failed`` when a count raises."""
    timeout_sec = getattr(trigger, "_timeout_sec", 60)
    try:
        dates = [_iso(d) for d in trigger.execution_dates]
        states = _states(trigger.states or ["success"], "states")
        started = trigger.trigger_start_time
        if not isinstance(started, datetime):
            started = parse_instant(str(started))
        while True:
            if (utcnow() - started).total_seconds() < timeout_sec:
                running = channel.request("external.dag_ti_count", {
                    "dagId": str(trigger.dag_id), "logicalDates": dates, "states": ["running", "success"]})
                if (running or {}).get("count", 0) == 0:
                    log.info("Waiting for DAG to start execution...")
                    await asyncio.sleep(float(trigger.poll_interval))
            else:
                yield _event({"status": "timeout"})
                return
            if count(trigger.dag_id, dates, states, [trigger.task_id] if trigger.task_id else None) == len(dates):
                yield _event({"status": "success"})
                return
            log.info("Task is still running, sleeping for %s seconds...", trigger.poll_interval)
            await asyncio.sleep(float(trigger.poll_interval))
    except Exception:  # as Airflow's: any error ends the wait with a failed event
        yield _event({"status": "failed"})


async def dag_state_events(trigger):
    """DagStateTrigger.run (2.10.5 lines 290-298): the trigger's ``serialize()`` as the event once the DAG has a
    run in ``states`` at every date; else sleep ``poll_interval`` and count again."""
    dates = getattr(trigger, "execution_dates", None)
    if dates is None:
        from airflow.exceptions import NotSupportedByDagbridge

        raise NotSupportedByDagbridge("DagStateTrigger without execution_dates (run_ids only) is not supported by "
                                      "dagbridge; pass execution_dates")
    isos = [_iso(d) for d in dates]
    states = _states(trigger.states, "states")
    while True:
        if count(trigger.dag_id, isos, states) == len(isos):
            yield _event(trigger.serialize())
            return
        await asyncio.sleep(float(trigger.poll_interval))


#: The trigger classes whose ``run()`` dagbridge replaces (Airflow's query the metadata database).
EVENTS_BY_CLASS = {"WorkflowTrigger": workflow_events, "TaskStateTrigger": task_state_events,
                   "DagStateTrigger": dag_state_events}


def events_of(trigger):
    """The async generator of ``trigger``'s events: dagbridge's for the external-task triggers (unless a subclass
    has its own ``run``), else the trigger's own ``run()``."""
    klass = defining_class(trigger, "run")
    own = EVENTS_BY_CLASS.get(getattr(klass, "__name__", None))
    if own is not None and klass.__module__.endswith("triggers.external_task"):
        return own(trigger)
    return trigger.run()
