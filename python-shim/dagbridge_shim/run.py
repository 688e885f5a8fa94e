"""``python -m dagbridge_shim run``: run one task instance (contract 3, docs/contracts.md section 3).

    python -m dagbridge_shim run --dags-folder DIR --file REL --dag-id ID --task-id ID [--map-index N]
        --result PATH [--no-airflow]

Reads the ``TaskRunInput`` JSON on stdin, imports the DAG file (stand-ins, or real Airflow when importable and
``--no-airflow`` is not given), finds the task (the map index's arguments for a mapped task), builds the context,
renders the templated fields, executes the task and writes the ``TaskRunResult`` JSON to ``--result``.
The task's own stdout/stderr are its log; the shim adds ``LEVEL - message`` lines on stderr. Both pass through
the secrets masker (``runtime/secrets_masker.py``): a connection's password is ``***`` in them once fetched.

Exit codes: 0 when a result was written, whatever the task's state; 2 for bad arguments; 1 when no result
could be written. Outcome mapping (as Airflow's ``_run_raw_task``): AirflowSkipException -> skipped;
AirflowRescheduleException -> up_for_reschedule; AirflowFailException and AirflowSensorTimeout -> failed, not
retryable (as are a missing provider package, missing Jinja2, a deferral, an unknown DAG
or task); any other exception -> failed, retryable. Execution timeouts are enforced by the worker (its task supervisor,
``supervisor.py``, ends the task and everything it started).
"""
import os
import sys

from dagbridge_shim import log
from dagbridge_shim.execution.outcome import classify_import_failure
from dagbridge_shim.execution.runner import run_task
from dagbridge_shim.loader import MODE_STANDIN, choose_mode, load_airflow_world, load_dag_file
from dagbridge_shim.run_contract import RunInputError, failure_result, parse_run_input, write_result
from dagbridge_shim.runtime import channel, secrets_masker

USAGE = ("usage: python -m dagbridge_shim run --dags-folder DIR --file REL_PATH --dag-id ID --task-id ID "
         "[--map-index N] --result PATH [--no-airflow]")

_OPTIONS = {"--dags-folder": "dags_folder", "--file": "file", "--dag-id": "dag_id", "--task-id": "task_id",
            "--map-index": "map_index", "--result": "result"}
_REQUIRED = ("dags_folder", "file", "dag_id", "task_id", "result")


class UsageError(ValueError):
    pass


class RunFailure(Exception):
    """A failure before the task's own code runs (bad input, unknown DAG or task); ``type`` names it."""

    def __init__(self, type_name, message, retryable):
        super().__init__(message)
        self.type_name = type_name
        self.retryable = retryable


def parse_args(argv):
    """``{dags_folder, file, dag_id, task_id, map_index, result, no_airflow}`` from the command line."""
    args = {"map_index": -1, "no_airflow": False}
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--no-airflow":
            args["no_airflow"] = True
            index += 1
            continue
        name, _, inline = token.partition("=")
        if name not in _OPTIONS:
            raise UsageError("unknown argument %r" % token)
        if inline or "=" in token:
            value = inline
            index += 1
        else:
            if index + 1 >= len(argv):
                raise UsageError("%s needs a value" % name)
            value = argv[index + 1]
            index += 2
        args[_OPTIONS[name]] = value
    missing = ["--" + key.replace("_", "-") for key in _REQUIRED if not args.get(key)]
    if missing:
        raise UsageError("missing %s" % ", ".join(missing))
    try:
        args["map_index"] = int(args["map_index"])
    except ValueError:
        raise UsageError("--map-index must be an integer, got %r" % args["map_index"]) from None
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0
    try:
        args = parse_args(argv)
    except UsageError as error:
        print("dagbridge_shim run: %s\n%s" % (error, USAGE), file=sys.stderr)
        return 2
    return execute(args, sys.stdin)


def execute(args, stdin, load=None):
    """Runs the task of parsed arguments, writes its result; the exit code of ``run`` (``load``: see :func:`run`)."""
    if not os.path.isdir(args["dags_folder"]):
        print("dagbridge_shim run: --dags-folder %s is not a directory" % args["dags_folder"], file=sys.stderr)
        return 2
    secrets_masker.install()
    result = redact_result(run(args, stdin, load))
    secrets_masker.flush()
    try:
        write_result(args["result"], result)
    except OSError as error:
        print("dagbridge_shim run: could not write the result to %s: %s" % (args["result"], error), file=sys.stderr)
        return 1
    return 0


