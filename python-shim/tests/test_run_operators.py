"""`python -m dagbridge_shim run` on classic operators: bash, python, empty, custom, provider, exceptions, XComs,
environment (fixture tests/fixtures/run_dags/run_operators.py, stand-ins)."""
import unittest

from tests.test_run_support import base_env, run_task, xcom

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False

FILE = "run_operators.py"
DAG = "run_operators"


def run(task_id, **kwargs):
    return run_task(FILE, DAG, task_id, **kwargs)


class ResultShapeTest(unittest.TestCase):
    def test_empty_operator_result_has_every_contract_field(self):
        outcome = run("empty")
        self.assertEqual(outcome.returncode, 0, outcome)
        self.assertEqual(outcome.result, {
            "version": 1, "state": "success", "xcoms": [], "followTaskIds": None, "skipTaskIds": [],
            "rescheduleAt": None, "error": None, "renderedFields": {}, "triggerDagRuns": [], "outletEvents": [],
            "renderedMapIndex": None,
        })
        self.assertIn("INFO - Marking task as SUCCESS. dag_id=run_operators, task_id=empty, "
                      "run_id=scheduled__2024-03-05T00:00:00+00:00, logical_date=20240305T000000", outcome.stderr)


class BashTest(unittest.TestCase):
    def test_last_line_is_the_return_value_and_output_passes_through(self):
        outcome = run("bash_processor")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": 3}])
        self.assertEqual(outcome.stdout, '{"n": 3}\n')
        self.assertIn("INFO - Running command: ['", outcome.stderr)
        self.assertIn("INFO - Command exited with return code 0", outcome.stderr)

    def test_exit_99_skips(self):
        outcome = run("bash_skip")
        self.assertEqual((outcome.result["state"], outcome.result["error"]), ("skipped", None))
        self.assertIn("Bash command returned exit code 99. Skipping.", outcome.stderr)

    def test_custom_skip_codes(self):
        self.assertEqual(run("bash_custom_skip").result["state"], "skipped")

    def test_nonzero_exit_fails_retryably(self):
        outcome = run("bash_fail")
        self.assertEqual(outcome.result["state"], "failed")
        error = outcome.result["error"]
        self.assertEqual((error["type"], error["message"], error["retryable"]),
                         ("AirflowException", "Bash command failed. The command returned a non-zero exit code 3.", True))
        self.assertIn("Traceback (most recent call last)", error["traceback"])
        self.assertIn("to-stderr\n", outcome.stderr)
        self.assertIn("ERROR - Task failed with exception", outcome.stderr)
        self.assertIn("INFO - Marking task as FAILED.", outcome.stderr)

    def test_env_replaces_the_environment_and_adds_airflow_context(self):
        outcome = run("bash_env", env=base_env(DAGBRIDGE_TEST_OUTER="outer"))
        expected = "20240305|unset|bash_env" if HAVE_JINJA else None
        if HAVE_JINJA:
            self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": expected}])
        else:
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")

    def test_append_env_keeps_the_environment(self):
        outcome = run("bash_append", env=base_env(DAGBRIDGE_TEST_OUTER="outer"))
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": "x|outer"}])

    def test_cwd_and_temporary_cwd(self):
        self.assertEqual(run("bash_cwd").result["xcoms"], [{"key": "return_value", "value": "/tmp"}])
        self.assertEqual(run("bash_tmp_cwd").result["xcoms"], [{"key": "return_value", "value": "airflowtmp"}])

    def test_do_xcom_push_false(self):
        outcome = run("bash_no_push")
        self.assertEqual((outcome.result["state"], outcome.result["xcoms"], outcome.stdout), ("success", [], "quiet\n"))

    def test_templated_command_and_script_file(self):
        outcome = run("echo")
        script = run("bash_script")
        if HAVE_JINJA:
            self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": "last 2024-03-05 dag-param"}])
            self.assertEqual(outcome.result["renderedFields"],
                             {"bash_command": "echo first; echo 'last 2024-03-05 dag-param'", "env": None, "cwd": None})
            self.assertEqual(script.result["xcoms"], [{"key": "return_value", "value": "script 2024-03-05 1"}])
        else:
            for failed in (outcome, script):
                error = failed.result["error"]
                self.assertEqual((error["type"], error["retryable"]), ("Jinja2NotInstalled", False))
                self.assertIn("install Jinja2", error["message"])
                self.assertIn("template field 'bash_command'", error["message"])


