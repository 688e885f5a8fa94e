"""``trigger_dag`` (stand-in of airflow.api.common.trigger_dag, Airflow 2.10.5 and 3 signatures).

Inside a running task it asks for the run as a TriggerDagRunOperator does: the scheduler creates it when the
task's try succeeds, in the same transaction as the outcome (``dagbridge_shim.execution.trigger``), and the
``trigger_run_id`` XCom is pushed. What it returns stands for that queued run. Outside a task (at the top of a
DAG file, in a DAG factory) there is no run to attach the request to: ``NotSupportedByDagbridge``.
"""
from datetime import datetime

from airflow.exceptions import NotSupportedByDagbridge


class _RequestedDagRun:
    """The queued run ``trigger_dag`` asked for (Airflow returns the created ``DagRun``)."""

    state = "queued"
    external_trigger = True
    run_type = "manual"

    def __init__(self, request, logical_date):
        self.dag_id = request["dagId"]
        self.run_id = request["runId"]
        self.conf = request["conf"]
        self.logical_date = self.execution_date = logical_date

    def __repr__(self):
        return "<DagRun %s @ %s: %s, state:queued, externally triggered: True>" % (
            self.dag_id, self.logical_date, self.run_id)


def trigger_dag(dag_id, run_id=None, conf=None, execution_date=None, replace_microseconds=True, session=None, *,
                triggered_by=None, run_after=None, logical_date=None):
    """Triggers a run of ``dag_id`` from inside a task; returns the requested (queued) run."""
    import json

    from dagbridge_shim.execution.trigger import request_dag_run
    from dagbridge_shim.runtime.current_context import _CURRENT_CONTEXT
    from dagbridge_shim.runtime.datetimes import parse_instant, utcnow

    if not _CURRENT_CONTEXT:
        raise NotSupportedByDagbridge(
            "trigger_dag(%r) outside a running task: dagbridge creates DAG runs from its scheduler only; trigger "
            "it with `dagbridge dags trigger %s [--conf JSON]`, or from a task (a TriggerDagRunOperator, or "
            "trigger_dag inside the task's callable)" % (dag_id, dag_id))
    when = logical_date if logical_date is not None else execution_date
    if when is None:
        when = utcnow()
    elif not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("The execution_date should be localized")
    if replace_microseconds:
        when = when.replace(microsecond=0)
    when = parse_instant(when.isoformat())
    if isinstance(conf, str):
        conf = json.loads(conf)
    context = _CURRENT_CONTEXT[-1]
    request = request_dag_run(context["ti"], dag_id, run_id, conf, when, False, "trigger_dag(%r)" % dag_id)
    return _RequestedDagRun(request, when)


__all__ = ["trigger_dag"]
