"""`run` on branching, short-circuit, LatestOnly, TriggerDagRun and sensors
(fixture tests/fixtures/run_dags/run_branching.py)."""
import os
import tempfile
import unittest
from datetime import datetime, timedelta, timezone

from tests.test_run_support import base_env, run_task

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False


def run(task_id, **kwargs):
    return run_task("run_branching.py", "run_branching", task_id, **kwargs)


def decision(outcome):
    result = outcome.result
    assert result["state"] == "success", outcome
    return result["followTaskIds"], result["skipTaskIds"]


class BranchTest(unittest.TestCase):
    def test_follow_one_task_skips_the_other_direct_downstream_but_not_the_join(self):
        outcome = run("branch")
        self.assertEqual(decision(outcome), (["a", "join"], ["b", "grp.g1"]))
        self.assertEqual(outcome.result["xcoms"], [{"key": "skipmixin_key", "value": {"followed": ["a", "join"]}},
                                                   {"key": "return_value", "value": "a"}])

    def test_a_task_group_id_follows_the_group_roots(self):
        self.assertEqual(decision(run("branch", conf={"pick": "grp"})), (["grp.g1", "join"], ["a", "b"]))
        self.assertEqual(decision(run("pick_group")), (["grp.g1"], ["other"]))

    def test_several_ids(self):
        self.assertEqual(decision(run("branch", conf={"pick": ["b", "grp.g2"]})), (["b", "join"], ["a", "grp.g1"]))

    def test_unknown_id_fails(self):
        error = run("branch", conf={"pick": "nope"}).result["error"]
        self.assertEqual(error["message"], "'branch_task_ids' must contain only valid task_ids. "
                                           "Invalid tasks found: ['nope'].")

    def test_base_branch_operator_choose_branch(self):
        self.assertEqual(decision(run("chooser", conf={"pick": "c2"})), (["c2"], ["c1"]))


class ShortCircuitTest(unittest.TestCase):
    def test_falsy_skips_all_downstream_except_teardown(self):
        outcome = run("short")
        self.assertEqual(decision(outcome), (None, ["s1", "s2"]))
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": False}])

    def test_truthy_skips_nothing(self):
        self.assertEqual(decision(run("short", conf={"go": 1})), (None, []))

    def test_respecting_trigger_rules_skips_only_direct_downstream(self):
        self.assertEqual(decision(run("short_direct")), (None, ["d1"]))


class LatestOnlyTest(unittest.TestCase):
    def test_an_old_scheduled_run_skips_downstream(self):
        self.assertEqual(decision(run("latest")), ([], ["l1", "l2"]))

    def test_manual_run_proceeds(self):
        self.assertEqual(decision(run("latest", runType="manual")), (["l1", "l2"], []))

    def test_latest_scheduled_run_proceeds(self):
        now = datetime.now(timezone.utc)
        start, end = now - timedelta(days=1, hours=1), now - timedelta(hours=1)
        self.assertEqual(decision(run("latest", logicalDate=start.isoformat(), dataIntervalStart=start.isoformat(),
                                      dataIntervalEnd=end.isoformat())), (["l1", "l2"], []))


class LatestOnlyWindowTest(unittest.TestCase):
    """Airflow 2.10.5 airflow/operators/latest_only.py: external_trigger, then the next run's data interval."""

    def test_a_manual_run_that_is_not_externally_triggered_skips_as_dags_test_does(self):
        self.assertEqual(decision(run("latest", runType="manual", externalTrigger=False)), ([], ["l1", "l2"]))

    def test_an_externally_triggered_run_proceeds(self):
        self.assertEqual(decision(run("latest", runType="manual", externalTrigger=True)), (["l1", "l2"], []))

    def test_the_window_is_the_next_data_interval_the_input_carries(self):
        now = datetime.now(timezone.utc)
        window = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
        # This run's own interval is a day long and a week old: only the carried window says it is the latest.
        self.assertEqual(decision(run("latest", nextDataInterval=window)), (["l1", "l2"], []))

    def test_no_next_run_proceeds(self):
        self.assertEqual(decision(run("latest", nextDataInterval=None)), (["l1", "l2"], []))

    def test_a_malformed_window_is_refused_naming_the_field(self):
        outcome = run("latest", nextDataInterval={"start": "x"})
        self.assertIn("nextDataInterval", outcome.stderr + str(outcome.result))


class TriggerDagRunTest(unittest.TestCase):
    def test_templated_request(self):
        result = run("trigger").result
        if not HAVE_JINJA:
            self.assertEqual((result["state"], result["error"]["type"]), ("failed", "Jinja2NotInstalled"))
            return
        self.assertEqual(result["state"], "success")
        self.assertEqual(len(result["triggerDagRuns"]), 1)
        request = result["triggerDagRuns"][0]
        self.assertEqual({k: request[k] for k in ("dagId", "runId", "conf", "resetDagRun")},
                         {"dagId": "target_dag", "runId": "child__2024-03-05", "conf": {"from": "2024-03-05"},
                          "resetDagRun": True})
        self.assertEqual(result["xcoms"][0], {"key": "trigger_run_id", "value": "child__2024-03-05"})

    def test_default_run_id_from_the_logical_date(self):
        self.assertEqual(run("trigger_plain").result["triggerDagRuns"], [
            {"dagId": "target_dag", "runId": "manual__2024-02-01T00:00:00+00:00", "conf": {},
             "logicalDate": "2024-02-01T00:00:00+00:00", "resetDagRun": False}])


class SensorTest(unittest.TestCase):
    def test_poke_mode_until_true(self):
        with tempfile.TemporaryDirectory() as folder:
            counter = os.path.join(folder, "count")
            outcome = run("poke", env=base_env(DAGBRIDGE_TEST_COUNTER=counter))
            self.assertEqual(outcome.result["state"], "success", outcome)
            self.assertEqual(outcome.stdout, "poke 1\npoke 2\npoke 3\n")
            self.assertIn("INFO - Success criteria met. Exiting.", outcome.stderr)

    def test_timeout_fails_without_retry(self):
        error = run("poke_timeout").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("AirflowSensorTimeout", False))
        self.assertRegex(error["message"], r"^Sensor has timed out; run duration of [0-9.]+ seconds exceeds the "
                                           r"specified timeout of 0.2.$")

    def test_soft_fail_skips(self):
        self.assertEqual(run("poke_soft").result["state"], "skipped")

    def test_reschedule_mode_pokes_once(self):
        before = datetime.now(timezone.utc)
        result = run("resched", sensorFirstPokeAt=before.isoformat()).result
        self.assertEqual((result["state"], result["error"]), ("up_for_reschedule", None))
        at = datetime.fromisoformat(result["rescheduleAt"])
        self.assertTrue(before + timedelta(seconds=120) <= at <= datetime.now(timezone.utc) + timedelta(seconds=120))

    def test_reschedule_mode_times_out_from_the_first_poke(self):
        error = run("resched", sensorFirstPokeAt="2000-01-01T00:00:00+00:00").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("AirflowSensorTimeout", False))

    def test_poke_return_value(self):
        self.assertEqual(run("sensor_value").result["xcoms"], [{"key": "return_value", "value": {"found": 1}}])


if __name__ == "__main__":
    unittest.main()
