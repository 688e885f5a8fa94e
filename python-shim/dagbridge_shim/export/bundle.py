"""The DAG bundle of a DAG folder: which files are considered, each file's result (from the cache or an import),
DAG ids found in two files, and the JSON text with the DagSpecs spliced in."""
import hashlib
import json
import os
import sys

from dagbridge_shim import __version__, discovery, loader, timetables
from dagbridge_shim.export.cache import read_cache, write_cache
from dagbridge_shim.export.file_import import describe_file
from dagbridge_shim.export.fork_pool import default_parallelism, run_forked, run_in_process

SCHEMA_VERSION = 4


class UsageError(Exception):
    """Bad arguments: exit code 2."""


def _rel(dags_folder, path):
    return os.path.relpath(path, dags_folder).replace(os.sep, "/")


def select_files(dags_folder, args, walk_errors=None):
    """(rel, abs) of the files to consider, in order. Folder entries the walk could not use are appended to
    `walk_errors` as import errors of their path (see discovery.iter_python_files)."""
    problems = []
    walked = list(discovery.iter_python_files(dags_folder, args.ignore_syntax, problems))
    if walk_errors is not None:
        for path, kind, message in problems:
            walk_errors.append({"file": _rel(dags_folder, path), "type": kind, "message": message, "traceback": ""})
    if args.files is None:
        return [(_rel(dags_folder, p), p) for p in walked]
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
        loader.load_airflow_world(args.variables)
    loader.setup_sys_path(dags_folder, args.plugins_folder)
    timetables.configure(dags_folder, args.plugins_folder)
    airflow_version = None
    if mode == loader.MODE_AIRFLOW:
        airflow_version = loader.airflow_version()
        import airflow.models.dagbag  # noqa: F401 - loaded once before the children fork
    # A file's cached export holds only under the Variables it was imported with.
    cache_kind = mode
    if args.variables:
        digest = hashlib.sha256(json.dumps(args.variables, sort_keys=True).encode("utf-8")).hexdigest()
        cache_kind = "%s variables=%s" % (mode, digest)
    cache = read_cache(args.cache, cache_kind)
    reused = {}
    files, import_errors, jobs = [], [], []
    for rel, path in select_files(dags_folder, args, import_errors):
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as exc:
            import_errors.append({"file": rel, "type": type(exc).__name__, "message": str(exc), "traceback": ""})
            continue
        if not args.no_safe_mode and not discovery.might_contain_dag(content):
            continue
        files.append({"path": rel, "hash": "", "imports": [], "dagIds": [], "parseSeconds": 0.0})
        cached = cache.get(rel)
        if cached is not None and cached.get("hash") == hashlib.sha256(content).hexdigest():
            # Unchanged since the last export: its DAGs are taken from the cache, the file is not imported.
            reused[rel] = dict(cached, dags=[d.encode("utf-8") for d in cached["dags"]], parseSeconds=0.0)
            continue
        # Hashing and parsing for imports happen in the children, in parallel.
        jobs.append({"abs": path, "rel": rel, "content": content})

    parallelism = args.parallelism or default_parallelism()
    isolation = args.isolation or os.environ.get("DAGBRIDGE_EXPORT_ISOLATION") or "batch"
    if hasattr(os, "fork") and isolation != "none":
        results = run_forked(jobs, mode, args.file_timeout, parallelism, isolation)
    else:
        results = run_in_process(jobs, mode)

    results.update(reused)
    if args.cache:
        write_cache(args.cache, cache_kind, results, jobs)

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


def render_bundle(bundle, pretty=False):
    """The bundle as JSON text; `dags` holds DagSpecs already encoded (bytes), spliced in as they are."""
    dags = bundle["dags"]
    if pretty:
        return json.dumps(dict(bundle, dags=[json.loads(d) for d in dags]), indent=2, allow_nan=False)
    head = json.dumps(dict(bundle, dags=[]), allow_nan=False)
    assert head.endswith('"dags": []}')
    return head[: -len("[]}")] + "[" + b",".join(dags).decode("utf-8") + "]}"
