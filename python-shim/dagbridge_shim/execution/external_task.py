"""ExternalTaskSensor's poke with Airflow 2.10.5's semantics (airflow/sensors/external_task.py,
airflow/utils/sensor_helper.py), asking the worker over the supervisor channel instead of querying the metadata
database: ``external.exists`` for ``check_existence`` (once per operator object: the first poke of a poke-mode
try, every reschedule in reschedule mode, as Airflow's ``_has_checked_existence``), ``external.count`` for the
failed, skipped and allowed states at the logical dates the sensor watches.

The poke runs inside the shim's sensor loop (``execution.sensor.execute_sensor``): poke and reschedule modes,
timeouts, ``soft_fail``/``never_fail``/``silent_fail`` behave as for any sensor. ``deferrable=True`` defers on a
WorkflowTrigger instead, as Airflow 2.10.5 (execution.external_triggers runs it in the task's process).
"""
from datetime import datetime

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import exceptions
from dagbridge_shim.execution.common import determine_kwargs
from dagbridge_shim.runtime import channel


def _task_ids(op):
    task_ids = getattr(op, "external_task_ids", None)
    if not task_ids and getattr(op, "external_task_id", None) is not None:
        task_ids = [op.external_task_id]
    return list(task_ids) if task_ids else None


def logical_dates(op, context):
    """Airflow's ``_get_dttm_filter``: the logical dates to look at, as a list."""
    delta = getattr(op, "execution_delta", None)
    date_fn = getattr(op, "execution_date_fn", None)
    if delta:
        dates = context["logical_date"] - delta
    elif date_fn:
        # _handle_execution_date_fn: the logical date positionally, the context's other keys (and `context`)
        # by name, as far as the function accepts them (make_kwargs_callable).
        kwargs = {k: v for k, v in context.items() if k not in ("execution_date", "logical_date")}
        kwargs["context"] = context
        logical_date = context["logical_date"]
        dates = date_fn(logical_date, **determine_kwargs(date_fn, [logical_date], kwargs))
    else:
        dates = context["logical_date"]
    return dates if isinstance(dates, list) else [dates]


def _iso(op, value):
    if not isinstance(value, datetime):
        raise TypeError("ExternalTaskSensor %r: execution_date_fn must return a datetime or a list of datetimes, "
                        "got %s" % (op.task_id, type(value).__name__))
    if value.tzinfo is None or value.utcoffset() is None:
        # Airflow's UtcDateTime column refuses them the same way.
        raise ValueError("naive datetime is disallowed")
    return value.isoformat()


def _count(op, dates, states, task_ids, group_id):
    result = channel.request("external.count", {
        "dagId": str(op.external_dag_id), "taskIds": task_ids, "taskGroupId": group_id,
        "logicalDates": dates, "states": [str(s) for s in states]})
    return (result or {}).get("count", 0)


def _check_existence(op, task_ids, group_id):
    """Airflow's ``_check_for_existence`` against the DAGs as last parsed (the scheduler's copy)."""
    errors = exceptions()
    dag_id = op.external_dag_id
    found = channel.request("external.exists", {"dagId": str(dag_id), "taskIds": task_ids, "taskGroupId": group_id})
    if not found.get("dag"):
        raise errors.AirflowException("The external DAG %s does not exist." % dag_id)
    missing = found.get("missingTaskIds") or []
    if task_ids and missing:
        raise errors.AirflowException("The external task %s in DAG %s does not exist." % (missing[0], dag_id))
    if group_id and not found.get("group"):
        raise errors.AirflowException(
            "The external task group '%s' in DAG '%s' does not exist." % (group_id, dag_id))
    op._has_checked_existence = True


def _messages(task_ids, group_id, dag_id):
    """Airflow's words for what failed, and for what reached a skipped state (they quote the group differently)."""
    if task_ids:
        tasks = "Some of the external tasks %s in DAG %s" % (task_ids, dag_id)
        return tasks + " failed.", tasks
    if group_id:
        return ("The external task_group '%s' in DAG '%s' failed." % (group_id, dag_id),
                "The external task_group '%s' in DAG %s" % (group_id, dag_id))
    return "The external DAG %s failed." % dag_id, "The external DAG %s" % dag_id


def poke_external_task(op, context):
    """One poke of ``op`` (Airflow 2.10.5's ``ExternalTaskSensor.poke``): raises for the failed (AirflowException,
    or AirflowSkipException with ``soft_fail``) and skipped states, true when every watched date is allowed."""
    errors = exceptions()
    task_ids = _task_ids(op)
    group_id = getattr(op, "external_task_group_id", None) or None
    dag_id = op.external_dag_id
    if task_ids and len(task_ids) > len(set(task_ids)):
        raise ValueError("Duplicate task_ids passed in external_task_ids parameter")
    raw_dates = logical_dates(op, context)
    dates = [_iso(op, d) for d in raw_dates]
    shown = ",".join(dates)
    if task_ids:
        log.info("Poking for tasks %s in dag %s on %s ... ", task_ids, dag_id, shown)
    if group_id:
        log.info("Poking for task_group '%s' in dag '%s' on %s ... ", group_id, dag_id, shown)
    if not group_id and not task_ids:
        log.info("Poking for DAG '%s' on %s ... ", dag_id, shown)
    if getattr(op, "check_existence", False) and not getattr(op, "_has_checked_existence", False):
        _check_existence(op, task_ids, group_id)
    soft_fail = bool(getattr(op, "soft_fail", False))
    failed_states = list(getattr(op, "failed_states", None) or [])
    if failed_states and _count(op, dates, failed_states, task_ids, group_id) > 0:
        what = _messages(task_ids, group_id, dag_id)[0]
        if soft_fail:
            raise errors.AirflowSkipException(what + " Skipping due to soft_fail.")
        raise errors.AirflowException(what)
    skipped_states = list(getattr(op, "skipped_states", None) or [])
    if skipped_states and _count(op, dates, skipped_states, task_ids, group_id) > 0:
        what = _messages(task_ids, group_id, dag_id)[1]
        raise errors.AirflowSkipException(what + " reached a state in our states-to-skip-on list. Skipping.")
    allowed_states = list(getattr(op, "allowed_states", None) or ["success"])
    return _count(op, dates, allowed_states, task_ids, group_id) == len(raw_dates)