class PythonTest(unittest.TestCase):
    def test_op_args_op_kwargs_and_context_kwargs(self):
        outcome = run("python_add", conf={"value": 7})
        if not HAVE_JINJA:
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": {
            "sum": 3, "ds": "2024-03-05", "conf_value": 7, "extra": "data-1"}}])
        self.assertIn("adding in python_add for 2024-03-05\n", outcome.stdout)
        self.assertIn("INFO - Done. Returned value was: {'sum': 3", outcome.stderr)

    def test_only_declared_context_keys_and_templates_dict(self):
        outcome = run("python_named", conf={"n": 5})
        if not HAVE_JINJA:
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual(outcome.result["xcoms"][0]["value"], [
            "2024-03-05", {"who": "dag-param", "n": 5},
            {"query": "select * from t where day = '2024-03-05'", "day": "2024-03-05"}])

    def test_positional_argument_named_like_a_context_key(self):
        error = run("python_conflict").result["error"]
        self.assertEqual((error["type"], error["message"]),
                         ("ValueError", "The key 'ds' in args is a part of kwargs and therefore reserved."))

    def test_non_json_return_value_fails_naming_key_and_type(self):
        outcome = run("python_datetime")
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"]), ("failed", "XComNotJsonError"))
        self.assertTrue(error["message"].startswith(
            "XCom 'return_value' of task 'python_datetime' is not JSON-serialisable: got a value of type "
            "datetime.datetime"), error["message"])

    def test_xcom_pull_shapes(self):
        upstream = [xcom("up", {"a": 1}), xcom("up", "o", key="other"), xcom("up2", [2]),
                    xcom("mapped_up", "m1", map_index=1), xcom("mapped_up", "m0", map_index=0)]
        outcome = run("python_pull", xcoms=upstream)
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": {
            "single": {"a": 1}, "key": "o", "list": [{"a": 1}, [2]], "mapped": ["m0", "m1"], "one_index": "m1",
            "missing": None}}])

    def test_xcom_push_keys_in_order_and_none_return_value_not_pushed(self):
        self.assertEqual(run("python_push").result["xcoms"],
                         [{"key": "pushed", "value": [1, "two"]}, {"key": "pushed_again", "value": {"a": None}}])

    def test_get_current_context(self):
        outcome = run("python_context", conf={"who": "conf"})
        self.assertEqual(outcome.result["xcoms"][0]["value"],
                         ["python_context", "scheduled__2024-03-05T00:00:00+00:00", "conf"])

    def test_task_sees_only_the_given_environment_plus_airflow_context(self):
        outcome = run("python_env", env=base_env(DAGBRIDGE_TEST_OUTER="outer"))
        self.assertEqual(outcome.result["xcoms"][0]["value"], {
            "AIRFLOW_CTX_DAG_ID": "run_operators", "AIRFLOW_CTX_DAG_OWNER": "airflow",
            "AIRFLOW_CTX_DAG_RUN_ID": "scheduled__2024-03-05T00:00:00+00:00",
            "AIRFLOW_CTX_EXECUTION_DATE": "2024-03-05T00:00:00+00:00", "AIRFLOW_CTX_TASK_ID": "python_env",
            "AIRFLOW_CTX_TRY_NUMBER": "1", "DAGBRIDGE_TEST_OUTER": "outer"})

    def test_environment_variables_win_over_stored_ones(self):
        # Airflow's secrets search path: the environment backend (AIRFLOW_VAR_*) before the metastore.
        outcome = run("python_variable", variables={"greeting": "hi"}, env=base_env(AIRFLOW_VAR_GREETING="env"))
        self.assertEqual(outcome.result["xcoms"][0]["value"], ["env", "env"])
        outcome = run("python_variable", variables={"greeting": "hi"})
        self.assertEqual(outcome.result["xcoms"][0]["value"], ["hi", "hi"])

    def test_hidden_return_value(self):
        outcome = run("python_hidden")
        self.assertIn("INFO - Done. Returned value not shown", outcome.stderr)
        self.assertNotIn("secret", outcome.stderr)


