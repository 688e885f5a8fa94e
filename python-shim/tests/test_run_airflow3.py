"""`run` on an Airflow 3 style file: Airflow 3's xcom_pull shapes and context keys
(fixture tests/fixtures/run_dags/run_airflow3.py)."""
import unittest

from tests.test_run_support import run_task, xcom


class Airflow3Test(unittest.TestCase):
    def test_xcom_pull_shapes_and_context_keys(self):
        upstream = [xcom("produce", {"n": 1}), xcom("mapped_up", "a", map_index=0), xcom("mapped_up", "b", map_index=1)]
        outcome = run_task("run_airflow3.py", "run_airflow3", "shapes", xcoms=upstream)
        self.assertEqual(outcome.result["xcoms"], [{"key": "mine", "value": "own"}, {"key": "return_value", "value": {
            "own_default": "own", "single": {"n": 1}, "mapped": ["a", "b"], "list": [{"n": 1}, None],
            "explicit_index": ["b", "d"], "keys": ["ds", "logical_date", "params"], "same_ti": True}}])

    def test_plain_task_return_value(self):
        outcome = run_task("run_airflow3.py", "run_airflow3", "produce")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": {"n": 1}}])


if __name__ == "__main__":
    unittest.main()
