"""One task instance, start to finish: unmap, context, templates, execute, XComs, callbacks, outcome.

The order follows Airflow's ``TaskInstance._execute_task_with_callbacks``: the context is current (for
``get_current_context()``) from template rendering to the end of the callbacks; ``on_execute_callback`` runs
before ``execute``; the return value is pushed as ``return_value`` (and each key with ``multiple_outputs``)
unless ``do_xcom_push`` is False; ``on_success_callback`` / ``on_failure_callback`` / ``on_retry_callback`` /
``on_skipped_callback`` run afterwards, and their errors are logged, never change the outcome.

Stand-in operators execute through their own ``execute`` (which delegates to this package). Under real Airflow
the kinds dagbridge models run through this package too (Airflow's own implementations need its metadata
database, or put subprocesses outside the task's process group); custom and provider operators run their own
``execute``.
"""
import logging
import os
import sys
import traceback

from dagbridge_shim import log, plugins
from dagbridge_shim.airflow_errors import raise_airflow
from dagbridge_shim.execution.common import is_bash_decorated
from dagbridge_shim.execution.deferral import is_deferral, resume_deferred
from dagbridge_shim.execution.outcome import classify
from dagbridge_shim.run_contract import apply_outcome, empty_result
from dagbridge_shim.runtime.airflow_vars import context_to_airflow_vars
from dagbridge_shim.runtime.context import build_context
from dagbridge_shim.runtime.current_context import set_current_context
from dagbridge_shim.runtime.dataset_events import outlet_event_records
from dagbridge_shim.runtime.datetimes import utcnow
from dagbridge_shim.runtime.resolve import resolve_expand_input
from dagbridge_shim.runtime.xcom import RETURN_KEY, XComStore
from dagbridge_shim.templating import render_map_index, render_template_fields, rendered_fields


def unmap_task(task, run_input, xcom_store, dag, airflow_style):
    """For a mapped task: the task with the arguments of ``run_input.map_index`` set, and the ids of values that
    came from XComs (not rendered as templates). Other tasks are returned as they are."""
    if not getattr(task, "is_mapped", False):
        return task, set()
    expand_input = getattr(task, "expand_input", None)
    if expand_input is None:
        expand_input = getattr(task, "_expand_input", None)
    context = build_context(task, dag, run_input, xcom_store, airflow_style)
    oids = set()
    mapped_kwargs = resolve_expand_input(expand_input, run_input.map_index, context, oids)
    return task.unmap(mapped_kwargs), oids


def _task_style(dag, mode):
    style = getattr(dag, "airflow_style", None)
    if style in (2, 3):
        return style
    if mode == "airflow":
        version = str(getattr(sys.modules.get("airflow"), "__version__", "2"))
        return 3 if version.startswith("3") else 2
    return 2


def _operator_callable(task, mode):
    """The function that executes ``task`` in ``mode``."""
    if mode != "airflow":
        return task.execute
    # Imported for real Airflow's operators only: a stand-in task loads just its own kind (through its execute).
    from dagbridge_shim.execution.airflow_operators import operator_callable

    return operator_callable(task)


def _push_return_value(task, ti, value):
    if value is None or not getattr(task, "do_xcom_push", True):
        return
    if getattr(task, "multiple_outputs", False):
        if not isinstance(value, dict):
            raise_airflow("AirflowException", "Returned output was type %s expected dictionary for multiple_outputs"
                          % type(value))
        for key in value:
            if not isinstance(key, str):
                raise_airflow("AirflowException", "Returned dictionary keys must be strings when using "
                              "multiple_outputs, found %s (%s) instead" % (key, type(key)))
        for key, element in value.items():
            ti.xcom_push(key=key, value=element)
    ti.xcom_push(key=RETURN_KEY, value=value)


def _callbacks(task, name):
    callbacks = getattr(task, name, None)
    if callbacks is None:
        return []
    return list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]


def _run_callbacks(task, name, context):
    for callback in _callbacks(task, name):
        try:
            callback(context)
        except Exception:
            log.error("Error when executing %s callback %r:\n%s", name, callback, traceback.format_exc().rstrip())


def _stamp(value):
    return value.strftime("%Y%m%dT%H%M%S") if value is not None else None


def _marking(state, run_input, start_date):
    details = "dag_id=%s, task_id=%s, run_id=%s, " % (run_input.dag_id, run_input.task_id, run_input.run_id)
    if run_input.map_index >= 0:
        details += "map_index=%d, " % run_input.map_index
    details += "logical_date=%s, start_date=%s, end_date=%s" % (
        _stamp(run_input.logical_date), _stamp(start_date), _stamp(utcnow()))
    log.info("Marking task as %s. %s", state, details)


