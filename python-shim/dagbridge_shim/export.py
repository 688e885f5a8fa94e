"""`python -m dagbridge_shim export`: the DAG bundle of a DAG folder (docs/contracts.md section 1).

Isolation: the parent process imports the stand-ins (or Airflow) once, then imports each DAG file in a
forked child, several at a time. A file that raises, loops forever (killed after --file-timeout), calls
sys.exit or crashes the interpreter only becomes an import error of that file. The child converts the file's
DAGs to JSON and sends them through a pipe; DAG objects never cross processes. Where fork is unavailable the
files are imported one after the other in this process (no timeout; see docs/shim.md).

Stdout carries only the bundle: DAG files' prints go to stderr.
"""
import argparse
import hashlib
import json
import os
import select
import signal
import sys
import time
import traceback

from dagbridge_shim import __version__
from dagbridge_shim import discovery, loader

SCHEMA_VERSION = 1
DEFAULT_FILE_TIMEOUT = 30.0


class UsageError(Exception):
    """Bad arguments: exit code 2."""


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m dagbridge_shim export", description="Export a DAG folder as a DAG bundle (JSON on stdout).")
    parser.add_argument("--dags-folder", required=True)
    parser.add_argument("--plugins-folder")
    parser.add_argument("--no-airflow", action="store_true", help="use the stand-ins even when Apache Airflow is importable")
    parser.add_argument("--no-safe-mode", action="store_true", help="import every .py file, not only those mentioning airflow and dag")
    parser.add_argument("--file-timeout", type=float, default=None, help="seconds per file import (default 30, or AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT)")
    parser.add_argument("--ignore-syntax", choices=[discovery.SYNTAX_REGEXP, discovery.SYNTAX_GLOB], default=None,
                        help=".airflowignore syntax (default regexp, or AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX)")
    parser.add_argument("--files", nargs="+", default=None, help="only these files, relative to the DAGs folder")
    parser.add_argument("--parallelism", type=int, default=None, help="files imported at once (default: CPU count)")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON")

    def error(message):
        raise UsageError(message)

    parser.error = error
    args = parser.parse_args(argv)
    if args.file_timeout is None:
        env_timeout = os.environ.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT")
        try:
            args.file_timeout = float(env_timeout) if env_timeout else DEFAULT_FILE_TIMEOUT
        except ValueError:
            raise UsageError("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT must be a number of seconds, got %r" % env_timeout) from None
    if args.file_timeout <= 0:
        raise UsageError("--file-timeout must be a positive number of seconds")
    if args.ignore_syntax is None:
        args.ignore_syntax = discovery.ignore_syntax_from_env()
    return args


# -- one file -------------------------------------------------------------------------------------------------


def read_imports(tree):
    """Top-level names of every absolute import in a parsed file (also inside functions), sorted."""
    import ast

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
    import ast

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
    shim_dir = os.path.dirname(os.path.abspath(__file__))
    start = len(frames)
    for index, frame in enumerate(frames):
        if not frame.filename.startswith(shim_dir + os.sep) and not frame.filename.startswith("<frozen"):
            start = index
            break
    lines = []
    if frames[start:]:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames[start:]))
    lines.extend(traceback.format_exception_only(type(exc), exc))
    message = str(exc)
    if not message and isinstance(exc, SystemExit):
        message = "SystemExit(%r)" % (exc.code,)
    return {"type": type(exc).__name__, "message": message, "traceback": "".join(lines)}


def import_file(path, rel, file_hash, style, mode):
    """Imports one DAG file in the current process: ({dags: [DagSpec], errors: [...]})."""
    from dagbridge_shim import convert
    from dagbridge_shim.graph import find_cycle

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
        try:
            result["dags"].append(convert.dag_spec(dag, rel, file_hash, style))
        except Exception as exc:  # noqa: BLE001 - a DAG the bundle cannot express is that file's import error
            error = format_error(exc, path)
            error["message"] = "DAG %s: %s" % (dag.dag_id, error["message"])
            result["errors"].append(error)
    return result


