"""`run` on ExternalTaskSensor against a fake supervisor channel (fixture tests/fixtures/run_dags/run_external_task.py):
Airflow 2.10.5's poke (airflow/sensors/external_task.py): the logical dates watched, check_existence once, failed
and skipped states with Airflow's messages, poke and reschedule modes; and the constructor's checks."""
import subprocess
import sys
import unittest

from tests.channel_fake import Refusal, error_of, run_with_channel
from tests.test_run_support import base_env

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False

LOGICAL = "2024-03-05T00:00:00+00:00"


def counting(counts, exists=None):
    """An answer function: ``counts`` maps a tuple of states to a count, or to a list of counts handed out one
    per request (the last one repeats), so a watched task can change state between pokes."""

    def answer(kind, payload):
        if kind == "external.exists":
            return exists
        if kind == "xcom.push":
            return {}
        if kind not in ("external.count", "external.dag_ti_count"):
            raise Refusal("unknown_kind", "not served by this fake")
        prefix = ("dag_ti",) if kind == "external.dag_ti_count" else ()
        value = counts.get(prefix + tuple(payload["states"]), 0)
        if isinstance(value, list):
            value = value.pop(0) if len(value) > 1 else value[0]
        return {"count": value}

    return answer


def run(task_id, answer, **overrides):
    return run_with_channel("run_external_task.py", "run_external_task", task_id, answer, **overrides)


class ExternalTaskSensorTest(unittest.TestCase):
    def test_waits_until_the_task_succeeds_at_the_logical_date_minus_execution_delta(self):
        outcome, requests = run("wait_task", counting({("success",): [0, 0, 1]}))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual([kind for kind, _ in requests], ["external.count"] * 3)
        self.assertEqual(requests[0][1], {"dagId": "upstream", "taskIds": ["final"], "taskGroupId": None,
                                          "logicalDates": ["2024-03-04T23:00:00+00:00"], "states": ["success"]})
        self.assertIn("Poking for tasks ['final'] in dag upstream on 2024-03-04T23:00:00+00:00 ... ", outcome.stderr)

    def test_reschedule_mode_pokes_once_per_process(self):
        outcome, requests = run("wait_tasks", counting({("success",): 0.5}))
        self.assertEqual(outcome.result["state"], "up_for_reschedule", outcome)
        self.assertIsNotNone(outcome.result["rescheduleAt"])
        self.assertEqual(len(requests), 1)
        self.assertEqual(requests[0][1]["taskIds"], ["a", "b"])
        outcome, _ = run("wait_tasks", counting({("success",): 1}), sensorFirstPokeAt=LOGICAL)
        self.assertEqual(outcome.result["state"], "success", outcome)

    def test_failed_states_fail_the_task_with_airflow_message_and_retry(self):
        outcome, requests = run("wait_group", counting({("failed", "upstream_failed"): 1}))
        self.assertEqual(error_of(outcome), ("failed", "AirflowException",
                                             "The external task_group 'load' in DAG 'upstream' failed.", True))
        self.assertEqual(requests[0][1]["taskGroupId"], "load")
        self.assertEqual(len(requests), 1)

    def test_failed_states_with_soft_fail_skip(self):
        outcome, _ = run("wait_group_soft", counting({("failed",): 1}))
        self.assertEqual(outcome.result["state"], "skipped", outcome)
        self.assertIn("The external task_group 'load' in DAG 'upstream' failed. Skipping due to soft_fail.",
                      outcome.stderr)

    def test_whole_dag_run_failed_airflow_3_path(self):
        outcome, requests = run("wait_dag", counting({("failed",): [0, 1]}))
        self.assertEqual(error_of(outcome), ("failed", "AirflowException", "The external DAG upstream failed.", True))
        self.assertEqual([(p["taskIds"], p["taskGroupId"], p["states"]) for _, p in requests],
                         [(None, None, ["failed"]), (None, None, ["success"]), (None, None, ["failed"])])

    def test_skipped_states_skip(self):
        outcome, _ = run("wait_skipped", counting({("skipped",): 1}))
        self.assertEqual(outcome.result["state"], "skipped", outcome)
        self.assertIn("Some of the external tasks ['final'] in DAG upstream reached a state in our "
                      "states-to-skip-on list. Skipping.", outcome.stderr)

    def test_execution_date_fn_gets_the_logical_date_and_context_and_every_date_must_be_allowed(self):
        outcome, requests = run("wait_dates", counting({("success",): [1, 2]}))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(len(requests), 2)
        self.assertEqual(requests[0][1]["logicalDates"], [LOGICAL, "2024-03-04T00:00:00+00:00"])

    def test_check_existence_names_the_missing_task(self):
        outcome, requests = run("wait_exists", counting({}, {"dag": True, "missingTaskIds": ["gone"], "group": False}))
        self.assertEqual(error_of(outcome), ("failed", "AirflowException",
                                             "The external task gone in DAG upstream does not exist.", True))
        self.assertEqual(requests, [("external.exists", {"dagId": "upstream", "taskIds": ["final", "gone"],
                                                         "taskGroupId": None})])
        outcome, _ = run("wait_exists", counting({}, {"dag": False, "missingTaskIds": [], "group": False}))
        self.assertEqual(error_of(outcome)[2], "The external DAG upstream does not exist.")

    def test_check_existence_only_on_the_first_poke(self):
        outcome, requests = run("wait_exists_ok", counting({("success",): [0, 1]},
                                                           {"dag": True, "missingTaskIds": [], "group": False}))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual([kind for kind, _ in requests], ["external.exists", "external.count", "external.count"])

    def test_timeout_fails_without_retry(self):
        outcome, _ = run("wait_timeout", counting({}))
        self.assertEqual(error_of(outcome)[:2], ("failed", "AirflowSensorTimeout"))
        self.assertFalse(error_of(outcome)[3])

    def test_a_refused_request_fails_the_try_naming_it(self):
        def refuse(kind, payload):
            raise Refusal("unavailable", "the store is unreachable")

        outcome, _ = run("wait_task", refuse)
        self.assertEqual(error_of(outcome), ("failed", "ChannelError", "channel request external.count refused "
                                             "(unavailable): external.count: the store is unreachable", True))

    def test_a_subclass_with_its_own_poke_runs_it(self):
        outcome, requests = run("own_poke", counting({}))
        self.assertEqual((outcome.result["state"], requests), ("success", []))

    def test_marker_does_nothing(self):
        outcome, _ = run("marker", counting({}))
        if not HAVE_JINJA:  # its execution_date is a template
            self.assertEqual(outcome.result["error"]["type"], "Jinja2NotInstalled")
            return
        self.assertEqual((outcome.result["state"], outcome.result["renderedFields"]["execution_date"]),
                         ("success", LOGICAL))


