"""`run` on TriggerDagRunOperator with wait_for_completion against a fake supervisor channel (fixture
tests/fixtures/run_dags/run_trigger_wait.py): the run is created over the channel, then its state read every
poke_interval until it is allowed or failed, with Airflow 2.10.5's messages (airflow/operators/trigger_dagrun.py)."""
import unittest

from tests.channel_fake import Refusal, error_of, run_with_channel

RUN = {"dagId": "target", "runId": "child", "runType": "manual", "logicalDate": "2024-02-01T00:00:00+00:00",
       "state": "queued", "conf": {"n": 1}}


def target(states, created=True, run=RUN):
    """An answer function: ``dagrun.trigger`` answers ``created``/``run``; each ``dagrun.get`` the next state."""

    def answer(kind, payload):
        if kind == "dagrun.trigger":
            return {"created": created, "run": run}
        if kind == "dagrun.get":
            return dict(RUN, state=states.pop(0) if len(states) > 1 else states[0])
        if kind == "xcom.push":
            return {}
        if kind == "external.count":  # the deferred wait's DagStateTrigger: the run is in a state waited for
            return {"count": 1}
        raise Refusal("unknown_kind", "not served by this fake")

    return answer


def run(task_id, answer, **overrides):
    return run_with_channel("run_trigger_wait.py", "run_trigger_wait", task_id, answer, **overrides)


class WaitForCompletionTest(unittest.TestCase):
    def test_creates_the_run_over_the_channel_then_waits_for_an_allowed_state(self):
        outcome, requests = run("wait", target(["queued", "running", "success"]))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(requests[0], ("dagrun.trigger", {"dagId": "target", "runId": "child", "conf": {"n": 1},
                                                          "logicalDate": "2024-02-01T00:00:00+00:00",
                                                          "resetDagRun": False}))
        self.assertEqual(requests[1:3], [("xcom.push", {"key": "trigger_execution_date_iso", "value": RUN["logicalDate"]}),
                                         ("xcom.push", {"key": "trigger_run_id", "value": "child"})])
        self.assertEqual([kind for kind, _ in requests[3:]], ["dagrun.get"] * 3)
        self.assertEqual(requests[3][1], {"dagId": "target", "runId": "child"})
        # Created already: the scheduler must not create it again from the result.
        self.assertEqual(outcome.result["triggerDagRuns"], [])
        self.assertIn("Waiting for target on 2024-02-01T00:00:00+00:00 to become allowed state ['success'] ...",
                      outcome.stderr)
        self.assertIn("target finished with allowed state success", outcome.stderr)

    def test_a_failed_state_fails_the_try_with_airflow_message(self):
        outcome, _ = run("wait", target(["running", "failed"]))
        self.assertEqual(error_of(outcome), ("failed", "AirflowException", "target failed with failed states failed",
                                             True))

    def test_deferrable_defers_on_a_dag_state_trigger_then_execute_complete_reads_the_run(self):
        # Airflow 2.10.5 operators/trigger_dagrun.py: defer on DagStateTrigger(states=allowed_states + failed_states,
        # execution_dates=[the run's logical date]) (lines 243-253); execute_complete (lines 275-300).
        outcome, requests = run("wait_flipped", target(["success"]))
        self.assertEqual(error_of(outcome)[:3], ("failed", "AirflowException",
                                                 "target failed with failed state success"))
        self.assertEqual(requests[3:], [
            ("external.count", {"dagId": "target", "taskIds": None, "taskGroupId": None,
                                "logicalDates": ["2024-02-01T00:00:00+00:00"], "states": ["failed", "success"]}),
            ("dagrun.get", {"dagId": "target", "runId": "child"})])
        outcome, _ = run("wait_flipped", target(["failed"]))
        self.assertEqual(outcome.result["state"], "success", outcome)
        outcome, _ = run("wait_flipped", target(["running"]))
        self.assertEqual(error_of(outcome)[:3], ("failed", "AirflowException",
                                                 "target return running which is not in ['success'] or ['failed']"))

    def test_an_existing_run_is_dag_run_already_exists_or_a_skip_or_waited_on_with_reset(self):
        outcome, requests = run("wait", target(["success"], created=False))
        self.assertEqual(error_of(outcome), ("failed", "DagRunAlreadyExists", "A DAG Run already exists for DAG "
                                             "target at 2024-02-01T00:00:00+00:00 with run id child", True))
        self.assertEqual(len(requests), 1)
        outcome, _ = run("wait_skip", target(["success"], created=False))
        self.assertEqual(outcome.result["state"], "skipped", outcome)
        outcome, requests = run("wait_reset", target(["success"], created=False))
        self.assertEqual((outcome.result["state"], requests[0][1]["resetDagRun"]), ("success", True))

    def test_an_unknown_dag_and_a_refused_run_id(self):
        outcome, _ = run("wait", target(["success"], run=None))
        self.assertEqual(error_of(outcome)[:3], ("failed", "DagNotFound", "Dag id target not found in DagModel"))

        def invalid(kind, payload):
            raise Refusal("invalid", "TriggerDagRunOperator asked for a run of DAG target that cannot be created: x")

        outcome, _ = run("wait", invalid)
        self.assertEqual(error_of(outcome), ("failed", "AirflowFailException", "dagrun.trigger: TriggerDagRunOperator "
                                             "asked for a run of DAG target that cannot be created: x", False))


if __name__ == "__main__":
    unittest.main()
