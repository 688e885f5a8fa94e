"""The export and the task process import a DAG file in one world (dagbridge_shim.loader.load_airflow_world):
the stand-in modules real Airflow has loaded by then (so `import airflow` then `airflow.utils.dates.days_ago(1)`
works in both, as in Airflow 2.10.5's DAG processor and task command), and the metadata database's Variables,
which the export reads on stdin (`--variables-stdin`) as Airflow's parse reads the variables table."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests.test_export_support import SHIM_ROOT, TempDags
from tests.test_run_support import base_env, run_task

FACTORY = '''
import json
import os
import sys

import airflow
from airflow.operators.python import PythonOperator

START = airflow.utils.dates.days_ago(1)
WORLD = sorted(name for name in sys.modules if name == "airflow" or name.startswith("airflow."))
with open(os.environ["WORLD_FILE"] + "." + os.environ["WORLD_SIDE"], "w") as handle:
    json.dump(WORLD, handle)


def check():
    return str(airflow.utils.dates.days_ago(2) < START)


def build(dag_id):
    dag = airflow.DAG(dag_id, start_date=START, schedule=None)
    PythonOperator(task_id="check", python_callable=check, dag=dag)
    return dag
'''

DAG_FILE = '''
# an airflow DAG built by a factory
from factory import build

dag = build("world")
'''

VARIABLE_DAG = '''
from airflow import DAG
from airflow.models import Variable
from airflow.operators.empty import EmptyOperator

with DAG("var_" + Variable.get("suffix", default_var="none"), schedule=None) as dag:
    EmptyOperator(task_id="t")
'''


def export(folder, env=None, variables=None, cache=None):
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SHIM_ROOT, "PYTHONDONTWRITEBYTECODE": "1"}
    environ.update(env or {})
    args = [sys.executable, "-m", "dagbridge_shim", "export", "--dags-folder", folder]
    if variables is not None:
        args.append("--variables-stdin")
    if cache:
        args += ["--cache", cache]
    proc = subprocess.run(args, input=json.dumps(variables) if variables is not None else "", capture_output=True,
                          text=True, env=environ, timeout=120)
    if proc.returncode != 0:
        raise AssertionError("export exited %d: %s" % (proc.returncode, proc.stderr))
    return json.loads(proc.stdout)


class ImportWorldTest(unittest.TestCase):
    def test_submodule_attributes_and_loaded_modules_are_the_same_at_export_and_in_the_task(self):
        with TempDags({"factory.py": FACTORY, "world_dag.py": DAG_FILE}) as folder:
            world = os.path.join(folder, "..", "world")
            bundle = export(folder, env={"WORLD_FILE": world, "WORLD_SIDE": "export"})
            self.assertEqual(bundle["importErrors"], [])
            self.assertEqual([d["dagId"] for d in bundle["dags"]], ["world"])
            run = run_task("world_dag.py", "world", "check", dags_folder=folder,
                           env=base_env(WORLD_FILE=world, WORLD_SIDE="run"))
            self.assertEqual(run.result["state"], "success", run)
            self.assertEqual(run.result["xcoms"][0]["value"], "True", run)
            with open(world + ".export") as handle:
                at_export = json.load(handle)
            with open(world + ".run") as handle:
                at_run = json.load(handle)
            self.assertIn("airflow.utils.dates", at_run)
            self.assertEqual(at_export, at_run)

    def test_variable_get_at_parse_time_sees_the_variables_given_on_stdin(self):
        with TempDags({"var_dag.py": VARIABLE_DAG}) as folder:
            self.assertEqual([d["dagId"] for d in export(folder)["dags"]], ["var_none"])
            self.assertEqual([d["dagId"] for d in export(folder, variables={"suffix": "prod"})["dags"]], ["var_prod"])

    def test_the_export_cache_holds_only_under_the_same_variables(self):
        with TempDags({"var_dag.py": VARIABLE_DAG}) as folder, tempfile.TemporaryDirectory() as home:
            cache = os.path.join(home, "cache.json")
            self.assertEqual([d["dagId"] for d in export(folder, variables={"suffix": "a"}, cache=cache)["dags"]], ["var_a"])
            self.assertEqual([d["dagId"] for d in export(folder, variables={"suffix": "b"}, cache=cache)["dags"]], ["var_b"])

    def test_a_malformed_variables_document_is_a_usage_error(self):
        with TempDags({"var_dag.py": VARIABLE_DAG}) as folder:
            proc = subprocess.run([sys.executable, "-m", "dagbridge_shim", "export", "--dags-folder", folder,
                                   "--variables-stdin"], input='{"a": 1}', capture_output=True, text=True,
                                  env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SHIM_ROOT}, timeout=60)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("JSON object of string values", proc.stderr)


if __name__ == "__main__":
    unittest.main()
