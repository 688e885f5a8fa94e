"""TriggerDagRunOperator: asks the scheduler to create a DAG run (``triggerDagRuns`` in the run result).

As in Airflow, the run id defaults to ``manual__<logical date>`` and the logical date to now; ``conf`` must be
JSON; the ``trigger_run_id`` and ``trigger_execution_date_iso`` XComs are pushed. ``wait_for_completion`` and
``deferrable`` are not supported: the task fails (without retrying) and says so.
"""
import json
from datetime import datetime

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import raise_airflow
from dagbridge_shim.runtime.datetimes import UTC, parse_instant, utcnow


def _logical_date(value):
    if value is None or type(value).__name__ in ("_NotSet", "ArgNotSet"):
        return utcnow()
    if isinstance(value, datetime):
        return parse_instant((value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat())
    return parse_instant(str(value))


def execute_trigger_dagrun(op, context):
    """Records the DAG run request; the scheduler creates the run after the task succeeds."""
    trigger_dag_id = getattr(op, "trigger_dag_id", None)
    if not trigger_dag_id:
        raise_airflow("AirflowFailException", "TriggerDagRunOperator %r has no trigger_dag_id" % op.task_id)
    if getattr(op, "wait_for_completion", False) or getattr(op, "deferrable", False):
        raise_airflow(
            "AirflowFailException",
            "TriggerDagRunOperator %r: wait_for_completion/deferrable are not supported by dagbridge; trigger the "
            "DAG without waiting and use an ExternalTaskSensor (or a sensor on the run's outcome) instead"
            % op.task_id)
    raw_date = getattr(op, "logical_date", None)
    if raw_date is None:
        raw_date = getattr(op, "execution_date", None)
    request_dag_run(context["ti"], trigger_dag_id, getattr(op, "trigger_run_id", None), getattr(op, "conf", None),
                    _logical_date(raw_date), bool(getattr(op, "reset_dag_run", False)),
                    "TriggerDagRunOperator %r" % op.task_id)
    return None


def request_dag_run(ti, dag_id, run_id, conf, logical_date, reset_dag_run, asker):
    """Records a run of ``dag_id`` for the scheduler to create when ``ti``'s try succeeds (in the same
    transaction as its outcome) and pushes the ``trigger_run_id`` / ``trigger_execution_date_iso`` XComs.
    ``asker`` names the caller in errors. Returns the request (``dagId, runId, conf, logicalDate, resetDagRun``)."""
    conf = conf or {}
    if not isinstance(conf, dict):
        raise_airflow("AirflowException", "conf of %s must be a dict, got %s" % (asker, type(conf).__name__))
    try:
        json.dumps(conf, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise_airflow("AirflowException", "conf parameter should be JSON Serializable: %s" % error)
    run_id = run_id or "manual__" + logical_date.isoformat()
    request = {
        "dagId": str(dag_id),
        "runId": str(run_id),
        "conf": conf,
        "logicalDate": logical_date.isoformat(),
        "resetDagRun": bool(reset_dag_run),
    }
    log.info("Triggering DAG %s with run id %s", dag_id, run_id)
    requests = getattr(ti, "_trigger_requests", None)
    if requests is None:
        requests = ti._trigger_requests = []
    requests.append(request)
    ti.xcom_push(key="trigger_run_id", value=request["runId"])
    ti.xcom_push(key="trigger_execution_date_iso", value=request["logicalDate"])
    return request
