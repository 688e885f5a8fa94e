"""`run` of task code that reads the store over the supervisor channel when it asks (fixture
tests/fixtures/run_dags/run_stored.py): DagRun.get_task_instances(state=...), TaskInstance.get_previous_ti /
get_previous_dagrun / get_previous_execution_date / get_previous_start_date (Airflow 2.10.5's names),
refresh_from_db."""
import unittest

from tests.channel_fake import Refusal, run_with_channel

PREVIOUS_RUN = {"dagId": "run_stored", "runId": "scheduled__2024-03-04T00:00:00+00:00", "runType": "scheduled",
                "state": "success", "logicalDate": "2024-03-04T00:00:00+00:00", "startDate": "2024-03-05T00:00:02Z",
                "endDate": "2024-03-05T00:01:00Z", "conf": {}}


def answer(kind, payload):
    if kind == "dagrun.task_instances":
        return [{"dagId": "run_stored", "runId": "r", "taskId": "a", "mapIndex": -1, "state": "success",
                 "startDate": "2024-03-06T00:00:01Z"},
                {"dagId": "run_stored", "runId": "r", "taskId": "b", "mapIndex": -1, "state": "none",
                 "startDate": None}]
    if kind == "ti.previous":
        return {"dagId": "run_stored", "runId": PREVIOUS_RUN["runId"], "taskId": "inspect", "mapIndex": -1,
                "state": "success", "startDate": "2024-03-05T00:00:03.5Z", "run": PREVIOUS_RUN}
    if kind == "dagrun.previous":
        return PREVIOUS_RUN
    if kind == "ti.heartbeat":
        return {"state": "running", "tryNumber": 2, "stillOwned": True}
    if kind == "xcom.push":
        return {}
    raise Refusal("unknown_kind", "not served by this fake")


class StoredReadsTest(unittest.TestCase):
    def test_reads_when_asked_with_airflow_shapes(self):
        outcome, requests = run_with_channel("run_stored.py", "run_stored", "inspect", answer)
        self.assertEqual(outcome.result["state"], "success", outcome)
        returned = [p["value"] for kind, p in requests if kind == "xcom.push" and p["key"] == "return_value"]
        self.assertEqual(returned, [{
            "tis": [["a", "success", "2024-03-06T00:00:01+00:00"], ["b", None, None]],
            "one": "<TaskInstance: run_stored.a r [success]>",
            "previous": [PREVIOUS_RUN["runId"], "success", "2024-03-04T00:00:00+00:00"],
            "previous_run": PREVIOUS_RUN["runId"],
            "previous_date": "2024-03-04T00:00:00+00:00",
            "previous_start": "2024-03-05T00:00:03.500000+00:00",
            "state": ["running", 2],
        }])
        self.assertEqual(requests[:3], [("dagrun.task_instances", {"states": ["success", None]}),
                                        ("ti.previous", {"state": "success"}), ("ti.heartbeat", {})])
        self.assertIn(("dagrun.previous", {"state": None}), requests)


if __name__ == "__main__":
    unittest.main()
