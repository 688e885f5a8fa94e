"""``python -m dagbridge_shim dag-callback``: call a DAG's ``on_success_callback`` / ``on_failure_callback`` once its
run has ended, or the plugin listeners' DAG-run hook of one state change of a run (docs/dag-callbacks.md).

    python -m dagbridge_shim dag-callback --kind success|failure --reason REASON --dag-run-state STATE
        --ti-state STATE --dags-folder DIR --file REL --dag-id ID --task-id ID [--map-index N] --result PATH
        [--no-airflow]
    python -m dagbridge_shim dag-callback --hook on_dag_run_running|on_dag_run_success|on_dag_run_failed
        --msg MSG --dag-run-state STATE --dags-folder DIR --file REL --dag-id ID --task-id ID --result PATH
        [--no-airflow]

With ``--hook``, the task input only carries the run (any task of the DAG names it): the listeners get the run's
``DagRun`` (with ``dag`` the DAG loaded from its file, ``state`` the state it entered) and ``msg``, as Airflow
2.10.5's ``DagRun.notify_dagrun_state_changed`` calls them in the scheduler; an error in a listener is logged.

Reads the ``TaskRunInput`` of the run's last task instance that is not ``removed`` on stdin (Airflow 2.10.5's
``DAG.fetch_callback`` takes ``tis[-1]``), builds that task instance's context, adds ``reason`` (``success``,
``task_failure``, ``all_tasks_deadlocked``, ``timed_out``) and calls each callback in order, as
``DAG.execute_callback`` does: ``Executing dag callback function: ...`` before each, an exception is logged
(``failed to invoke dag state update callback``) and the next callback still runs. Nothing it does changes the
run. The result document says ``success`` once the callbacks were called, ``failed`` when the DAG could not be
loaded. Exit codes as ``run``.
"""
import os
import sys
import traceback

from dagbridge_shim import log
from dagbridge_shim.run import RunFailure, UsageError, load_task, parse_args, read_input
from dagbridge_shim.run_contract import empty_result, failure_result, write_result
from dagbridge_shim.runtime import channel, secrets_masker

USAGE = ("usage: python -m dagbridge_shim dag-callback (--kind success|failure --reason REASON --ti-state STATE | "
         "--hook HOOK --msg MSG) --dag-run-state STATE --dags-folder DIR --file REL_PATH --dag-id ID --task-id ID "
         "[--map-index N] --result PATH [--no-airflow]")

_OWN = {"--kind": "kind", "--reason": "reason", "--dag-run-state": "dag_run_state", "--ti-state": "ti_state",
        "--hook": "hook", "--msg": "msg"}


def split_args(argv):
    """(own options, the rest for ``run``'s parser)."""
    own, rest, index = {}, [], 0
    while index < len(argv):
        name, sep, inline = argv[index].partition("=")
        if name in _OWN:
            if sep:
                own[_OWN[name]] = inline
                index += 1
            elif index + 1 < len(argv):
                own[_OWN[name]] = argv[index + 1]
                index += 2
            else:
                raise UsageError("%s needs a value" % name)
            continue
        rest.append(argv[index])
        index += 1
    if "hook" in own:
        from dagbridge_shim.plugins import DAG_RUN_HOOKS

        if own["hook"] not in DAG_RUN_HOOKS.values():
            raise UsageError("--hook must be one of %s" % ", ".join(sorted(DAG_RUN_HOOKS.values())))
        if not own.get("dag_run_state"):
            raise UsageError("missing --dag-run-state")
        own.setdefault("msg", "")
        return own, parse_args(rest)
    if own.get("kind") not in ("success", "failure"):
        raise UsageError("--kind must be success or failure")
    for key in ("reason", "dag_run_state", "ti_state"):
        if not own.get(key):
            raise UsageError("missing --%s" % key.replace("_", "-"))
    return own, parse_args(rest)


def callbacks_of(dag, kind):
    """The DAG's callbacks of ``kind`` as a list (a single callable or a list, as Airflow accepts)."""
    callbacks = getattr(dag, "on_success_callback" if kind == "success" else "on_failure_callback", None)
    if not callbacks:
        return []
    return list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]


def call_callbacks(dag, task, run_input, mode, own):
    """Builds the context of ``task``'s instance with ``reason`` and calls the callbacks; never raises for theirs."""
    from dagbridge_shim import plugins
    from dagbridge_shim.execution.runner import _task_style, configure_logging
    from dagbridge_shim.runtime.context import build_context
    from dagbridge_shim.runtime.current_context import set_current_context
    from dagbridge_shim.runtime.xcom import XComStore

    plugins.ensure_loaded(mode)
    xcom_store = XComStore(run_input.xcoms, run_input.map_index, {"dag_id": run_input.dag_id, "run_id": run_input.run_id})
    context = build_context(task, dag, run_input, xcom_store, _task_style(dag, mode))
    context["dag_run"].state = own["dag_run_state"]
    context["ti"].state = own["ti_state"]
    context["reason"] = own["reason"]
    configure_logging()
    with set_current_context(context):
        for callback in callbacks_of(dag, own["kind"]):
            log.info("Executing dag callback function: %s", callback)
            try:
                callback(context)
            except Exception:
                log.error("failed to invoke dag state update callback\n%s", traceback.format_exc().rstrip())


def call_dag_run_hook(dag, run_input, mode, own):
    """The listeners' DAG-run hook with this run's ``DagRun`` as it was when it entered ``--dag-run-state``.
    Returns the listener's error, or None."""
    from dagbridge_shim import plugins
    from dagbridge_shim.execution.runner import configure_logging
    from dagbridge_shim.runtime.models import DagRun

    plugins.ensure_loaded(mode)
    configure_logging()
    dag_run = DagRun(run_input, dag)
    dag_run.state = own["dag_run_state"]
    if dag_run.state == "running":
        dag_run.end_date = None
    return plugins.dag_run_changed(dag_run, own["hook"], own["msg"], mode)


def execute(own, args, stdin, load=None):
    """Loads the DAG and calls its callbacks; writes the result; the exit code."""
    if not os.path.isdir(args["dags_folder"]):
        print("dagbridge_shim dag-callback: --dags-folder %s is not a directory" % args["dags_folder"], file=sys.stderr)
        return 2
    secrets_masker.install()
    channel.take_environment()
    try:
        run_input = read_input(stdin, args)
        dag, task, mode = load_task(args, run_input.variables, load)
        if "hook" in own:
            error = call_dag_run_hook(dag, run_input, mode, own)
            result = empty_result("success") if error is None else failure_result(
                type(error).__name__, str(error), "", False)
        else:
            call_callbacks(dag, task, run_input, mode, own)
            result = empty_result("success")
    except RunFailure as failure:
        log.error("%s", failure)
        result = failure_result(failure.type_name, str(failure), "", False)
    except Exception as error:  # the DAG file fails to import: logged, as Airflow's DAG processor logs it
        text = traceback.format_exc()
        log.error("Could not run the DAG callbacks of %s:\n%s", args["dag_id"], text.rstrip())
        result = failure_result(type(error).__name__, str(error), text, False)
    secrets_masker.flush()
    try:
        write_result(args["result"], result)
    except OSError as error:
        print("dagbridge_shim dag-callback: could not write the result to %s: %s" % (args["result"], error),
              file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0
    try:
        own, args = split_args(argv)
    except UsageError as error:
        print("dagbridge_shim dag-callback: %s\n%s" % (error, USAGE), file=sys.stderr)
        return 2
    return execute(own, args, sys.stdin)
