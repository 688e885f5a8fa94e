"""`run` on ExternalTaskSensor: a clear failure that is not retried, whatever the sensor's settings, since the
task runner does not receive other DAGs' states (fixture tests/fixtures/run_dags/run_external_task.py)."""
import unittest

from tests.test_run_support import run_task

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False


def run(task_id):
    return run_task("run_external_task.py", "run_external_task", task_id)


def message(task_id, what):
    return ("ExternalTaskSensor %r needs the states of DAG 'upstream' (%s), which the task runner does not receive: "
            "dagbridge cannot evaluate this sensor. Replace it with a dependency inside one DAG, a "
            "TriggerDagRunOperator at the end of DAG 'upstream', or a schedule on an asset (dataset) that DAG "
            "'upstream' updates" % (task_id, what))


class ExternalTaskSensorTest(unittest.TestCase):
    def assert_unavailable(self, task_id, what):
        outcome = run(task_id)
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"], error["message"], error["retryable"]),
                         ("failed", "ExternalTaskStatesUnavailable", message(task_id, what), False))
        self.assertIn("INFO - Marking task as FAILED.", outcome.stderr)

    def test_one_task(self):
        self.assert_unavailable("wait_task", "task 'final'")

    def test_several_tasks_in_reschedule_mode(self):
        self.assert_unavailable("wait_tasks", "tasks 'a', 'b'")

    def test_a_task_group_with_never_fail(self):
        self.assert_unavailable("wait_group", "task group 'load'")

    def test_the_whole_dag_run_airflow_3_path_with_soft_and_silent_fail(self):
        self.assert_unavailable("wait_dag", "its DAG run")

    def test_a_subclass_with_its_own_poke_runs_it(self):
        self.assertEqual(run("own_poke").result["state"], "success")

    def test_marker_does_nothing(self):
        outcome = run("marker")
        if not HAVE_JINJA:  # its execution_date is a template
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual((outcome.result["state"], outcome.result["renderedFields"]["execution_date"]),
                         ("success", "2024-03-05T00:00:00+00:00"))


if __name__ == "__main__":
    unittest.main()
