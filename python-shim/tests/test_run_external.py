"""`run` on ExternalPythonOperator and @task.external_python / @task.virtualenv, in /usr/bin/python3
(fixture tests/fixtures/run_dags/run_external.py)."""
import os
import tempfile
import unittest

from tests.test_run_support import base_env, run_task

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


def _tiny_wheel(folder):
    """A wheel of one module (dbtiny, VALUE = 7) written with zipfile: pip installs it without an index."""
    import zipfile

    path = os.path.join(folder, "dbtiny-1.0-py3-none-any.whl")
    files = {
        "dbtiny.py": "VALUE = 7\n",
        "dbtiny-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: dbtiny\nVersion: 1.0\n",
        "dbtiny-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files["dbtiny-1.0.dist-info/RECORD"] = "".join("%s,,\n" % name for name in list(files) + ["dbtiny-1.0.dist-info/RECORD"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


# Airflow 2.10.5 PythonVirtualenvOperator / utils/python_virtualenv.py prepare_virtualenv: a new virtualenv per try,
# pip install -r of the requirements with pip_install_options.
class VirtualenvTest(unittest.TestCase):
    def test_runs_the_callable_in_a_new_virtualenv(self):
        outcome = run("in_virtualenv")
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": [42, True]}])
        self.assertIn("-m venv", outcome.stderr)

    def test_installs_the_requirements_with_pip(self):
        with tempfile.TemporaryDirectory() as folder:
            outcome = run("venv_local_wheel", env=base_env(RUN_EXTERNAL_WHEEL=_tiny_wheel(folder)))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": 7}])

    def test_a_requirement_pip_cannot_install_fails_the_task_naming_it(self):
        outcome = run("venv_missing")
        self.assertEqual(outcome.result["state"], "failed", outcome)
        message = outcome.result["error"]["message"]
        self.assertIn("Installing the requirements ['dagbridge-no-such-dist==9.9'] into the task's virtualenv with pip failed (exit status 1)", message)
        self.assertIn("satisfies the requirement dagbridge-no-such-dist==9.9", message)


if __name__ == "__main__":
    unittest.main()