_CHECKS = """
from dagbridge_shim.loader import activate_standins
activate_standins()
from airflow.sensors.external_task import ExternalTaskSensor
cases = [dict(allowed_states=["success"], failed_states=["success"]),
         dict(external_task_id="t", external_task_group_id="g"), dict(allowed_states=["skipped"]),
         dict(external_task_id="t", allowed_states=["done"]), dict(external_task_ids=[]),
         dict(external_task_id="t", allowed_states=["skipped"])]
for kwargs in cases:
    try:
        sensor = ExternalTaskSensor(task_id="s", external_dag_id="up", **kwargs)
        print("ok", sensor.external_task_ids)
    except Exception as error:
        print(type(error).__name__, str(error)[:70])
"""


def deferred(task_id, answer):
    """(outcome, the count requests, the return value pushed or None)."""
    outcome, requests = run(task_id, answer)
    pushed = [p["value"] for kind, p in requests if kind == "xcom.push" and p["key"] == "return_value"]
    return outcome, [(k, p) for k, p in requests if k.startswith("external.")], (pushed or [None])[-1]


class DeferrableTest(unittest.TestCase):
    """ExternalTaskSensor(deferrable=True) and the external-task triggers, Airflow 2.10.5's
    sensors/external_task.py (execute lines 345-362, execute_complete 364-378, BaseSensorOperator.resume_execution
    in sensors/base.py 342-348) and triggers/external_task.py (WorkflowTrigger.run 99-120, TaskStateTrigger.run
    194-220, DagStateTrigger.run 290-298), run in the task's process."""

    def test_defers_on_a_workflow_trigger_of_the_allowed_states_only(self):
        # execute passes neither failed_states nor skipped_states to the trigger (lines 352-360).
        outcome, requests, value = deferred("defer_task", counting({("success",): [0, 0, 1], ("failed",): 1, ("skipped",): 1}))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual([p["states"] for _, p in requests], [["success"]] * 3)
        self.assertEqual(requests[0][1], {"dagId": "upstream", "taskIds": ["final"], "taskGroupId": None,
                                          "logicalDates": [LOGICAL], "states": ["success"]})
        self.assertIn("Pausing task as DEFERRED", outcome.stderr)
        self.assertIn("Resuming defer_task with execute_complete", outcome.stderr)

    def test_execution_timeout_ends_the_wait_as_a_task_timeout_soft_fail_or_not(self):
        # The trigger's timeout is capped at start_date + execution_timeout and the task, resumed past it, raises
        # AirflowTaskTimeout before resuming (models/taskinstance.py lines 1723-1732, 748-760): soft_fail does
        # not apply (it is BaseSensorOperator.resume_execution's, never reached).
        for task_id in "defer_soft", "defer_hard":
            outcome, requests, _ = deferred(task_id, counting({}))
            self.assertEqual(error_of(outcome)[:2], ("failed", "AirflowTaskTimeout"), outcome)
            self.assertTrue(error_of(outcome)[3])
            self.assertGreater(len(requests), 0)

    def test_a_trigger_failure_fails_the_sensor_or_skips_it_with_soft_fail(self):
        def refuse(kind, payload):
            raise Refusal("unavailable", "the store is unreachable")

        outcome, _, _ = deferred("defer_soft", refuse)
        self.assertEqual(outcome.result["state"], "skipped", outcome)
        self.assertIn("Trigger failed:", outcome.stderr)
        outcome, _, _ = deferred("defer_hard", refuse)
        self.assertEqual(error_of(outcome)[:3], ("failed", "TaskDeferralError", "Trigger failure"))

    def test_workflow_trigger_with_failed_states_decides_on_its_first_count(self):
        # Lines 102-109: a failed count is "failed", none is "success" at once, without looking at allowed states.
        outcome, requests, value = deferred("workflow_failed", counting({("failed",): 1}))
        self.assertEqual((outcome.result["state"], value), ("success", {"status": "failed"}))
        outcome, requests, value = deferred("workflow_failed", counting({("failed",): 0}))
        self.assertEqual(value, {"status": "success"})
        self.assertEqual([p["states"] for _, p in requests], [["failed"]])

    def test_workflow_trigger_skipped_states_then_allowed_states(self):
        outcome, requests, value = deferred("workflow_skipped", counting({("skipped",): [0, 1], ("success",): 0}))
        self.assertEqual(value, {"status": "skipped"})
        self.assertEqual([p["states"] for _, p in requests], [["skipped"], ["success"], ["skipped"]])
        self.assertEqual((requests[0][1]["taskIds"], requests[0][1]["taskGroupId"]), (None, None))

    def test_task_state_trigger_waits_for_the_task_and_times_out_after_60_seconds(self):
        outcome, requests, value = deferred("task_state", counting({("dag_ti", "running", "success"): 1, ("success",): [0, 1]}))
        self.assertEqual(value, {"status": "success"}, outcome)
        self.assertEqual([k for k, _ in requests], ["external.dag_ti_count", "external.count"] * 2)
        self.assertEqual(requests[1][1]["taskIds"], ["final"])
        outcome, requests, value = deferred("task_state_late", counting({("success",): 1}))
        self.assertEqual((value, requests), ({"status": "timeout"}, []))

    def test_task_state_trigger_failed_when_a_count_raises(self):
        def refuse(kind, payload):
            raise Refusal("unavailable", "the store is unreachable")

        outcome, requests, value = deferred("task_state", refuse)
        self.assertEqual(value, {"status": "failed"})

    def test_dag_state_trigger_yields_its_serialization_once_every_date_has_a_run_in_the_states(self):
        outcome, requests, value = deferred("dag_state", counting({("success", "failed"): [0, 1]}))
        self.assertEqual(value,
                         ["airflow.triggers.external_task.DagStateTrigger", ["success", "failed"]], outcome)
        self.assertEqual(requests[0][1], {"dagId": "upstream", "taskIds": None, "taskGroupId": None,
                                          "logicalDates": [LOGICAL], "states": ["success", "failed"]})
        self.assertEqual(len(requests), 2)


class ConstructorTest(unittest.TestCase):
    """Airflow 2.10.5's argument checks (airflow/sensors/external_task.py ExternalTaskSensor.__init__)."""

    def test_checks(self):
        completed = subprocess.run([sys.executable, "-c", _CHECKS], capture_output=True, text=True, env=base_env(),
                                   timeout=60)
        self.assertEqual(completed.stdout.splitlines(), [
            "AirflowException Duplicate values provided across allowed_states, skipped_states and fa",
            "ValueError Only one of `external_task_group_id` or `external_task_ids` may be pro",
            "ValueError Valid values for `allowed_states`, `skipped_states` and `failed_states",
            "ValueError Valid values for `allowed_states`, `skipped_states` and `failed_states",
            "ok None",
            "ok ['t']",
        ], completed.stderr)


if __name__ == "__main__":
    unittest.main()
