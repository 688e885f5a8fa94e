"""Helpers for the export tests (no tests here): write DAG files to a temporary folder, run the real CLI."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
REPO_ROOT = os.path.dirname(SHIM_ROOT)


def write_files(root, files):
    for rel, content in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(textwrap.dedent(content).lstrip("\n"))


def run_export(dags_folder, *args, env=None, pythonpath_extra=None, expect_exit=0):
    """Runs `python -m dagbridge_shim export` in a fresh interpreter; returns (bundle or None, process)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DAGBRIDGE"))}
    paths = [SHIM_ROOT] + list(pythonpath_extra or [])
    environ["PYTHONPATH"] = os.pathsep.join(paths)
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "dagbridge_shim", "export", "--dags-folder", dags_folder, *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    if proc.returncode != expect_exit:
        raise AssertionError("export exited %d (expected %d)\nstderr:\n%s" % (proc.returncode, expect_exit, proc.stderr))
    bundle = json.loads(proc.stdout) if proc.returncode == 0 else None
    return bundle, proc


class TempDags:
    """A temporary DAGs folder (`with TempDags({...}) as folder:`)."""

    def __init__(self, files, subdir="dags"):
        self.files = files
        self.subdir = subdir

    def __enter__(self):
        self.root = tempfile.mkdtemp(prefix="dagbridge-export-test-")
        self.folder = os.path.join(self.root, self.subdir)
        os.makedirs(self.folder)
        write_files(self.folder, self.files)
        return self.folder

    def __exit__(self, *exc):
        shutil.rmtree(self.root, ignore_errors=True)


def export_files(files, *args, **kwargs):
    with TempDags(files) as folder:
        bundle, _ = run_export(folder, *args, **kwargs)
        return bundle


def dag_by_id(bundle, dag_id):
    for dag in bundle["dags"]:
        if dag["dagId"] == dag_id:
            return dag
    raise AssertionError("DAG %s not in bundle: %s (errors: %s)" % (dag_id, [d["dagId"] for d in bundle["dags"]], bundle["importErrors"]))


def tasks_by_id(dag):
    return {t["taskId"]: t for t in dag["tasks"]}


def edges(dag):
    return sorted((up, t["taskId"]) for t in dag["tasks"] for up in t["upstream"])
