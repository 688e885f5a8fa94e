"""`run` on `@task.bash`, end to end: the function's return value is the command, rendered as a template (also
as a template file), run like BashOperator, with its exit-code skipping; the rendered fields show the command
(fixture tests/fixtures/run_dags/run_bash_decorator.py)."""
import unittest

from tests.test_run_support import run_task, xcom

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False

NAME = xcom("make_name", "world")


def run(task_id, map_index=-1, **kwargs):
    return run_task("run_bash_decorator.py", "run_bash_decorator", task_id, map_index, xcoms=[NAME], **kwargs)


def returned(outcome):
    assert outcome.result["state"] == "success", outcome
    [entry] = outcome.result["xcoms"]
    return entry["value"]


class TemplatingTest(unittest.TestCase):
    def test_the_returned_command_is_rendered_then_run(self):
        outcome = run("templated")
        if not HAVE_JINJA:
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual((returned(outcome), outcome.stdout), ("2024-03-05 world hello", "2024-03-05 world hello\n"))
        self.assertEqual(outcome.result["renderedFields"], {
            "op_args": ["world"], "op_kwargs": {}, "bash_command": "echo 2024-03-05 world hello", "env": None,
            "cwd": None})

    def test_a_returned_template_file_name_is_read_and_rendered(self):
        outcome = run("from_file")
        if not HAVE_JINJA:
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual(returned(outcome), "script 2024-03-05 2")
        self.assertEqual(outcome.result["renderedFields"]["bash_command"], 'echo "script 2024-03-05 2"')

    def test_env_and_airflow_context_variables(self):
        outcome = run("from_env")
        self.assertEqual(returned(outcome), "hi world from from_env")
        self.assertEqual(outcome.result["renderedFields"]["bash_command"],
                         'echo "$GREETING world from $AIRFLOW_CTX_TASK_ID"')

    def test_the_command_must_be_a_non_empty_string(self):
        error = run("returns_nothing").result["error"]
        self.assertEqual((error["type"], error["message"]),
                         ("TypeError", "The returned value from the TaskFlow callable must be a non-empty string."))


class ExitCodeTest(unittest.TestCase):
    def test_exit_99_skips_by_default(self):
        outcome = run("exit_99")
        self.assertEqual((outcome.result["state"], outcome.result["error"], outcome.stdout), ("skipped", None, "before\n"))
        self.assertIn("INFO - Bash command returned exit code 99. Skipping.", outcome.stderr)
        self.assertEqual(outcome.result["renderedFields"]["bash_command"], "echo before; exit 99")

    def test_skip_on_exit_code_from_the_decorator_arguments(self):
        self.assertEqual(run("exit_custom").result["state"], "skipped")

    def test_other_exit_codes_fail(self):
        outcome = run("exit_3")
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"], error["message"], error["retryable"]), (
            "failed", "AirflowException", "Bash command failed. The command returned a non-zero exit code 3.", True))
        self.assertEqual(outcome.result["renderedFields"]["bash_command"], "echo before; exit 3")

    def test_skip_on_exit_code_none_never_skips(self):
        error = run("never_skips").result["error"]
        self.assertEqual(error["message"], "Bash command failed. The command returned a non-zero exit code 99.")

    def test_mapped(self):
        self.assertEqual(returned(run("exits_mapped", 0)), "before")
        outcome = run("exits_mapped", 1)
        self.assertEqual((outcome.result["state"], outcome.result["renderedFields"]["op_kwargs"]), ("skipped", {"code": 99}))


if __name__ == "__main__":
    unittest.main()
