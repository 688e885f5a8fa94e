"""Discovery (.airflowignore in both syntaxes, safe mode, --files), sys.path set-up, and the real-Airflow
path (exercised with a fake `airflow` package that provides DagBag)."""
import os
import unittest

from tests.test_export_support import FIXTURES, TempDags, dag_by_id, run_export, write_files

SMALL = "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\nwith DAG('%s', schedule=None):\n    EmptyOperator(task_id='t')\n"


def tree(*names):
    return {name: SMALL % os.path.splitext(name)[0].replace("/", "_") for name in names}


def paths(bundle):
    return [f["path"] for f in bundle["files"]]


class IgnoreTest(unittest.TestCase):
    FILES = tree("keep.py", "skip_me.py", "sub/keep2.py", "sub/tmp_x.py", "vendor/v.py", "deep/a/b/c.py")

    def test_regexp_syntax(self):
        files = dict(self.FILES)
        files[".airflowignore"] = "skip_.*\n# a comment\nvendor/\n"
        files["sub/.airflowignore"] = "tmp_   # trailing comment\n"
        with TempDags(files) as folder:
            bundle, _ = run_export(folder)
        self.assertEqual(paths(bundle), ["keep.py", "deep/a/b/c.py", "sub/keep2.py"])

    def test_glob_syntax_by_option_and_env(self):
        files = dict(self.FILES)
        files[".airflowignore"] = "skip_*.py\nvendor/\n**/c.py\nsub/*\n!sub/keep2.py\n"
        with TempDags(files) as folder:
            by_option, _ = run_export(folder, "--ignore-syntax", "glob")
            by_env, _ = run_export(folder, env={"AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX": "glob"})
        self.assertEqual(paths(by_option), ["keep.py", "sub/keep2.py"])
        self.assertEqual(paths(by_env), ["keep.py", "sub/keep2.py"])

    def test_glob_anchor_is_the_ignore_files_folder(self):
        files = dict(self.FILES)
        files["sub/.airflowignore"] = "/tmp_x.py\n"
        files[".airflowignore"] = "/keep2.py\n"
        with TempDags(files) as folder:
            bundle, _ = run_export(folder, "--ignore-syntax", "glob")
        self.assertEqual(paths(bundle), ["keep.py", "skip_me.py", "deep/a/b/c.py", "sub/keep2.py", "vendor/v.py"])


class SafeModeAndFilesTest(unittest.TestCase):
    def test_safe_mode(self):
        files = tree("real.py")
        files["helper.py"] = "VALUE = 1\n"
        files["mentions.py"] = "# airflow dag helper, imports fine\nX = 2\n"
        with TempDags(files) as folder:
            safe, _ = run_export(folder)
            unsafe, _ = run_export(folder, "--no-safe-mode")
        self.assertEqual(paths(safe), ["mentions.py", "real.py"])
        self.assertEqual(paths(unsafe), ["helper.py", "mentions.py", "real.py"])
        self.assertEqual([f["dagIds"] for f in unsafe["files"]], [[], [], ["real"]])

    def test_files_option(self):
        with TempDags(tree("a.py", "b.py", "sub/c.py")) as folder:
            bundle, _ = run_export(folder, "--files", "sub/c.py", "a.py")
        self.assertEqual(paths(bundle), ["sub/c.py", "a.py"])
        self.assertEqual([d["dagId"] for d in bundle["dags"]], ["sub_c", "a"])


