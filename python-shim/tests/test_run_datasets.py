"""Dataset (asset) events in `run`: what a successful task emits (outlet_events, `yield Metadata`, aliases) and
what a task reads (inlet_events, triggering_dataset_events / triggering_asset_events). Facts from Airflow 2.10.5:
airflow/utils/context.py (OutletEventAccessor.add, InletEventsAccessors), airflow/utils/operator_helpers.py
(ExecutionCallableRunner), airflow/models/taskinstance.py (_register_dataset_changes).
(fixtures tests/fixtures/run_dags/run_datasets.py and run_assets.py)."""
import unittest

from tests.test_run_support import run_task


def run(task_id, file="run_datasets.py", dag_id="run_datasets", **kwargs):
    return run_task(file, dag_id, task_id, **kwargs)


def event(uri, extra, source_task="producer", aliases=(), event_id=1, at="2024-01-01T00:00:00+00:00"):
    return {"id": event_id, "uri": uri, "extra": extra, "timestamp": at, "sourceDagId": "p", "sourceRunId": "r",
            "sourceTaskId": source_task, "sourceMapIndex": -1, "sourceAliases": list(aliases)}


def returned(outcome):
    assert outcome.result["state"] == "success", outcome
    return [x["value"] for x in outcome.result["xcoms"] if x["key"] == "return_value"][0]


class OutletEventsTest(unittest.TestCase):
    def test_extra_set_through_outlet_events_not_the_declared_extra(self):
        self.assertEqual(run("set_extra").result["outletEvents"],
                         [{"uri": "s3://bucket/a", "extra": {"rows": 3, "table": "t"}, "aliases": []}])

    def test_classic_operator_gets_outlet_events_in_its_context(self):
        self.assertEqual(run("classic").result["outletEvents"],
                         [{"uri": "s3://bucket/a", "extra": {"from": "PythonOperator"}, "aliases": []}])

    def test_yielded_metadata_sets_extra_and_the_return_value_is_pushed(self):
        outcome = run("yield_metadata")
        self.assertEqual(outcome.result["outletEvents"], [{"uri": "s3://bucket/b", "extra": {"rows": 7}, "aliases": []}])
        self.assertEqual(returned(outcome), "returned")
        self.assertIn("Ignoring unknown data of <class 'str'> received from task", outcome.stderr)

    def test_an_alias_outlet_emits_one_event_per_attached_dataset(self):
        self.assertEqual(run("attach").result["outletEvents"], [
            {"uri": "s3://bucket/c", "extra": {"k": 1}, "aliases": ["my-alias"]},
            {"uri": "s3://bucket/d", "extra": {}, "aliases": ["my-alias"]}])

    def test_metadata_with_an_alias_attaches_its_dataset(self):
        self.assertEqual(run("yield_through_alias").result["outletEvents"], [
            {"uri": "s3://bucket/e", "extra": {"via": "yield"}, "aliases": ["my-alias"]}])

    def test_a_task_with_outlets_and_no_extra_still_emits(self):
        self.assertEqual(run("plain").result["outletEvents"], [{"uri": "s3://bucket/a", "extra": {}, "aliases": []}])

    def test_a_failed_task_emits_nothing(self):
        outcome = run("fail")
        self.assertEqual((outcome.result["state"], outcome.result["outletEvents"]), ("failed", []))

    def test_asset_metadata_airflow3(self):
        self.assertEqual(run("emit", "run_assets.py", "run_assets").result["outletEvents"],
                         [{"uri": "s3://bucket/raw", "extra": {"n": 1}, "aliases": []}])


class InletEventsTest(unittest.TestCase):
    def test_inlet_events_by_dataset_index_and_alias_and_the_triggering_events(self):
        value = returned(run("read", inletEvents=[
            event("s3://bucket/a", {"rows": 3}, "make_a", event_id=1),
            event("s3://bucket/a", {"rows": 4}, "make_a2", event_id=2),
            event("s3://bucket/c", {"k": 1}, "attach", aliases=["my-alias"], event_id=3),
        ], triggeringDatasetEvents=[event("s3://bucket/a", {"rows": 4}, event_id=2)]))
        self.assertEqual(value, {"a": [{"rows": 3}, {"rows": 4}], "first": ["make_a", "make_a2"],
                                 "alias": ["s3://bucket/c"], "triggering": {"s3://bucket/a": [{"rows": 4}]}})

    def test_a_dataset_that_is_not_an_inlet_raises_key_error(self):
        error = run("read_other").result["error"]
        self.assertEqual((error["type"], error["message"]), ("KeyError", "'s3://bucket/b'"))

    def test_triggering_asset_events_airflow3(self):
        value = returned(run("read", "run_assets.py", "run_assets", runType="asset_triggered",
                             triggeringDatasetEvents=[event("s3://bucket/raw", {"n": 1})]))
        self.assertEqual(value, {"s3://bucket/raw": [{"n": 1}]})

    def test_a_run_not_triggered_by_datasets_has_no_triggering_events(self):
        self.assertEqual(returned(run("read", "run_assets.py", "run_assets")), {})
