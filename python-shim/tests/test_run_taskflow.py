"""`run` on TaskFlow tasks: XComArg inputs, multiple outputs, @task.bash, and dynamic task mapping (literal cross
product, from XCom, expand_kwargs, dict input, classic partial/expand, mapped task group)
(fixture tests/fixtures/run_dags/run_taskflow.py)."""
import unittest

from tests.test_run_support import run_task, xcom

NUMBERS = xcom("numbers", [1, 2, 3])


def run(task_id, map_index=-1, **kwargs):
    return run_task("run_taskflow.py", "run_taskflow", task_id, map_index, **kwargs)


def returned(outcome):
    assert outcome.result["state"] == "success", outcome
    values = [entry["value"] for entry in outcome.result["xcoms"] if entry["key"] == "return_value"]
    assert len(values) == 1, outcome
    return values[0]


class XComArgTest(unittest.TestCase):
    def test_multiple_outputs_push_each_key_then_return_value(self):
        self.assertEqual(run("split").result["xcoms"], [
            {"key": "left", "value": "L"}, {"key": "right", "value": ["R"]},
            {"key": "return_value", "value": {"left": "L", "right": ["R"]}}])

    def test_multiple_outputs_needs_a_dict(self):
        error = run("bad_outputs").result["error"]
        self.assertEqual((error["type"], error["message"]), (
            "AirflowException", "Returned output was type <class 'list'> expected dictionary for multiple_outputs"))

    def test_xcomarg_inputs_and_keys_resolve_from_upstream_xcoms(self):
        upstream = [NUMBERS, xcom("split", "L", key="left"), xcom("split", ["R"], key="right")]
        self.assertEqual(returned(run("combine", xcoms=upstream, conf={"factor": 2})),
                         {"total": 6, "left": "L", "right": ["R"], "factor": 2})

    def test_missing_upstream_return_value_resolves_to_none(self):
        error = run("combine", xcoms=[]).result["error"]
        self.assertEqual((error["type"], error["message"]), ("TypeError", "'NoneType' object is not iterable"))

    def test_bash_decorator_runs_the_returned_command(self):
        outcome = run("shout")
        self.assertEqual((returned(outcome), outcome.stdout), ("HEY!", "HEY!\n"))


class MappingTest(unittest.TestCase):
    def test_literal_cross_product_in_airflow_order(self):
        expected = ["1+a", "1+b", "1+c", "2+a", "2+b", "2+c"]
        self.assertEqual([returned(run("add", index)) for index in range(6)], expected)

    def test_map_index_beyond_the_product_fails(self):
        error = run("add", 6).result["error"]
        self.assertEqual((error["type"], error["message"]), ("IndexError", "map index 6 is over the mapped length 6"))

    def test_dict_inputs_map_over_items(self):
        self.assertEqual(returned(run("add_from_dict", 1)), "('k2', 'v2')+z")

    def test_mapping_over_an_upstream_xcom_with_partial(self):
        self.assertEqual(returned(run("scale", 2, xcoms=[NUMBERS])), [9, 2])

    def test_pulling_a_mapped_upstream_gives_every_index_in_order(self):
        upstream = [xcom("scale", [6, 1], map_index=1), xcom("scale", [3, 0], map_index=0)]
        self.assertEqual(returned(run("collect_mapped", xcoms=upstream)), [[3, 0], [6, 1]])

    def test_expand_kwargs_literal_and_from_mapped_xcom(self):
        self.assertEqual(returned(run("keyed", 1)), {"a": 2, "b": "two"})
        self.assertEqual(returned(run("keyed_from_xcom", 2, xcoms=[NUMBERS])), {"a": 3, "b": 6})

    def test_classic_operator_partial_expand(self):
        outcome = run("bash_mapped", 1)
        self.assertEqual((returned(outcome), outcome.result["renderedFields"]["bash_command"]), ("two", "echo two"))

    def test_mapped_task_group_uses_the_same_map_index_inside_the_group(self):
        self.assertEqual(returned(run("per_item.first", 1, xcoms=[NUMBERS])), 200)
        upstream = [NUMBERS, xcom("per_item.first", 100, map_index=0), xcom("per_item.first", 200, map_index=1)]
        self.assertEqual(returned(run("per_item.second", 1, xcoms=upstream)), [200, 2])


if __name__ == "__main__":
    unittest.main()
