"""Helpers for the task runner tests: run `python -m dagbridge_shim run` on a fixture DAG as the worker does
(stdin input, --result file, a small explicit environment). No tests here."""
import json
import os
import subprocess
import sys
import tempfile

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(SHIM_ROOT, "tests", "fixtures", "run_dags")


class Run:
    def __init__(self, returncode, result, stdout, stderr):
        self.returncode = returncode
        self.result = result
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return "Run(rc=%s, result=%r,\nstdout=%s\nstderr=%s)" % (self.returncode, self.result, self.stdout, self.stderr)


def task_input(dag_id, task_id, map_index=-1, **overrides):
    document = {
        "version": 1, "dagId": dag_id, "taskId": task_id, "runId": "scheduled__2024-03-05T00:00:00+00:00",
        "mapIndex": map_index, "tryNumber": 1, "maxTries": 0, "runType": "scheduled",
        "logicalDate": "2024-03-05T00:00:00+00:00", "dataIntervalStart": "2024-03-05T00:00:00+00:00",
        "dataIntervalEnd": "2024-03-06T00:00:00+00:00", "runAfter": "2024-03-06T00:00:00+00:00",
        "dagRunStartDate": "2024-03-06T00:00:01+00:00", "conf": {}, "xcoms": [], "variables": {},
        "testMode": False, "sensorFirstPokeAt": None, "prevDataIntervalStartSuccess": None,
        "prevDataIntervalEndSuccess": None, "prevStartDateSuccess": None,
    }
    document.update(overrides)
    return document


def base_env(**extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SHIM_ROOT, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def run_task(file, dag_id, task_id, map_index=-1, python=None, env=None, stdin=None, args=None, dags_folder=None,
             no_airflow=True, **overrides):
    """Runs one task instance of a fixture DAG file; returns a Run with the parsed result (None if absent)."""
    document = task_input(dag_id, task_id, map_index, **overrides)
    with tempfile.TemporaryDirectory(prefix="dagbridge-run-test-") as folder:
        result_path = os.path.join(folder, "result.json")
        workdir = os.path.join(folder, "work")
        os.mkdir(workdir)
        command = [python or sys.executable, "-m", "dagbridge_shim", "run", "--dags-folder", dags_folder or FIXTURES,
                   "--file", file, "--dag-id", dag_id, "--task-id", task_id, "--map-index", str(map_index),
                   "--result", result_path] + (["--no-airflow"] if no_airflow else []) if args is None else [python or sys.executable, "-m",
                                                                                  "dagbridge_shim", "run"] + args
        completed = subprocess.run(command, input=json.dumps(document) if stdin is None else stdin,
                                   capture_output=True, text=True, env=env or base_env(), cwd=workdir, timeout=60)
        result = None
        if os.path.exists(result_path):
            with open(result_path) as handle:
                result = json.load(handle)
        return Run(completed.returncode, result, completed.stdout, completed.stderr)


def xcom(task_id, value, key="return_value", map_index=-1):
    return {"taskId": task_id, "mapIndex": map_index, "key": key, "value": value}
