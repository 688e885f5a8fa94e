"""One DAG file: its hash and imports, its DAGs imported and converted to DagSpecs, or its import error."""
import ast
import hashlib
import json
import os
import time
import traceback

from dagbridge_shim import convert, loader, standin_gaps
from dagbridge_shim.graph import find_cycle

# The package's own frames are left out of a DAG file's import traceback.
_SHIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_imports(tree):
    """Top-level names of every absolute import in a parsed file (also inside functions), sorted."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    names.discard("__future__")
    return sorted(names)


def describe_file(path, rel, content):
    """hash, imports and style of a file's bytes (imports empty when it does not parse)."""
    entry = {"path": rel, "hash": hashlib.sha256(content).hexdigest(), "imports": [], "dagIds": [], "parseSeconds": 0.0}
    style = 2
    try:
        tree = ast.parse(content, filename=path)
    except (SyntaxError, ValueError):
        return entry, style
    entry["imports"] = read_imports(tree)
    style = 3 if loader.uses_airflow_sdk(tree) else 2
    return entry, style


def format_error(exc, path):
    """type, message and traceback of an import failure, starting at the DAG file's own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    shim_dir = _SHIM_DIR
    start = len(frames)
    for index, frame in enumerate(frames):
        if not frame.filename.startswith(shim_dir + os.sep) and not frame.filename.startswith("<frozen"):
            start = index
            break
    lines = []
    if frames[start:]:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames[start:]))
    type_name, message = type(exc).__name__, str(exc)
    gap = standin_gaps.describe(exc)
    if gap is not None:
        type_name, message = gap
        lines.append("%s: %s\n" % gap)
    else:
        lines.extend(traceback.format_exception_only(type(exc), exc))
    if not message and isinstance(exc, SystemExit):
        message = "SystemExit(%r)" % (exc.code,)
    return {"type": type_name, "message": message, "traceback": "".join(lines)}


def import_file(path, rel, file_hash, style, mode):
    """Imports one DAG file in the current process: ({dags: [DagSpec], errors: [...]})."""
    result = {"dags": [], "errors": []}
    started = time.perf_counter()
    try:
        if mode == loader.MODE_AIRFLOW:
            dags, errors = _import_with_airflow(path)
            result["errors"].extend(errors)
        else:
            dags = loader.import_standin_file(path, style)
    except BaseException as exc:  # noqa: BLE001 - anything a DAG file raises (even SystemExit) is its import error
        result["errors"].append(format_error(exc, path))
        dags = []
    result["parseSeconds"] = time.perf_counter() - started
    seen = set()
    for dag in dags:
        if dag.dag_id in seen:
            continue
        seen.add(dag.dag_id)
        faulty = find_cycle(dag.task_dict)
        if faulty is not None:
            result["errors"].append({
                "type": "AirflowDagCycleException",
                "message": "Cycle detected in DAG: %s. Faulty task: %s" % (dag.dag_id, faulty),
                "traceback": "",
            })
            continue
        bag_error = _bag_validation_error(dag, path, mode)
        if bag_error is not None:
            result["errors"].append(bag_error)
            continue
        try:
            result["dags"].append(convert.dag_spec(dag, rel, file_hash, style))
        except Exception as exc:  # noqa: BLE001 - a DAG the bundle cannot express is that file's import error
            error = format_error(exc, path)
            error["message"] = "DAG %s: %s" % (dag.dag_id, error["message"])
            result["errors"].append(error)
    return result


def _bag_validation_error(dag, path, mode):
    """Airflow 2.10.5's DagBag runs ``dag.validate()`` before bagging a DAG: a DAG that changed after ``DAG()``
    (an ``@dag`` function's params) and now breaks the schedule-and-params rule is that file's import error
    (``"{type}: {message}"``), the file's other DAGs still load. Real Airflow's DagBag has done it already."""
    check = getattr(dag, "validate_schedule_and_params", None)
    if mode == loader.MODE_AIRFLOW or getattr(dag, "airflow_style", 2) == 3 or not callable(check):
        return None
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - what dag.validate() raises is the file's import error
        return format_error(exc, path)
    return None


def _import_with_airflow(path):
    # Real Airflow's DagBag: importable only in Airflow mode, loaded by build_bundle before the children fork.
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=path, include_examples=False, safe_mode=False)
    errors = []
    for _file, message in sorted((getattr(bag, "import_errors", None) or {}).items()):
        text = str(message)
        last = text.strip().splitlines()[-1] if text.strip() else ""
        error_type, _, error_message = last.partition(": ")
        if not error_type or " " in error_type:
            error_type, error_message = "ImportError", last
        errors.append({"type": error_type, "message": error_message, "traceback": text})
    return list(bag.dags.values()), errors


def import_file_safely(job, mode):
    """Describes (hash, imports, style) and imports one file; never raises."""
    entry, style = describe_file(job["abs"], job["rel"], job["content"])
    try:
        result = import_file(job["abs"], job["rel"], entry["hash"], style, mode)
    except BaseException as exc:  # noqa: BLE001 - report it as this file's error and go on
        result = {"dags": [], "errors": [format_error(exc, job["abs"])], "parseSeconds": 0.0}
    result["hash"] = entry["hash"]
    result["imports"] = entry["imports"]
    return result


def encode_result(result):
    """One file's result on the wire: a header line, then one line per DagSpec. The DagSpecs stay JSON
    text in the parent, which splices them into the bundle instead of decoding and encoding them again."""
    dags = [json.dumps(spec, allow_nan=False, separators=(",", ":")).encode("utf-8") for spec in result["dags"]]
    header = {"dagIds": [spec["dagId"] for spec in result["dags"]], "errors": result["errors"],
              "parseSeconds": result.get("parseSeconds", 0.0), "hash": result["hash"], "imports": result["imports"]}
    return b"\n".join([json.dumps(header).encode("utf-8")] + dags) + b"\n"
