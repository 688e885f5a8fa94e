"""`python -m dagbridge_shim dag-callback`: a DAG's on_success_callback / on_failure_callback called with the
context of the given task instance plus `reason`, in order, each error logged and the next still called
(Airflow 2.10.5 DAG.fetch_callback / DAG.execute_callback); and the export's flags that a DAG has them."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests.test_run_support import base_env, task_input

DAG_FILE = textwrap.dedent('''
    import json
    from datetime import datetime
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator

    def record(name):
        def callback(context):
            print("CB " + json.dumps({"name": name, "reason": context["reason"], "state": context["dag_run"].state,
                                      "task_id": context["ti"].task_id, "ti_state": context["ti"].state,
                                      "run_id": context["run_id"], "dag_id": context["dag"].dag_id}))
        return callback

    def broken(context):
        raise RuntimeError("callback broke")

    with DAG("with_callbacks", start_date=datetime(2024, 1, 1), schedule=None,
             on_success_callback=record("ok"), on_failure_callback=[broken, record("second")]) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")

    with DAG("without_callbacks", start_date=datetime(2024, 1, 1), schedule=None) as plain:
        EmptyOperator(task_id="a")
''')


def call(kind, reason, run_state, ti_state="success", task_id="b", python=None):
    with tempfile.TemporaryDirectory(prefix="dagbridge-dag-callback-test-") as folder:
        dags = os.path.join(folder, "dags")
        os.mkdir(dags)
        with open(os.path.join(dags, "cb.py"), "w") as handle:
            handle.write(DAG_FILE)
        result_path = os.path.join(folder, "result.json")
        command = [python or sys.executable, "-m", "dagbridge_shim", "dag-callback", "--kind", kind, "--reason", reason,
                   "--dag-run-state", run_state, "--ti-state", ti_state, "--dags-folder", dags, "--file", "cb.py",
                   "--dag-id", "with_callbacks", "--task-id", task_id, "--result", result_path, "--no-airflow"]
        completed = subprocess.run(command, input=json.dumps(task_input("with_callbacks", task_id)), capture_output=True,
                                   text=True, env=base_env(), cwd=folder, timeout=60)
        with open(result_path) as handle:
            result = json.load(handle)
        calls = [json.loads(line[3:]) for line in completed.stdout.splitlines() if line.startswith("CB ")]
        return completed, result, calls


class DagCallbackTest(unittest.TestCase):
    def test_success_callback_gets_the_context_of_the_task_instance_and_the_reason(self):
        completed, result, calls = call("success", "success", "success")
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(result["state"], "success")
        self.assertEqual(calls, [{"name": "ok", "reason": "success", "state": "success", "task_id": "b",
                                  "ti_state": "success", "run_id": "scheduled__2024-03-05T00:00:00+00:00",
                                  "dag_id": "with_callbacks"}])
        self.assertIn("Executing dag callback function:", completed.stderr)

    def test_a_failing_callback_is_logged_and_the_next_one_still_runs(self):
        completed, result, calls = call("failure", "task_failure", "failed", ti_state="failed")
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(result["state"], "success")
        self.assertEqual([(c["name"], c["reason"], c["state"], c["ti_state"]) for c in calls],
                         [("second", "task_failure", "failed", "failed")])
        self.assertIn("failed to invoke dag state update callback", completed.stderr)
        self.assertIn("RuntimeError: callback broke", completed.stderr)

    def test_bad_arguments_exit_2(self):
        completed = subprocess.run([sys.executable, "-m", "dagbridge_shim", "dag-callback", "--kind", "maybe"],
                                   capture_output=True, text=True, env=base_env(), timeout=60)
        self.assertEqual(completed.returncode, 2)
        self.assertIn("--kind must be success or failure", completed.stderr)


class ExportFlagsTest(unittest.TestCase):
    def test_the_export_says_which_dags_have_callbacks(self):
        from dagbridge_shim.convert import dag_spec
        from dagbridge_shim.loader import load_airflow_world

        load_airflow_world({})
        namespace = {}
        exec(compile(DAG_FILE, "cb.py", "exec"), namespace)
        with_callbacks = dag_spec(namespace["dag"], "cb.py", "h", 2)
        plain = dag_spec(namespace["plain"], "cb.py", "h", 2)
        self.assertTrue(with_callbacks["hasOnSuccessCallback"])
        self.assertTrue(with_callbacks["hasOnFailureCallback"])
        self.assertNotIn("hasOnSuccessCallback", plain)
        self.assertNotIn("hasOnFailureCallback", plain)


if __name__ == "__main__":
    unittest.main()
