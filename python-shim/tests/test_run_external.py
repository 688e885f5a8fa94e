"""`run` on ExternalPythonOperator and @task.external_python / @task.virtualenv, in /usr/bin/python3
(fixture tests/fixtures/run_dags/run_external.py)."""
import os
import unittest

from tests.test_run_support import run_task

INTERPRETER = "/usr/bin/python3"


def run(task_id, **kwargs):
    return run_task("run_external.py", "run_external", task_id, **kwargs)


@unittest.skipUnless(os.path.exists(INTERPRETER), "needs %s" % INTERPRETER)
class ExternalPythonTest(unittest.TestCase):
    def test_callable_runs_in_the_other_interpreter_with_json_arguments(self):
        outcome = run("external")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": {
            "greeting": "hi", "ds": "2024-03-05", "logical_date": "2024-03-05T00:00:00+00:00", "params": {"p": 1},
            "executable": INTERPRETER}}])
        self.assertEqual(outcome.stdout, "child says hi\n")

    def test_decorated_with_multiple_outputs(self):
        self.assertEqual(run("decorated").result["xcoms"], [
            {"key": "sum", "value": 42}, {"key": "version", "value": 3},
            {"key": "return_value", "value": {"sum": 42, "version": 3}}])

    def test_exit_codes(self):
        self.assertEqual(run("external_skip").result["state"], "skipped")
        error = run("external_fail").result["error"]
        self.assertEqual((error["type"], error["message"]), ("AirflowException", "Process returned non-zero exit status 5."))

    def test_callable_must_be_self_contained(self):
        outcome = run("external_global")
        self.assertEqual(outcome.result["state"], "failed")
        self.assertIn("NameError: name 'PYTHON' is not defined", outcome.stderr)

    def test_non_json_return_value(self):
        outcome = run("external_set")
        self.assertEqual(outcome.result["state"], "failed")
        self.assertIn("the return value of returns_set() must be JSON", outcome.stderr)

    def test_missing_interpreter(self):
        self.assertEqual(run("external_missing").result["error"]["message"], "Python Path '/nonexistent/python3' must exists")


class VirtualenvTest(unittest.TestCase):
    def test_runs_in_the_worker_interpreter_and_says_requirements_are_not_installed(self):
        outcome = run("in_virtualenv")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": 42}])
        self.assertIn("WARNING - dagbridge does not create virtualenvs", outcome.stderr)
        self.assertIn("['pandas==2.0.0'] are not installed", outcome.stderr)


if __name__ == "__main__":
    unittest.main()
