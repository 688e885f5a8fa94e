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
    parser.add_argument("--cache", default=None,
                        help="a file keeping each DAG file's export by content hash: unchanged files are not imported again")
    parser.add_argument("--parallelism", type=int, default=None, help="child processes at once (default: CPU count)")
    parser.add_argument("--isolation", choices=["batch", "file", "none"], default=None,
                        help="batch: children import a few files each (default); file: one child per file; "
                             "none: import in this process (no timeout)")
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


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _child(batch, mode, write_fd):
    """Runs in a forked child: for each file of the batch, announce it, import and convert it, send its
    result; one JSON document per line. Exits without cleanup (the parent's state is not ours to flush)."""
    code = 0
    try:
        os.dup2(2, 1)  # the DAG files' prints must not reach the bundle on stdout
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        baseline_modules = set(sys.modules)
        baseline_path = list(sys.path)
        for job in batch:
            _write_all(write_fd, b'{"start": true}\n')
            _write_all(write_fd, encode_result(import_file_safely(job, mode)))
            # The next file starts from the parent's state: what this one imported is forgotten.
            for name in [n for n in sys.modules if n not in baseline_modules]:
                del sys.modules[name]
            sys.path[:] = baseline_path
    except BaseException:  # noqa: BLE001 - the parent reports the file that has no result
        code = 70
    finally:
        os._exit(code)


class _Worker:
    """A forked child importing a batch of files, and what the parent has read from it so far."""

    def __init__(self, batch, mode):
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(batch, mode, write_fd)
        os.close(write_fd)
        self.fd = read_fd
        self.pid = pid
        self.batch = list(batch)
        self.done = 0  # files of the batch with a result
        self.current_started = None  # monotonic time the file `batch[done]` started, once announced
        self.buffer = b""
        self.header = None  # the current file's header while its DagSpec lines arrive

    def current(self):
        return self.batch[self.done] if self.done < len(self.batch) else None

    def feed(self, data, results):
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if self.header is None and line == b'{"start": true}':
                self.current_started = time.monotonic()
                continue
            if self.header is None:
                try:
                    self.header = json.loads(line.decode("utf-8"))
                    self.header["dags"] = []
                except ValueError:
                    self.header = _died(self.batch[self.done], "it sent an unreadable result")
            else:
                self.header["dags"].append(line)
            if len(self.header["dags"]) >= len(self.header["dagIds"]):
                results[self.batch[self.done]["rel"]] = self.header
                self.header = None
                self.done += 1
                self.current_started = None

    def remaining_after_current(self):
        return self.batch[self.done + 1:]

    def close(self, kill=False):
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status


