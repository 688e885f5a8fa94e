"""Stand-in names seen in real DAG repos (fixture tests/fixtures/run_dags/run_gaps.py): trigger_dag inside a
task, ObjectStoragePath on local paths, notifiers as callbacks, triggers and deferral, and a name a stand-in
lacks reported as such (StandinGap), not as a package to install."""
import os
import shutil
import tempfile
import unittest

from tests.test_export_support import export_files
from tests.test_run_connections import standin_eval
from tests.test_run_support import base_env, run_task


def run(task_id, **env):
    return run_task("run_gaps.py", "run_gaps", task_id, env=base_env(**env))


class TriggerDagTest(unittest.TestCase):
    def test_inside_a_task_it_asks_for_runs_as_trigger_dag_run_operator_does(self):
        outcome = run("trigger")
        self.assertEqual(outcome.result["state"], "success", outcome)
        requests = outcome.result["triggerDagRuns"]
        # Airflow 2.10.5's trigger_dag: a str conf is JSON, microseconds are dropped, the run id defaults to
        # manual__<logical date>.
        self.assertEqual(requests[0], {"dagId": "target", "runId": "from_api", "conf": {"a": 1},
                                       "logicalDate": "2024-05-01T12:00:00+00:00", "resetDagRun": False})
        self.assertEqual(requests[1]["runId"], "manual__" + requests[1]["logicalDate"])
        self.assertEqual(requests[1]["conf"], {"b": 2})
        returned = [x["value"] for x in outcome.result["xcoms"] if x["key"] == "return_value"][0]
        self.assertEqual(returned, ["from_api", "queued", "2024-05-01T12:00:00+00:00", True])

    def test_outside_a_task_it_is_refused_naming_what_to_use(self):
        value = standin_eval('''
            import json
            from airflow.api.common.trigger_dag import trigger_dag
            try:
                trigger_dag("target")
            except Exception as error:
                print(json.dumps([type(error).__name__, str(error)]))
        ''')
        self.assertEqual(value[0], "NotSupportedByDagbridge")
        self.assertIn("dagbridge dags trigger target", value[1])
        self.assertIn("TriggerDagRunOperator", value[1])


class ObjectStoragePathTest(unittest.TestCase):
    def test_local_and_file_paths(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        outcome = run("storage", GAPS_FOLDER=folder)
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(outcome.result["xcoms"][0]["value"],
                         [True, "file", True, "hello", 5, ["data.txt"], "s3://aws_default@my-bucket/raw/file.csv",
                          "my-bucket", "raw/", True])
        self.assertTrue(os.path.isfile(os.path.join(folder, "out", "data.txt")))

    def test_a_remote_scheme_names_the_package_it_needs(self):
        error = run("remote").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("NotSupportedByDagbridge", False))
        self.assertIn("'s3' scheme needs Apache Airflow with apache-airflow-providers-amazon (s3fs)", error["message"])

    def test_airflow3_names(self):
        value = standin_eval('''
            import json
            from airflow.sdk import BaseNotifier, ObjectStoragePath
            from airflow.sdk.io.path import ObjectStoragePath as FromIo
            from airflow.sdk.bases.notifier import BaseNotifier as FromBases
            print(json.dumps([ObjectStoragePath is FromIo, BaseNotifier is FromBases,
                              str(ObjectStoragePath("gs://b/k") / "x"), ObjectStoragePath("/tmp/a/").key]))
        ''')
        self.assertEqual(value, [True, True, "gs://b/k/x", "tmp/a/"])


class NotifierTest(unittest.TestCase):
    def test_a_notifier_is_a_callback_with_rendered_fields_and_its_errors_are_logged(self):
        outcome = run("notified")
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertIn("NOTIFY notified done on 2024-03-05\n", outcome.stdout)
        self.assertIn("ERROR - Failed to send notification: the chat service is down", outcome.stderr)


class TriggersTest(unittest.TestCase):
    def test_deferring_on_a_trigger_dagbridge_cannot_run_names_it_and_fails_without_retry(self):
        error = run("deferring").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("NotSupportedByDagbridge", False))
        self.assertIn("DagStateTrigger without execution_dates (run_ids only) is not supported by dagbridge",
                      error["message"])


class StandinGapTest(unittest.TestCase):
    def test_missing_module_and_name_are_reported_as_stand_in_gaps(self):
        bundle = export_files({
            "module.py": "from airflow import DAG\nfrom airflow.secrets.local_filesystem import load_connections_dict\n",
            "name.py": "from airflow import DAG\nfrom airflow.models.dag import NOT_THERE\n",
            "caught.py": ("from airflow import DAG\ntry:\n    import airflow.kubernetes.secret\n"
                          "except ModuleNotFoundError:\n    pass\nimport nosuchpkg\n"),
        }, "--no-airflow")
        errors = {error["file"]: error for error in bundle["importErrors"]}
        self.assertEqual(errors["module.py"]["type"], "StandinGap")
        self.assertTrue(errors["module.py"]["message"].startswith("dagbridge's stand-in for airflow lacks secrets: "))
        self.assertEqual(errors["name.py"]["type"], "StandinGap")
        self.assertTrue(errors["name.py"]["message"].startswith(
            "dagbridge's stand-in for airflow.models.dag lacks NOT_THERE: "))
        self.assertTrue(errors["name.py"]["traceback"].endswith(
            "StandinGap: " + errors["name.py"]["message"] + "\n"))
        # A gap caught as ModuleNotFoundError by the DAG file is still caught; a real missing package stays one
        # (manifest generate and worker check turn only ModuleNotFoundError into a package to install).
        self.assertEqual((errors["caught.py"]["type"], errors["caught.py"]["message"]),
                         ("ModuleNotFoundError", "No module named 'nosuchpkg'"))

    def test_a_task_whose_file_hits_a_gap_fails_without_retry(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        with open(os.path.join(folder, "gap.py"), "w") as handle:
            handle.write("import datetime\nfrom airflow import DAG\nfrom airflow.sdk import NOT_THERE\n")
        outcome = run_task("gap.py", "gap", "t", dags_folder=folder)
        error = outcome.result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("StandinGap", False))
        self.assertTrue(error["message"].startswith("dagbridge's stand-in for airflow.sdk lacks NOT_THERE: "))


if __name__ == "__main__":
    unittest.main()