def configure_logging():
    """Python logging of task code (``self.log.info``, ``logging.getLogger(...)``) goes to stderr as
    ``LEVEL - message`` at INFO, like Airflow's task log handler."""
    root = logging.getLogger()
    if not any(getattr(handler, "_dagbridge", False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
        handler._dagbridge = True
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def export_context_variables(context, airflow_style):
    """``AIRFLOW_CTX_*`` in the task's own environment, as Airflow sets them before ``execute``."""
    os.environ.update(context_to_airflow_vars(context, airflow_style))


def run_task(task, dag, run_input, mode):
    """Runs ``task`` for ``run_input`` and returns the ``TaskRunResult`` document."""
    airflow_style = _task_style(dag, mode)
    xcom_store = XComStore(run_input.xcoms, run_input.map_index,
                           {"dag_id": run_input.dag_id, "run_id": run_input.run_id})
    result = empty_result("success")
    context = None
    start_date = utcnow()
    outcome = None
    runnable = task
    try:
        plugins.ensure_loaded(mode)
        runnable, xcom_oids = unmap_task(task, run_input, xcom_store, dag, airflow_style)
        context = build_context(runnable, dag, run_input, xcom_store, airflow_style)
        configure_logging()
        export_context_variables(context, airflow_style)
        with set_current_context(context):
            try:
                render_template_fields(runnable, context, None, xcom_oids)
                result["renderedFields"] = rendered_fields(runnable)
                pre_execute = getattr(runnable, "pre_execute", None)
                if callable(pre_execute):
                    pre_execute(context)
                _run_callbacks(runnable, "on_execute_callback", context)
                plugins.task_running(context["ti"], mode)
                try:
                    try:
                        value = _operator_callable(runnable, mode)(context)
                    except BaseException as error:
                        if not is_deferral(error):
                            raise
                        value = resume_deferred(runnable, error, context)
                except BaseException:
                    # As Airflow: a template that cannot render must not mask the task's own error.
                    result["renderedMapIndex"] = _map_index_or_none(runnable, context)
                    raise
                # A successful task fails when its map_index_template cannot render (as in Airflow).
                result["renderedMapIndex"] = render_map_index(runnable, context)
                post_execute = getattr(runnable, "post_execute", None)
                if callable(post_execute):
                    post_execute(context, value)
                _push_return_value(runnable, context["ti"], value)
            except BaseException as error:
                if isinstance(error, GeneratorExit):
                    raise
                outcome = classify(error)
                context["exception"] = error
                _report(outcome, runnable, context, run_input, start_date, mode)
            else:
                _marking("SUCCESS", run_input, start_date)
                _run_callbacks(runnable, "on_success_callback", context)
                plugins.task_finished(context["ti"], mode, "success")
    except BaseException as error:  # unmapping or building the context failed
        if isinstance(error, GeneratorExit):
            raise
        outcome = classify(error)
        _report(outcome, runnable, context, run_input, start_date, mode)
    if is_bash_decorated(runnable) and isinstance(getattr(runnable, "bash_command", None), str):
        # The command of @task.bash is known only once its function ran: Airflow rewrites the rendered fields
        # then (BashOperator.refresh_bash_command), so they show the command that was run.
        result["renderedFields"] = rendered_fields(runnable)
    ti = context["ti"] if context is not None else None
    if outcome is not None:
        apply_outcome(result, outcome)
    result["xcoms"] = xcom_store.pushed()
    decision = getattr(ti, "_branch_decision", None)
    if decision is not None and result["state"] == "success":
        result["followTaskIds"] = decision.follow_task_ids
        result["skipTaskIds"] = decision.skip_task_ids
    if result["state"] == "success":
        result["triggerDagRuns"] = list(getattr(ti, "_trigger_requests", None) or [])
        result["outletEvents"] = outlet_event_records(runnable, context["outlet_events"])
    return result


def _map_index_or_none(task, context):
    try:
        return render_map_index(task, context)
    except Exception:  # the task already failed; its own error is the one to report
        return None


def _report(outcome, task, context, run_input, start_date, mode):
    if outcome.state == "skipped":
        if outcome.message:
            log.info("%s", outcome.message)
        _marking("SKIPPED", run_input, start_date)
        if context is not None:
            _run_callbacks(task, "on_skipped_callback", context)
        return
    if outcome.state == "up_for_reschedule":
        log.info("Rescheduling task, marking task as UP_FOR_RESCHEDULE (next poke at %s)", outcome.reschedule_at)
        return
    log.error("Task failed with exception")
    sys.stderr.write(outcome.traceback if outcome.traceback.endswith("\n") else outcome.traceback + "\n")
    retries = getattr(task, "retries", 0) or 0
    will_retry = outcome.retryable and retries and run_input.try_number <= run_input.max_tries
    _marking("UP_FOR_RETRY" if will_retry else "FAILED", run_input, start_date)
    if context is not None:
        # As Airflow's handle_failure: the listeners hear of the failure before the task's own callbacks run.
        plugins.task_finished(context["ti"], mode, "up_for_retry" if will_retry else "failed", context.get("exception"))
        _run_callbacks(task, "on_retry_callback" if will_retry else "on_failure_callback", context)
