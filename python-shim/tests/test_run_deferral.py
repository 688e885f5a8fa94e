"""Deferred tasks run their trigger in the task's process and resume there, following Airflow 2.10.5's triggerer
path (models/trigger.py ``submit_event``/``submit_failure``, triggers/base.py ``TriggerEvent.handle_submit`` and
``BaseTaskEndEvent.handle_submit``, models/baseoperator.py and sensors/base.py ``resume_execution``,
jobs/scheduler_job_runner.py ``check_trigger_timeouts``) and models/dag.py ``_run_inline_trigger``. Fixture:
tests/fixtures/run_dags/run_deferral.py."""
import os
import shutil
import tempfile
import unittest

from tests.test_run_support import base_env, run_task


def run(task_id, **env):
    return run_task("run_deferral.py", "run_deferral", task_id, env=base_env(**env))


def returned(outcome):
    return [x["value"] for x in outcome.result["xcoms"] if x["key"] == "return_value"]


class CustomTriggerTest(unittest.TestCase):
    def test_each_resumed_method_gets_the_deferral_kwargs_and_the_event_payload(self):
        outcome = run("two_steps")
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(returned(outcome), [["execute", 1, 2]])
        self.assertIn("Pausing task as DEFERRED. dag_id=run_deferral, task_id=two_steps", outcome.stderr)
        self.assertIn("echo {'step': 2}", outcome.stderr)

    def test_a_passed_deferral_timeout_fails_the_task_with_airflows_error_and_retries_apply(self):
        error = run("times_out").result["error"]
        self.assertEqual((error["type"], error["message"], error["retryable"]),
                         ("TaskDeferralError", "Trigger/execution timeout", True))

    def test_a_sensor_with_soft_fail_is_skipped_when_its_deferral_times_out(self):
        outcome = run("sensor_times_out_soft")
        self.assertEqual(outcome.result["state"], "skipped", outcome)

    def test_a_trigger_that_raises_fails_the_task_with_its_traceback_logged(self):
        outcome = run("broken")
        error = outcome.result["error"]
        self.assertEqual((error["type"], error["message"]), ("TaskDeferralError", "Trigger failure"))
        self.assertIn("Trigger failed:", outcome.stderr)
        self.assertIn("RuntimeError: the service is gone", outcome.stderr)

    def test_airflows_testing_triggers_fire_and_fail_at_once(self):
        self.assertEqual(returned(run("testing_success")), ["resumed"])
        outcome = run("testing_failure")
        self.assertEqual(outcome.result["error"]["message"], "Trigger failure")
        self.assertIn("ValueError: Deliberate trigger failure", outcome.stderr)


class EndEventTest(unittest.TestCase):
    def test_end_events_end_the_task_without_resuming_it_and_push_their_xcoms(self):
        for task_id, state in (("ends_skipped", "skipped"), ("ends_failed", "failed"), ("ends_success", "success")):
            with self.subTest(task_id):
                outcome = run(task_id)
                self.assertEqual(outcome.result["state"], state, outcome)
                self.assertEqual([x["value"] for x in outcome.result["xcoms"] if x["key"] == "ended"], [state])
                self.assertEqual(returned(outcome), [])
        self.assertFalse(run("ends_failed").result["error"]["retryable"])


class DeferrableSensorTest(unittest.TestCase):
    def test_time_sensors_async_wait_for_their_moment_whatever_their_timeout(self):
        for task_id in ("time_async", "datetime_async"):
            with self.subTest(task_id):
                outcome = run(task_id)
                self.assertEqual(outcome.result["state"], "success", outcome)
                self.assertIn("Pausing task as DEFERRED", outcome.stderr)

    def test_time_delta_sensor_async_past_its_target_succeeds_without_deferring(self):
        outcome = run("timedelta_async_past")
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertNotIn("Pausing task as DEFERRED", outcome.stderr)

    def test_file_sensor_deferrable_defers_on_a_missing_file_bounded_by_its_timeout(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        with open(os.path.join(folder, "present.txt"), "w") as handle:
            handle.write("x")
        present = run("file_deferrable_present", DEFER_FOLDER=folder)
        self.assertEqual(present.result["state"], "success", present)
        self.assertNotIn("Pausing task as DEFERRED", present.stderr)
        missing = run("file_deferrable_missing", DEFER_FOLDER=folder)
        error = missing.result["error"]
        self.assertEqual((error["type"], error["message"]), ("TaskDeferralError", "Trigger/execution timeout"))
        self.assertIn("FileTrigger", missing.stderr)


if __name__ == "__main__":
    unittest.main()
