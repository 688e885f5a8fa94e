"""`run` resolves XComArg.zip like `zip` (the shortest input wins) unless a fillvalue is given, then like
`itertools.zip_longest`; and XComArg.concat (fixture tests/fixtures/run_dags/run_xcom_zip.py)."""
import unittest

from tests.test_run_support import run_task, xcom

UPSTREAM = [xcom("letters", ["a", "b", "c"]), xcom("numbers", [1, 2])]


def run(task_id, map_index=-1):
    return run_task("run_xcom_zip.py", "run_xcom_zip", task_id, map_index, xcoms=UPSTREAM)


def returned(outcome):
    assert outcome.result["state"] == "success", outcome
    [entry] = outcome.result["xcoms"]
    return entry["value"]


class ZipTest(unittest.TestCase):
    def test_without_fillvalue_the_shortest_wins(self):
        self.assertEqual(returned(run("zipped")), [["a", 1], ["b", 2]])

    def test_fillvalue_none_pads_with_none(self):
        self.assertEqual(returned(run("zipped_longest")), [["a", 1], ["b", 2], ["c", None]])

    def test_fillvalue_pads(self):
        self.assertEqual(returned(run("zipped_filled")), [["a", 1], ["b", 2], ["c", 0]])

    def test_mapping_over_a_zip(self):
        self.assertEqual(returned(run("zipped_mapped", 1)), ["b", 2])
        error = run("zipped_mapped", 2).result["error"]
        self.assertEqual((error["type"], error["message"]), ("IndexError", "map index 2 is over the mapped length 2"))


class ConcatTest(unittest.TestCase):
    def test_values_one_after_the_other(self):
        self.assertEqual(returned(run("concatenated")), ["a", "b", "c", 1, 2])


if __name__ == "__main__":
    unittest.main()
