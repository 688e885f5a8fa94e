"""TriggerDagRunOperator: asks the scheduler to create a DAG run (``triggerDagRuns`` in the run result).

As in Airflow, the run id defaults to ``manual__<logical date>`` and the logical date to now; ``conf`` must be
JSON; the ``trigger_run_id`` and ``trigger_execution_date_iso`` XComs are pushed.

``wait_for_completion=True`` needs the run to exist while the task runs: the run is created at once over the
supervisor channel (``dagrun.trigger``: only for this task instance while it runs this try, idempotent on the
run id), then its state is read (``dagrun.get``) every ``poke_interval`` seconds until it is in
``allowed_states`` (success) or ``failed_states`` (AirflowException), as Airflow 2.10.5's loop.
``deferrable=True`` defers instead on a DagStateTrigger for ``allowed_states + failed_states`` at the run's
logical date (Airflow 2.10.5 operators/trigger_dagrun.py lines 243-253), run in the task's process
(execution.external_triggers); ``complete_trigger_dagrun`` is its ``execute_complete`` (lines 275-300).
"""
import json
import time
from datetime import datetime

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import exceptions, raise_airflow
from dagbridge_shim.runtime import channel
from dagbridge_shim.runtime.datetimes import UTC, parse_instant, utcnow


def _logical_date(value):
    if value is None or type(value).__name__ in ("_NotSet", "ArgNotSet"):
        return utcnow()
    if isinstance(value, datetime):
        return parse_instant((value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat())
    return parse_instant(str(value))


def execute_trigger_dagrun(op, context):
    """Records the DAG run request (the scheduler creates the run after the task succeeds), or, with
    ``wait_for_completion``, creates it now and waits for it."""
    trigger_dag_id = getattr(op, "trigger_dag_id", None)
    if not trigger_dag_id:
        raise_airflow("AirflowFailException", "TriggerDagRunOperator %r has no trigger_dag_id" % op.task_id)
    raw_date = getattr(op, "logical_date", None)
    if raw_date is None:
        raw_date = getattr(op, "execution_date", None)
    request = dag_run_request(trigger_dag_id, getattr(op, "trigger_run_id", None), getattr(op, "conf", None),
                              _logical_date(raw_date), bool(getattr(op, "reset_dag_run", False)),
                              "TriggerDagRunOperator %r" % op.task_id)
    if getattr(op, "wait_for_completion", False):
        return _trigger_and_wait(op, context["ti"], request)
    _record(context["ti"], request)
    return None


def dag_run_request(dag_id, run_id, conf, logical_date, reset_dag_run, asker):
    """The request (``dagId, runId, conf, logicalDate, resetDagRun``) for a run of ``dag_id``, checked as
    Airflow does (``conf`` a JSON dict). ``asker`` names the caller in errors."""
    conf = conf or {}
    if not isinstance(conf, dict):
        raise_airflow("AirflowException", "conf of %s must be a dict, got %s" % (asker, type(conf).__name__))
    try:
        json.dumps(conf, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise_airflow("AirflowException", "conf parameter should be JSON Serializable: %s" % error)
    run_id = run_id or "manual__" + logical_date.isoformat()
    log.info("Triggering DAG %s with run id %s", dag_id, run_id)
    return {
        "dagId": str(dag_id),
        "runId": str(run_id),
        "conf": conf,
        "logicalDate": logical_date.isoformat(),
        "resetDagRun": bool(reset_dag_run),
    }


def request_dag_run(ti, dag_id, run_id, conf, logical_date, reset_dag_run, asker):
    """Records a run of ``dag_id`` for the scheduler to create when ``ti``'s try succeeds (in the same
    transaction as its outcome) and pushes the ``trigger_run_id`` / ``trigger_execution_date_iso`` XComs.
    ``asker`` names the caller in errors. Returns the request (``dagId, runId, conf, logicalDate, resetDagRun``)."""
    request = dag_run_request(dag_id, run_id, conf, logical_date, reset_dag_run, asker)
    _record(ti, request)
    return request


def _record(ti, request):
    requests = getattr(ti, "_trigger_requests", None)
    if requests is None:
        requests = ti._trigger_requests = []
    requests.append(request)
    ti.xcom_push(key="trigger_run_id", value=request["runId"])
    ti.xcom_push(key="trigger_execution_date_iso", value=request["logicalDate"])


def _trigger_now(op, request):
    """Creates the run over the channel; Airflow's errors for an unknown DAG and an existing run."""
    errors = exceptions()
    try:
        answer = channel.request("dagrun.trigger", request)
    except channel.ChannelError as error:
        if error.code == "invalid":  # the same request would be refused again
            raise errors.AirflowFailException(error.detail) from None
        raise
    run = answer.get("run")
    if run is None:
        raise _airflow_error("DagNotFound", "Dag id %s not found in DagModel" % request["dagId"])
    if not answer.get("created") and not request["resetDagRun"]:
        if getattr(op, "skip_when_already_exists", False):
            raise errors.AirflowSkipException(
                "Skipping due to skip_when_already_exists is set to True and DagRunAlreadyExists")
        raise _airflow_error("DagRunAlreadyExists", "A DAG Run already exists for DAG %s at %s with run id %s"
                             % (run["dagId"], parse_instant(run["logicalDate"]), run["runId"]))
    return run


def _airflow_error(name, message):
    """``airflow.exceptions.<name>`` carrying Airflow's message (real Airflow's DagRunAlreadyExists is built
    from a DagRun object, which the task does not have)."""
    errors = exceptions()
    cls = getattr(errors, name, errors.AirflowException)
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    return error


def _trigger_and_wait(op, ti, request):
    """Airflow 2.10.5's wait_for_completion loop over the channel."""
    errors = exceptions()
    run = _trigger_now(op, request)
    ti.xcom_push(key="trigger_execution_date_iso", value=run["logicalDate"])
    ti.xcom_push(key="trigger_run_id", value=run["runId"])
    allowed, failed = _wait_states(op)
    poke_interval = float(getattr(op, "poke_interval", 60) or 0)
    logical_date = parse_instant(run["logicalDate"]) if run.get("logicalDate") else None
    if getattr(op, "deferrable", False) or getattr(op, "_defer", False):
        from airflow.triggers.external_task import DagStateTrigger

        op._dagbridge_triggered_run = run
        op.defer(trigger=DagStateTrigger(dag_id=request["dagId"], states=allowed + failed,
                                         execution_dates=[logical_date], poll_interval=poke_interval),
                 method_name="execute_complete")
    while True:
        log.info("Waiting for %s on %s to become allowed state %s ...", request["dagId"], logical_date, allowed)
        time.sleep(poke_interval)
        current = channel.request("dagrun.get", {"dagId": run["dagId"], "runId": run["runId"]})
        state = (current or {}).get("state")
        if state in failed:
            raise errors.AirflowException("%s failed with failed states %s" % (request["dagId"], state))
        if state in allowed:
            log.info("%s finished with allowed state %s", request["dagId"], state)
            return None


def _wait_states(op):
    """The allowed and failed run states (Airflow's defaults: success, and failed unless ``failed_states=[]``)."""
    allowed = getattr(op, "allowed_states", None) or ["success"]
    failed = getattr(op, "failed_states", None)
    return [str(getattr(s, "value", s)) for s in allowed], [str(getattr(s, "value", s)) for s in (["failed"] if failed is None else failed)]


def complete_trigger_dagrun(op, context, event=None):
    """TriggerDagRunOperator.execute_complete of Airflow 2.10.5 (lines 275-300): the triggered run read again
    (over the channel, not the database) fails the task in ``failed_states``, returns in ``allowed_states``,
    and fails naming both otherwise."""
    errors = exceptions()
    allowed, failed = _wait_states(op)
    logical_date = event[1]["execution_dates"][0] if event else None
    triggered = getattr(op, "_dagbridge_triggered_run", None)
    current = channel.request("dagrun.get", {"dagId": triggered["dagId"], "runId": triggered["runId"]}) if triggered else None
    if current is None:
        raise errors.AirflowException("No DAG run found for DAG %s and logical date %s" % (op.trigger_dag_id, logical_date))
    state = current.get("state")
    if state in failed:
        raise errors.AirflowException("%s failed with failed state %s" % (op.trigger_dag_id, state))
    if state in allowed:
        log.info("%s finished with allowed state %s", op.trigger_dag_id, state)
        return None
    raise errors.AirflowException("%s return %s which is not in %s or %s" % (op.trigger_dag_id, state, failed, allowed))