def redact_result(result):
    """The result with secrets masked where Airflow masks them: the error's message and traceback (as logged),
    and the rendered template fields (as ``RenderedTaskInstanceFields`` stores them). Values under a sensitive
    name (``env={"API_PASSWORD": ...}``) are masked even when no secret was registered."""
    error = result.get("error")
    if isinstance(error, dict) and secrets_masker.active():
        for key in ("message", "traceback"):
            if isinstance(error.get(key), str):
                error[key] = secrets_masker.redact_text(error[key])
    rendered = result.get("renderedFields")
    if isinstance(rendered, dict):
        result["renderedFields"] = {name: secrets_masker.redact(value, name) for name, value in rendered.items()}
    return result


def read_input(stream, args):
    """The ``RunInput`` on ``stream``, checked against the command line's DAG id, task id and map index."""
    try:
        run_input = parse_run_input(stream.read())
    except RunInputError as error:
        raise RunFailure("RunInputError", str(error), False) from None
    for field, value in (("dagId", args["dag_id"]), ("taskId", args["task_id"]), ("mapIndex", args["map_index"])):
        given = getattr(run_input, {"dagId": "dag_id", "taskId": "task_id", "mapIndex": "map_index"}[field])
        if given != value:
            raise RunFailure("RunInputError", "task run input %s %r does not match the command line's %r"
                             % (field, given, value), False)
    return run_input


def run(args, stdin, load=None):
    """Runs the task instance the arguments and stdin describe; returns the result document (never raises).

    ``load`` replaces :func:`load_dag_file` (the fork server hands over the DAGs it parsed before the fork)."""
    # The channel's address leaves the environment before any task code runs: a BashOperator's shell and other
    # commands the task starts do not inherit the token.
    channel.take_environment()
    try:
        run_input = read_input(stdin, args)
        dag, task, mode = load_task(args, run_input.variables, load)
    except RunFailure as failure:
        log.error("%s", failure)
        return failure_result(failure.type_name, str(failure), "", failure.retryable)
    except BaseException as error:  # a DAG file that fails to import: the task fails like Airflow's would
        if isinstance(error, KeyboardInterrupt):
            raise
        outcome = classify_import_failure(error, os.path.join(args["dags_folder"], args["file"]))
        log.error("Failed to import the DAG file %s", args["file"])
        sys.stderr.write(outcome.traceback)
        return failure_result(outcome.type_name, outcome.message, outcome.traceback, outcome.retryable)
    return run_task(task, dag, run_input, mode)


def load_task(args, variables=None, load=None):
    """Imports the DAG file and returns (dag, task, mode) with mode ``standin`` or ``airflow``.

    With the stand-ins, the run's variables are given to ``Variable`` before the file is imported, so that
    ``Variable.get`` at the top of a DAG file sees them too.
    """
    if choose_mode(no_airflow=args["no_airflow"]) == MODE_STANDIN:
        load_airflow_world(variables)
    rel_path = args["file"]
    if not os.path.isfile(os.path.join(args["dags_folder"], rel_path)):
        raise RunFailure("DagFileNotFound", "DAG file %s not found in the DAGs folder %s"
                         % (rel_path, args["dags_folder"]), False)
    dags = (load or load_dag_file)(args["dags_folder"], rel_path, not args["no_airflow"])
    airflow_module = sys.modules.get("airflow")
    mode = "standin" if airflow_module is None or getattr(airflow_module, "DAGBRIDGE_STANDIN", False) else "airflow"
    dag = dags.get(args["dag_id"])
    if dag is None:
        raise RunFailure("DagNotFound", "DAG %r is not defined in %s (found: %s)"
                         % (args["dag_id"], rel_path, ", ".join(sorted(dags)) or "none"), False)
    task_dict = getattr(dag, "task_dict", None) or {}
    task = task_dict.get(args["task_id"])
    if task is None:
        raise RunFailure("TaskNotFound", "Task %r is not in DAG %r (%s)" % (args["task_id"], args["dag_id"], rel_path),
                         False)
    return dag, task, mode


if __name__ == "__main__":
    sys.exit(main())
