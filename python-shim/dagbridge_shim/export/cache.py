"""The export cache: each DAG file's last export, by content hash, so an unchanged file is not imported again."""
import json
import os
import sys

from dagbridge_shim import __version__

CACHE_VERSION = 2  # 2: tasks carry runAsUser


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
