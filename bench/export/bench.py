"""Export benchmark: a generated folder of DAG files (default 200 files x 50 tasks), timed two ways.

1. `python -m dagbridge_shim export` on the folder (files imported in forked children, a few per child,
   converted to the bundle, JSON on stdout), with the default parallelism (CPU count) and with one child.
2. The floor: one Python process that imports the same files one after the other with the stand-ins, no
   isolation and no conversion.

Prints milliseconds per file for both and their ratio (target: export within 1.5x of the floor). Figures,
not assertions. Usage: python3 bench/export/bench.py [--files 200] [--tasks 50] [--repeat 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_ROOT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "python-shim")

TEMPLATE = '''
from datetime import datetime, timedelta
from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.utils.task_group import TaskGroup


def work(n):
    return n * 2


with DAG("bench_{index}", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False,
         default_args={{"retries": 2, "retry_delay": timedelta(minutes=1)}}, tags=["bench"]) as dag:
    previous = EmptyOperator(task_id="start")
    with TaskGroup("group") as group:
        for i in range({bash}):
            op = BashOperator(task_id="bash_%d" % i, bash_command="echo {{{{ ds }}}} %d" % i)
            previous >> op
            previous = op
    for i in range({python}):
        op = PythonOperator(task_id="py_%d" % i, python_callable=work, op_args=[i])
        previous >> op
        previous = op

    @task
    def tf(x):
        return x

    value = 1
    for i in range({taskflow}):
        value = tf(value)
'''

FLOOR = r'''
import os, sys, time
start = time.perf_counter()
sys.path.insert(0, {shim!r})
from dagbridge_shim import loader
loader.activate_standins()
loader.setup_sys_path({folder!r})
count = 0
for name in sorted(os.listdir({folder!r})):
    if name.endswith(".py"):
        count += len(loader.import_standin_file(os.path.join({folder!r}, name), 2))
assert count == {files}, count
'''


def generate(folder, files, tasks):
    bash = tasks // 2
    python = (tasks - bash - 1) // 2
    taskflow = tasks - 1 - bash - python
    for index in range(files):
        with open(os.path.join(folder, "bench_%03d.py" % index), "w") as handle:
            handle.write(TEMPLATE.format(index=index, bash=bash, python=python, taskflow=taskflow))


def timed(argv, env):
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("command failed: %s\n%s" % (" ".join(argv), proc.stderr.decode()[-2000:]))
    return elapsed, proc.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="dagbridge-bench-export-")
    try:
        generate(folder, args.files, args.tasks)
        env = dict(os.environ, PYTHONPATH=SHIM_ROOT, PYTHONDONTWRITEBYTECODE="1")
        export_runs, serial_runs, floor_runs = [], [], []
        bundle_bytes, task_count = 0, 0
        for _ in range(args.repeat):
            elapsed, out = timed([args.python, "-m", "dagbridge_shim", "export", "--dags-folder", folder, "--no-airflow"], env)
            export_runs.append(elapsed)
            bundle_bytes = len(out)
            import json

            bundle = json.loads(out)
            assert not bundle["importErrors"], bundle["importErrors"][:1]
            task_count = sum(len(d["tasks"]) for d in bundle["dags"])
            elapsed, _ = timed([args.python, "-m", "dagbridge_shim", "export", "--dags-folder", folder, "--no-airflow",
                                "--parallelism", "1"], env)
            serial_runs.append(elapsed)
            script = FLOOR.format(shim=SHIM_ROOT, folder=folder, files=args.files)
            elapsed, _ = timed([args.python, "-c", script], env)
            floor_runs.append(elapsed)
        export_ms = statistics.median(export_runs) * 1000 / args.files
        floor_ms = statistics.median(floor_runs) * 1000 / args.files
        serial_ms = statistics.median(serial_runs) * 1000 / args.files
        print("files: %d, tasks per file: %d, tasks exported: %d, bundle: %.1f MB, repeats: %d, cpus: %d"
              % (args.files, args.tasks, task_count, bundle_bytes / 1e6, args.repeat, os.cpu_count() or 1))
        print("export (forked children, converted, JSON): %.2f ms per file (%.0f ms total)"
              % (export_ms, statistics.median(export_runs) * 1000))
        print("floor (one process imports every file):    %.2f ms per file (%.0f ms total)"
              % (floor_ms, statistics.median(floor_runs) * 1000))
        print("export with --parallelism 1:               %.2f ms per file (%.0f ms total)"
              % (serial_ms, statistics.median(serial_runs) * 1000))
        print("ratio export / floor: %.2fx (target <= 1.5x); with one child at a time: %.2fx"
              % (export_ms / floor_ms, serial_ms / floor_ms))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