def _import_with_airflow(path):
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


# -- many files ------------------------------------------------------------------------------------------------


def _child(job, mode, write_fd):
    """Runs in a forked child: import, convert, send one JSON line, exit without cleanup."""
    code = 0
    try:
        os.dup2(2, 1)  # the DAG file's prints must not reach the bundle on stdout
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        result = import_file(job["abs"], job["rel"], job["hash"], job["style"], mode)
        payload = json.dumps(result, allow_nan=False).encode("utf-8")
    except BaseException as exc:  # noqa: BLE001 - report, never let a child continue the parent's work
        try:
            payload = json.dumps({"dags": [], "errors": [format_error(exc, job["abs"])], "parseSeconds": 0.0}).encode("utf-8")
        except BaseException:  # noqa: BLE001
            payload = b""
            code = 70
    try:
        view = memoryview(payload)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001 - the parent reports a child without a result
        code = 71
    finally:
        os._exit(code)


def _run_forked(jobs, mode, timeout, parallelism):
    """Results by rel path. At most `parallelism` children at once; each killed after `timeout` s."""
    results = {}
    pending = list(jobs)
    running = {}  # read fd -> (job, pid, started, chunks)
    while pending or running:
        while pending and len(running) < parallelism:
            job = pending.pop(0)
            read_fd, write_fd = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                _child(job, mode, write_fd)
            os.close(write_fd)
            running[read_fd] = (job, pid, time.monotonic(), [])
        now = time.monotonic()
        wait = max(0.0, min(started + timeout - now for (_, _, started, _) in running.values()))
        readable, _, _ = select.select(list(running), [], [], min(wait, 1.0))
        for fd in readable:
            job, pid, started, chunks = running[fd]
            data = os.read(fd, 1 << 20)
            if data:
                chunks.append(data)
                continue
            os.close(fd)
            del running[fd]
            _, status = os.waitpid(pid, 0)
            results[job["rel"]] = _child_result(job, status, b"".join(chunks))
        now = time.monotonic()
        for fd, (job, pid, started, _chunks) in list(running.items()):
            if now - started >= timeout:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                os.close(fd)
                del running[fd]
                results[job["rel"]] = {
                    "dags": [],
                    "errors": [{
                        "type": "AirflowTaskTimeout",
                        "message": "DagBag import timeout for %s after %ss." % (job["rel"], _fmt_seconds(timeout)),
                        "traceback": "The import of %s did not finish within %ss (--file-timeout); it was stopped.\n"
                                     % (job["rel"], _fmt_seconds(timeout)),
                    }],
                    "parseSeconds": float(timeout),
                }
    return results


def _fmt_seconds(value):
    return ("%d" % value) if float(value).is_integer() else ("%g" % value)


def _child_result(job, status, payload):
    if payload:
        try:
            return json.loads(payload.decode("utf-8"))
        except ValueError:
            pass
    if os.WIFSIGNALED(status):
        how = "signal %d" % os.WTERMSIG(status)
    else:
        how = "exit code %d" % os.WEXITSTATUS(status)
    return {
        "dags": [],
        "errors": [{
            "type": "ImportProcessDied",
            "message": "importing %s ended the process (%s) before it reported its DAGs" % (job["rel"], how),
            "traceback": "",
        }],
        "parseSeconds": 0.0,
    }


def _run_in_process(jobs, mode):
    results = {}
    real_stdout = os.dup(1)
    try:
        os.dup2(2, 1)
        for job in jobs:
            try:
                results[job["rel"]] = import_file(job["abs"], job["rel"], job["hash"], job["style"], mode)
            except BaseException as exc:  # noqa: BLE001
                results[job["rel"]] = {"dags": [], "errors": [format_error(exc, job["abs"])], "parseSeconds": 0.0}
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
        os.close(real_stdout)
    return results


def default_parallelism():
    env = os.environ.get("DAGBRIDGE_EXPORT_PARALLELISM")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# -- the bundle ------------------------------------------------------------------------------------------------