class SysPathTest(unittest.TestCase):
    def test_dags_plugins_and_include_are_importable(self):
        with TempDags({"uses_all.py": '''
            from airflow import DAG
            from helpers import NAME
            from my_plugin import PluginOperator
            from include.shared import SUFFIX
            from shared import SUFFIX as S2
            with DAG(NAME + SUFFIX + S2, schedule=None):
                PluginOperator(task_id="p")
        ''', "helpers.py": "NAME = 'from'\n"}) as folder:
            root = os.path.dirname(folder)
            write_files(root, {
                "include/shared.py": "SUFFIX = '_include'\n",
                "plugins/my_plugin.py": '''
                    from airflow.models.baseoperator import BaseOperator
                    class PluginOperator(BaseOperator):
                        def execute(self, context):
                            return 1
                ''',
            })
            bundle, _ = run_export(folder, "--plugins-folder", os.path.join(root, "plugins"))
        dag = dag_by_id(bundle, "from_include_include")
        [task] = dag["tasks"]
        self.assertEqual((task["kind"], task["operator"], task["operatorModule"]), ("custom", "PluginOperator", "my_plugin"))


class RealAirflowPathTest(unittest.TestCase):
    FAKE = os.path.join(FIXTURES, "fake_airflow")

    def test_dagbag_is_used_when_airflow_is_importable(self):
        with TempDags({"real.py": '''
            import datetime
            from airflow.models.dag import DAG
            from airflow.operators.bash import BashOperator
            with DAG("with_real_airflow", schedule_interval="@hourly", catchup=False) as dag:
                a = BashOperator(task_id="a", bash_command="echo 1", retries=2)
                b = BashOperator(task_id="b", bash_command="echo 2", cwd="/tmp")
                a >> b
        ''', "broken.py": "import airflow\nraise ValueError('bad dag file')\n"}) as folder:
            bundle, _ = run_export(folder, pythonpath_extra=[self.FAKE])
            standin, _ = run_export(folder, "--no-airflow", pythonpath_extra=[self.FAKE])
        self.assertEqual((bundle["generator"]["mode"], bundle["generator"]["airflowVersion"]), ("airflow", "2.99.0"))
        dag = dag_by_id(bundle, "with_real_airflow")
        self.assertEqual(dag["schedule"], {"type": "cron", "expression": "0 * * * *", "preset": "@hourly"})
        self.assertFalse(dag["catchup"])
        a, b = dag["tasks"]
        self.assertEqual((a["taskId"], a["kind"], a["retries"], a["downstream"], a["templateFields"]),
                         ("a", "bash", 2, ["b"], {"bash_command": "echo 1"}))
        self.assertEqual((b["upstream"], b["args"]), (["a"], {"cwd": "/tmp"}))
        [error] = bundle["importErrors"]
        self.assertEqual((error["file"], error["type"], error["message"]), ("broken.py", "ValueError", "bad dag file"))
        self.assertEqual(standin["generator"]["mode"], "standin")


class ExamplesTest(unittest.TestCase):
    def test_examples_export_cleanly(self):
        examples = os.path.join(os.path.dirname(os.path.dirname(FIXTURES)), "..", "examples", "dags")
        bundle, _ = run_export(os.path.abspath(examples))
        self.assertEqual(bundle["importErrors"], [])
        self.assertEqual(sorted(d["dagId"] for d in bundle["dags"]), [
            "example_airflow3_style", "example_aws_queue", "example_branching", "example_classic_etl",
            "example_custom_operator", "example_mapping", "example_retries", "example_sensors",
            "example_task_groups", "example_taskflow_etl", "example_templates_params", "example_trigger_rules",
        ])
        rules = {t["triggerRule"] for t in dag_by_id(bundle, "example_trigger_rules")["tasks"]}
        self.assertEqual(rules, {"all_success", "all_failed", "all_done", "all_skipped", "one_success", "one_failed",
                                 "one_done", "none_failed", "none_failed_min_one_success", "none_skipped", "always",
                                 "all_done_setup_success"})
        self.assertEqual(dag_by_id(bundle, "example_airflow3_style")["airflowStyle"], 3)
        aws = [t for t in dag_by_id(bundle, "example_aws_queue")["tasks"] if t["taskId"] == "list_buckets"][0]
        self.assertEqual(aws["queue"], "aws")
        self.assertIn("boto3", [f for f in bundle["files"] if f["path"] == "aws_queue.py"][0]["imports"])


if __name__ == "__main__":
    unittest.main()