class ParamsTest(unittest.TestCase):
    def test_dag_params_then_task_params_then_conf(self):
        outcome = run_task("run_params.py", "run_params", "show", conf={"count": 7, "extra": "x"})
        self.assertEqual(outcome.result["xcoms"][0]["value"],
                         {"count": 7, "label": "task", "plain": "p", "own": 1, "extra": "x"})

    def test_conf_value_refused_by_the_param_schema_fails_the_task(self):
        outcome = run_task("run_params.py", "run_params", "show", conf={"count": "many"})
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"], error["message"]), (
            "failed", "ParamValidationError", "Invalid input for param count: 'many' is not of type 'integer'"))


class ExceptionsTest(unittest.TestCase):
    def test_fail_exception_is_not_retryable(self):
        outcome = run("python_fail")
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"], error["message"], error["retryable"]),
                         ("failed", "AirflowFailException", "no point retrying", False))

    def test_skip_exception(self):
        outcome = run("python_skip")
        self.assertEqual((outcome.result["state"], outcome.result["error"]), ("skipped", None))
        self.assertIn("INFO - nothing to do today", outcome.stderr)
        self.assertIn("INFO - Marking task as SKIPPED.", outcome.stderr)

    def test_other_exceptions_are_retryable_with_traceback(self):
        outcome = run("python_boom", tryNumber=1, maxTries=2)
        error = outcome.result["error"]
        self.assertEqual((error["type"], error["message"], error["retryable"]), ("ValueError", "boom at runtime", True))
        self.assertIn('raise ValueError("boom at runtime")', error["traceback"])
        self.assertIn(error["traceback"], outcome.stderr)
        self.assertIn("INFO - Marking task as UP_FOR_RETRY.", outcome.stderr)

    def test_last_try_is_marked_failed(self):
        self.assertIn("INFO - Marking task as FAILED.", run("python_boom", tryNumber=3, maxTries=2).stderr)


class OtherOperatorsTest(unittest.TestCase):
    def test_custom_operator_runs_its_execute_and_logs(self):
        outcome = run("custom")
        if not HAVE_JINJA:
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": 16}])
        self.assertEqual(outcome.stdout, "message: hello 2024-03-05\n")
        self.assertIn("INFO - custom operator running\n", outcome.stderr)

    def test_missing_provider_is_a_typed_permanent_failure(self):
        outcome = run("provider")
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"], error["retryable"]),
                         ("failed", "ProviderNotInstalled", False))
        self.assertIn("apache-airflow-providers-amazon", error["message"])


class CommandLineTest(unittest.TestCase):
    def test_usage_errors_exit_2_without_a_result(self):
        outcome = run_task(FILE, DAG, "empty", args=["--dags-folder", "/tmp"])
        self.assertEqual((outcome.returncode, outcome.result), (2, None))
        self.assertIn("missing --file, --dag-id, --task-id, --result", outcome.stderr)

    def test_unknown_task_and_dag(self):
        error = run_task(FILE, DAG, "nope").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("TaskNotFound", False))
        self.assertEqual(error["message"], "Task 'nope' is not in DAG 'run_operators' (run_operators.py)")
        error = run_task(FILE, "nope", "empty").result["error"]
        self.assertEqual(error["type"], "DagNotFound")

    def test_bad_input(self):
        outcome = run_task(FILE, DAG, "empty", stdin="{not json")
        self.assertEqual((outcome.returncode, outcome.result["state"], outcome.result["error"]["type"]),
                         (0, "failed", "RunInputError"))
        outcome = run_task(FILE, DAG, "empty", version=9)
        self.assertIn("version 9 is not supported", outcome.result["error"]["message"])

    def test_dag_file_that_fails_to_import(self):
        outcome = run_task("run_broken.py", "run_broken", "t")
        error = outcome.result["error"]
        self.assertEqual((outcome.returncode, outcome.result["state"], error["type"], error["message"], error["retryable"]),
                         (0, "failed", "RuntimeError", "broken at import", True))
        self.assertIn('raise RuntimeError("broken at import")', outcome.stderr)

    def test_input_must_match_the_command_line(self):
        outcome = run_task(FILE, DAG, "empty", taskId="echo")
        self.assertEqual(outcome.result["error"]["message"],
                         "task run input taskId 'echo' does not match the command line's 'empty'")


if __name__ == "__main__":
    unittest.main()
