"""map_index_template: each mapped task instance's name, rendered after execute with the task's context, as
Airflow 2.10.5's TaskInstance._execute_task_with_callbacks does (_render_map_index), and sent as the result's
renderedMapIndex. A failed task swallows the rendering error; a successful one fails on it."""
import unittest

from tests.test_run_support import run_task


def run(task_id, map_index=0):
    return run_task("run_map_index_template.py", "run_map_index_template", task_id, map_index)


class MapIndexTemplateTest(unittest.TestCase):
    def test_a_value_the_task_put_in_the_context_names_the_instance(self):
        outcome = run("process", 1)
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(outcome.result["renderedMapIndex"], "file b.csv")

    def test_the_template_sees_the_unmapped_task(self):
        outcome = run("echo", 0)
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(outcome.result["renderedMapIndex"], "echo one")

    def test_a_failed_task_keeps_its_own_error_when_the_template_cannot_render(self):
        outcome = run("fails", 0)
        self.assertEqual(outcome.result["state"], "failed", outcome)
        self.assertEqual(outcome.result["error"]["type"], "ValueError")
        self.assertIsNone(outcome.result["renderedMapIndex"])

    def test_a_successful_task_fails_when_its_template_cannot_render(self):
        outcome = run("render_error", 0)
        self.assertEqual(outcome.result["state"], "failed", outcome)
        self.assertIn("not_set_by_the_task", outcome.result["error"]["message"])

    def test_a_task_without_a_template_has_no_name(self):
        outcome = run("unnamed", 0)
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertIsNone(outcome.result["renderedMapIndex"])


if __name__ == "__main__":
    unittest.main()