def _batches(jobs, parallelism, isolation):
    if isolation == "file":
        return [[job] for job in jobs]
    # Small batches keep the load balanced between children; each batch pays for one fork.
    size = max(1, min(25, len(jobs) // (parallelism * 4) or 1))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def _run_forked(jobs, mode, timeout, parallelism, isolation="batch"):
    """Results by rel path. At most `parallelism` children at once. A file that is not done `timeout`
    seconds after it started is killed with its child; a child that dies takes only its current file with
    it: the rest of its batch goes to a new child."""
    import gc

    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()  # children then leave the parent's objects (and their pages) alone
    results = {}
    pending = _batches(jobs, parallelism, isolation)
    running = {}
    while pending or running:
        while pending and len(running) < parallelism:
            worker = _Worker(pending.pop(0), mode)
            running[worker.fd] = worker
        now = time.monotonic()
        deadlines = [w.current_started + timeout - now for w in running.values() if w.current_started is not None]
        wait = min([1.0] + [max(0.0, d) for d in deadlines])
        readable, _, _ = select.select(list(running), [], [], wait)
        for fd in readable:
            worker = running[fd]
            data = os.read(fd, 1 << 20)
            if data:
                worker.feed(data, results)
                continue
            del running[fd]
            status = worker.close()
            job = worker.current()
            if job is not None:
                results[job["rel"]] = _died(job, _status_text(status))
                rest = worker.remaining_after_current()
                if rest:
                    pending.insert(0, rest)
        now = time.monotonic()
        for fd, worker in list(running.items()):
            if worker.current_started is not None and now - worker.current_started >= timeout:
                del running[fd]
                worker.close(kill=True)
                job = worker.current()
                results[job["rel"]] = {
                    "dags": [],
                    "dagIds": [],
                    "errors": [{
                        "type": "AirflowTaskTimeout",
                        "message": "DagBag import timeout for %s after %ss." % (job["rel"], _fmt_seconds(timeout)),
                        "traceback": "The import of %s did not finish within %ss (--file-timeout); it was stopped.\n"
                                     % (job["rel"], _fmt_seconds(timeout)),
                    }],
                    "parseSeconds": float(timeout),
                }
                rest = worker.remaining_after_current()
                if rest:
                    pending.insert(0, rest)
    return results


def _status_text(status):
    if os.WIFSIGNALED(status):
        return "signal %d" % os.WTERMSIG(status)
    return "exit code %d" % os.WEXITSTATUS(status)


def _died(job, how):
    return {
        "dags": [],
        "dagIds": [],
        "errors": [{
            "type": "ImportProcessDied",
            "message": "importing %s ended the process (%s) before it reported its DAGs" % (job["rel"], how),
            "traceback": "",
        }],
        "parseSeconds": 0.0,
    }


def _fmt_seconds(value):
    return ("%d" % value) if float(value).is_integer() else ("%g" % value)


def _run_in_process(jobs, mode):
    results = {}
    real_stdout = os.dup(1)
    try:
        os.dup2(2, 1)
        for job in jobs:
            result = import_file_safely(job, mode)
            result["dagIds"] = [spec["dagId"] for spec in result["dags"]]
            result["dags"] = [json.dumps(spec, allow_nan=False, separators=(",", ":")).encode("utf-8") for spec in result["dags"]]
            results[job["rel"]] = result
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
    from dagbridge_shim import convert, graph  # noqa: F401 - loaded once, before the children fork

    cache = read_cache(args.cache, mode)
    reused = {}
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
        cached = cache.get(rel)
        if cached is not None and cached.get("hash") == hashlib.sha256(content).hexdigest():
            # Unchanged since the last export: its DAGs are taken from the cache, the file is not imported.
            files.append({"path": rel, "hash": "", "imports": [], "dagIds": [], "parseSeconds": 0.0})
            reused[rel] = dict(cached, dags=[d.encode("utf-8") for d in cached["dags"]], parseSeconds=0.0)
            continue
        # Hashing and parsing for imports happen in the children, in parallel.
        files.append({"path": rel, "hash": "", "imports": [], "dagIds": [], "parseSeconds": 0.0})
        jobs.append({"abs": path, "rel": rel, "content": content})

    parallelism = args.parallelism or default_parallelism()
    isolation = args.isolation or os.environ.get("DAGBRIDGE_EXPORT_ISOLATION") or "batch"
    if hasattr(os, "fork") and isolation != "none":
        results = _run_forked(jobs, mode, args.file_timeout, parallelism, isolation)
    else:
        results = _run_in_process(jobs, mode)

    results.update(reused)
    if args.cache:
        write_cache(args.cache, mode, results, jobs)

    jobs_by_rel = {job["rel"]: job for job in jobs}
    dags, owner_of = [], {}
    for entry in files:
        result = results.get(entry["path"]) or {"dags": [], "dagIds": [], "errors": [], "parseSeconds": 0.0}
        entry["parseSeconds"] = round(float(result.get("parseSeconds", 0.0)), 6)
        if result.get("hash"):
            entry["hash"], entry["imports"] = result["hash"], result["imports"]
        else:  # the child died or timed out before describing the file
            described, _ = describe_file(jobs_by_rel[entry["path"]]["abs"], entry["path"], jobs_by_rel[entry["path"]]["content"])
            entry["hash"], entry["imports"] = described["hash"], described["imports"]
        for error in result["errors"]:
            import_errors.append(dict(error, file=entry["path"]))
        for dag_id, spec_json in zip(result["dagIds"], result["dags"]):
            first = owner_of.get(dag_id)
            if first is not None:
                import_errors.append({
                    "file": entry["path"],
                    "type": "AirflowDagDuplicatedIdException",
                    "message": "Ignoring DAG %s from %s - also found in %s" % (dag_id, entry["path"], first),
                    "traceback": "",
                })
                continue
            owner_of[dag_id] = entry["path"]
            entry["dagIds"].append(dag_id)
            dags.append(spec_json)
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


CACHE_VERSION = 1


def read_cache(path, mode):
    """The per-file results of the last export ({rel: result}); empty when absent, unreadable or of another kind."""
    if not path:
        return {}
    try:
        with open(path, "r", encoding="utf-8") as handle:
            cache = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict) or cache.get("version") != CACHE_VERSION or cache.get("shim") != __version__ or cache.get("mode") != mode:
        return {}
    files = cache.get("files")
    return files if isinstance(files, dict) else {}


def write_cache(path, mode, results, jobs):
    """Keeps every file whose import ended normally (not timed out or crashed: those are tried again)."""
    failed_types = ("AirflowTaskTimeout", "ImportProcessDied")
    files = {}
    for rel, result in results.items():
        if not result.get("hash") or any(error.get("type") in failed_types for error in result.get("errors", [])):
            continue
        files[rel] = {
            "hash": result["hash"],
            "imports": result.get("imports", []),
            "dagIds": result.get("dagIds", []),
            "dags": [d.decode("utf-8") if isinstance(d, bytes) else d for d in result.get("dags", [])],
            "errors": result.get("errors", []),
        }
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"version": CACHE_VERSION, "shim": __version__, "mode": mode, "files": files}, handle)
        os.replace(temporary, path)
    except OSError as exc:
        print("dagbridge_shim export: could not write the cache %s: %s" % (path, exc), file=sys.stderr)


def render_bundle(bundle, pretty=False):
    """The bundle as JSON text; `dags` holds DagSpecs already encoded (bytes), spliced in as they are."""
    dags = bundle["dags"]
    if pretty:
        return json.dumps(dict(bundle, dags=[json.loads(d) for d in dags]), indent=2, allow_nan=False)
    head = json.dumps(dict(bundle, dags=[]), allow_nan=False)
    assert head.endswith('"dags": []}')
    return head[: -len("[]}")] + "[" + b",".join(dags).decode("utf-8") + "]}"


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        bundle = build_bundle(args)
        text = render_bundle(bundle, pretty=args.pretty)
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