def select_files(dags_folder, args):
    """(rel, abs) of the files to consider, in order."""
    walked = list(discovery.iter_python_files(dags_folder, args.ignore_syntax))
    if args.files is None:
        return [(os.path.relpath(p, dags_folder).replace(os.sep, "/"), p) for p in walked]
    allowed = {os.path.abspath(p) for p in walked}
    chosen = []
    for rel in args.files:
        path = os.path.abspath(os.path.join(dags_folder, rel))
        if path in allowed or not os.path.isfile(path):
            chosen.append((os.path.relpath(path, dags_folder).replace(os.sep, "/"), path))
    return chosen


def build_bundle(args):
    dags_folder = os.path.abspath(args.dags_folder)
    if not os.path.isdir(dags_folder):
        raise UsageError("DAGs folder %s does not exist or is not a directory" % dags_folder)
    if args.plugins_folder and not os.path.isdir(args.plugins_folder):
        raise UsageError("plugins folder %s does not exist or is not a directory" % os.path.abspath(args.plugins_folder))
    mode = loader.choose_mode(no_airflow=args.no_airflow)
    if mode == loader.MODE_STANDIN:
        loader.activate_standins()
    loader.setup_sys_path(dags_folder, args.plugins_folder)
    airflow_version = None
    if mode == loader.MODE_AIRFLOW:
        airflow_version = loader.airflow_version()
        import airflow.models.dagbag  # noqa: F401 - loaded once before the children fork
    else:
        loader.preload_standins()

    files, import_errors, jobs = [], [], []
    for rel, path in select_files(dags_folder, args):
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as exc:
            import_errors.append({"file": rel, "type": type(exc).__name__, "message": str(exc), "traceback": ""})
            continue
        if not args.no_safe_mode and not discovery.might_contain_dag(content):
            continue
        entry, style = describe_file(path, rel, content)
        files.append(entry)
        jobs.append({"abs": path, "rel": rel, "hash": entry["hash"], "style": style})

    parallelism = args.parallelism or default_parallelism()
    if hasattr(os, "fork") and os.environ.get("DAGBRIDGE_EXPORT_ISOLATION", "fork") != "none":
        results = _run_forked(jobs, mode, args.file_timeout, parallelism)
    else:
        results = _run_in_process(jobs, mode)

    dags, owner_of = [], {}
    for entry in files:
        result = results.get(entry["path"], {"dags": [], "errors": [], "parseSeconds": 0.0})
        entry["parseSeconds"] = round(float(result.get("parseSeconds", 0.0)), 6)
        for error in result["errors"]:
            import_errors.append(dict(error, file=entry["path"]))
        for spec in result["dags"]:
            first = owner_of.get(spec["dagId"])
            if first is not None:
                import_errors.append({
                    "file": entry["path"],
                    "type": "AirflowDagDuplicatedIdException",
                    "message": "Ignoring DAG %s from %s - also found in %s" % (spec["dagId"], entry["path"], first),
                    "traceback": "",
                })
                continue
            owner_of[spec["dagId"]] = entry["path"]
            entry["dagIds"].append(spec["dagId"])
            dags.append(spec)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "generator": {
            "name": "dagbridge_shim",
            "version": __version__,
            "python": "%d.%d.%d" % sys.version_info[:3],
            "pythonExecutable": sys.executable or "python3",
            "mode": mode,
            "airflowVersion": airflow_version,
        },
        "dagsFolder": dags_folder,
        "files": files,
        "importErrors": import_errors,
        "dags": dags,
    }


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        bundle = build_bundle(args)
        text = json.dumps(bundle, indent=2 if args.pretty else None, allow_nan=False, sort_keys=False)
    except UsageError as exc:
        print("dagbridge_shim export: %s" % exc, file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one line on stderr, exit 1 (the contract)
        print("dagbridge_shim export: internal error: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        if os.environ.get("DAGBRIDGE_DEBUG"):
            traceback.print_exc()
        return 1
    sys.stdout.write(text)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0
