"""Contract 3 on the Python side (docs/contracts.md section 3): the ``TaskRunInput`` the worker writes on stdin and
the ``TaskRunResult`` the shim writes to ``--result``.

``RunInput`` parses and checks the input; ``Outcome`` is what happened to the task (its state and, for a
failure, the typed error); ``empty_result``, ``failure_result`` and ``apply_outcome`` build the result document,
``write_result`` writes it. The TypeScript side of the same contract is ``src/worker/task-run-contract.ts``.
"""
import json
import os

from dagbridge_shim.runtime.datetimes import parse_instant

#: Contract version of the task run input and result documents.
TASK_RUN_CONTRACT_VERSION = 1


class RunInputError(ValueError):
    """The task run input on stdin does not match the contract; names the field."""


_REQUIRED_INPUT_FIELDS = (
    "dagId", "taskId", "runId", "mapIndex", "tryNumber", "maxTries", "runType", "logicalDate",
    "dataIntervalStart", "dataIntervalEnd", "runAfter", "conf", "xcoms", "variables", "testMode",
)


class RunInput:
    """The parsed ``TaskRunInput``: the task-instance key, the run's dates, conf, upstream XComs, variables."""

    def __init__(self, document):
        if not isinstance(document, dict):
            raise RunInputError("task run input must be a JSON object, got %s" % type(document).__name__)
        version = document.get("version")
        if version != TASK_RUN_CONTRACT_VERSION:
            raise RunInputError(
                "task run input version %r is not supported (this shim reads version %d); use the python-shim "
                "shipped with this dagbridge version" % (version, TASK_RUN_CONTRACT_VERSION)
            )
        missing = [name for name in _REQUIRED_INPUT_FIELDS if name not in document]
        if missing:
            raise RunInputError("task run input is missing field(s): %s" % ", ".join(missing))
        self.dag_id = document["dagId"]
        self.task_id = document["taskId"]
        self.run_id = document["runId"]
        self.map_index = int(document["mapIndex"])
        self.try_number = int(document["tryNumber"])
        self.max_tries = int(document["maxTries"])
        self.run_type = document["runType"]
        self.conf = document.get("conf") or {}
        if not isinstance(self.conf, dict):
            raise RunInputError("task run input field conf must be an object")
        self.xcoms = document.get("xcoms") or []
        self.variables = document.get("variables") or {}
        self.test_mode = bool(document.get("testMode"))
        self.logical_date = _instant_field(document, "logicalDate")
        self.data_interval_start = _instant_field(document, "dataIntervalStart")
        self.data_interval_end = _instant_field(document, "dataIntervalEnd")
        self.run_after = _instant_field(document, "runAfter")
        self.dag_run_start_date = _instant_field(document, "dagRunStartDate")
        # Optional (older workers omit them): the run's queued_at, end_date and DAG version hash (dag_hash).
        self.dag_run_queued_at = _instant_field(document, "dagRunQueuedAt")
        self.dag_run_end_date = _instant_field(document, "dagRunEndDate")
        dag_hash = document.get("dagHash")
        if dag_hash is not None and not isinstance(dag_hash, str):
            raise RunInputError("task run input field dagHash must be a string, got %r" % (dag_hash,))
        self.dag_hash = dag_hash
        self.sensor_first_poke_at = _instant_field(document, "sensorFirstPokeAt")
        self.prev_data_interval_start_success = _instant_field(document, "prevDataIntervalStartSuccess")
        self.prev_data_interval_end_success = _instant_field(document, "prevDataIntervalEndSuccess")
        self.prev_start_date_success = _instant_field(document, "prevStartDateSuccess")
        # Optional (older workers omit them): Airflow 2's external_trigger, and the next run's data interval.
        external = document.get("externalTrigger")
        if external is not None and not isinstance(external, bool):
            raise RunInputError("task run input field externalTrigger must be a boolean, got %r" % (external,))
        self.external_trigger = self.run_type == "manual" if external is None else external
        self.next_data_interval_known = "nextDataInterval" in document
        self.next_data_interval = _interval_field(document, "nextDataInterval")
        self.prev_end_date_success = _instant_field(document, "prevEndDateSuccess")
        # Dataset events the task may read: its inlets' (inlet_events) and the run's consumed ones.
        self.inlet_events = _list_field(document, "inletEvents")
        self.triggering_dataset_events = _list_field(document, "triggeringDatasetEvents")


def _list_field(document, name):
    value = document.get(name) or []
    if not isinstance(value, list):
        raise RunInputError("task run input field %s must be a list" % name)
    return value


def _instant_field(document, name):
    try:
        return parse_instant(document.get(name))
    except (TypeError, ValueError, AttributeError):
        raise RunInputError("task run input field %s is not an ISO 8601 instant: %r" % (name, document.get(name)))


def _interval_field(document, name):
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or "start" not in value or "end" not in value:
        raise RunInputError("task run input field %s must be null or {start, end}, got %r" % (name, value))
    return _instant_field(value, "start"), _instant_field(value, "end")


def parse_run_input(text):
    """The ``RunInput`` of the JSON ``text`` read from stdin (an empty input reads as ``null`` and is refused)."""
    try:
        document = json.loads(text or "null")
    except ValueError as error:
        raise RunInputError("task run input on stdin is not JSON: %s" % error) from None
    return RunInput(document)


class Outcome:
    """The state an exception leads to, and the error to report (None for skipped / up_for_reschedule)."""

    def __init__(self, state, type_name=None, message="", traceback="", retryable=True, reschedule_at=None):
        self.state = state
        self.type_name = type_name
        self.message = message
        self.traceback = traceback
        self.retryable = retryable
        self.reschedule_at = reschedule_at

    def error(self):
        if self.state != "failed":
            return None
        return {"type": self.type_name, "message": self.message, "traceback": self.traceback,
                "retryable": self.retryable}


def empty_result(state):
    """A result document in ``state`` with nothing else to report."""
    return {"version": TASK_RUN_CONTRACT_VERSION, "state": state, "xcoms": [], "followTaskIds": None,
            "skipTaskIds": [], "rescheduleAt": None, "error": None, "renderedFields": {}, "triggerDagRuns": [],
            "outletEvents": [], "renderedMapIndex": None}


def failure_result(type_name, message, traceback_text, retryable):
    """A failed result with its typed error."""
    result = empty_result("failed")
    result["error"] = {"type": type_name, "message": message, "traceback": traceback_text, "retryable": retryable}
    return result


def apply_outcome(result, outcome):
    """Sets the state, error and reschedule time of ``outcome`` on ``result``."""
    result["state"] = outcome.state
    result["error"] = outcome.error()
    result["rescheduleAt"] = outcome.reschedule_at


def write_result(path, result):
    """Writes the result document atomically (a reader never sees half a file)."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(result, handle, allow_nan=False)
    os.replace(temporary, path)
