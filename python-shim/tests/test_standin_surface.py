"""Stand-in names Airflow's example DAGs use (issue: the import surface): setup/teardown blocks, timetables,
datasets metadata, branch operators, conditions, provider decorators, SubDAG, @asset, Airflow's source tree."""
import os
import sys
import unittest

from tests.test_export_support import TempDags, dag_by_id, edges, export_files, run_export, tasks_by_id
from tests.test_run_support import FIXTURES, run_task


def run(task_id, dag_id="run_surface", **kwargs):
    return run_task("run_surface.py", dag_id, task_id, **kwargs)


class SetupTeardownBlockTest(unittest.TestCase):
    """Graphs Airflow 2.10.5 builds (airflow/utils/setup_teardown.py) for `with` blocks of setup/teardown."""

    def test_teardown_block_wraps_the_work_created_inside(self):
        bundle = export_files({"st.py": '''
            import datetime
            from airflow.decorators import dag, setup, task, teardown

            @dag(start_date=datetime.datetime(2024, 1, 1), schedule=None)
            def blocks():
                @setup
                def make():
                    return 1

                @teardown
                def drop(value):
                    pass

                @task
                def work_a():
                    pass

                @task
                def work_b():
                    pass

                with drop(make()):
                    work_a() >> work_b()

            blocks()
        '''})
        dag = dag_by_id(bundle, "blocks")
        self.assertEqual(edges(dag), [("make", "drop"), ("make", "work_a"), ("work_a", "work_b"), ("work_b", "drop")])

    def test_nested_blocks_chain_setups_outward_in_and_teardowns_inward_out(self):
        bundle = export_files({"nested.py": '''
            import datetime
            from airflow.models.dag import DAG
            from airflow.operators.empty import EmptyOperator

            with DAG("nested", start_date=datetime.datetime(2024, 1, 1), schedule=None):
                outer_setup = EmptyOperator(task_id="outer_setup").as_setup()
                outer_teardown = EmptyOperator(task_id="outer_teardown").as_teardown(setups=outer_setup)
                inner_setup = EmptyOperator(task_id="inner_setup").as_setup()
                inner_teardown = EmptyOperator(task_id="inner_teardown").as_teardown(setups=inner_setup)
                with outer_teardown:
                    EmptyOperator(task_id="outer_work")
                    with inner_teardown:
                        EmptyOperator(task_id="inner_work")
        '''})
        self.assertEqual(edges(dag_by_id(bundle, "nested")), [
            ("inner_setup", "inner_teardown"), ("inner_setup", "inner_work"), ("inner_teardown", "outer_teardown"),
            ("inner_work", "inner_teardown"), ("outer_setup", "inner_setup"), ("outer_setup", "outer_teardown"),
            ("outer_setup", "outer_work"), ("outer_work", "outer_teardown")])

    def test_a_work_task_cannot_be_a_block(self):
        bundle = export_files({"bad.py": '''
            import datetime
            from airflow.models.dag import DAG
            from airflow.operators.empty import EmptyOperator

            with DAG("bad", start_date=datetime.datetime(2024, 1, 1), schedule=None):
                with EmptyOperator(task_id="plain"):
                    pass
        '''})
        self.assertIn("Only setup/teardown tasks can be used as context managers.",
                      bundle["importErrors"][0]["message"])


class ImportSurfaceExportTest(unittest.TestCase):
    def test_names_the_example_dags_import(self):
        bundle = export_files({"names.py": '''
            import datetime
            from airflow.datasets import Dataset
            from airflow.datasets.metadata import Metadata
            from airflow.listeners import hookimpl
            from airflow.models.dag import DAG
            from airflow.operators.python import is_venv_installed, task
            from airflow.plugins_manager import AirflowPlugin
            from airflow.task.priority_strategy import PriorityWeightStrategy
            from airflow.timetables.datasets import DatasetOrTimeSchedule
            from airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable

            assert isinstance(is_venv_installed(), bool)
            assert Metadata(Dataset("s3://b/k"), {"n": 1}).uri == "s3://b/k"
            assert hookimpl(lambda: None).airflow_impl == {}
            assert issubclass(AirflowPlugin, object) and PriorityWeightStrategy

            with DAG("either", start_date=datetime.datetime(2024, 1, 1), schedule=DatasetOrTimeSchedule(
                    timetable=CronTriggerTimetable("0 1 * * 3", timezone="UTC"),
                    datasets=(Dataset("s3://a") & Dataset("s3://b")))):
                @task
                def t():
                    pass
                t()

            with DAG("delta", start_date=datetime.datetime(2024, 1, 1),
                     schedule=DeltaTriggerTimetable(datetime.timedelta(hours=2))):
                task(lambda: None, task_id="u")()
        '''})
        self.assertEqual(bundle["importErrors"], [])
        either = dag_by_id(bundle, "either")["schedule"]
        self.assertEqual((either["assets"], either["condition"]["type"], either["timetable"]["args"]["expression"]),
                         (["s3://a", "s3://b"], "all", "0 1 * * 3"))
        self.assertEqual(dag_by_id(bundle, "delta")["schedule"]["args"], {"delta": 7200.0, "interval": 0.0})

    def test_provider_decorators_export_as_provider_tasks_and_unknown_ones_fail_as_in_airflow(self):
        bundle = export_files({"docker.py": '''
            import datetime
            from airflow.decorators import task
            from airflow.models.dag import DAG

            with DAG("docker", start_date=datetime.datetime(2024, 1, 1), schedule=None):
                @task.docker(image="python:3.11")
                def inside():
                    pass
                inside()
        ''', "unknown.py": '''
            from airflow.decorators import dag, task

            @task.nonexistent
            def f():
                pass
        '''})
        docker = tasks_by_id(dag_by_id(bundle, "docker"))["inside"]
        self.assertEqual((docker["kind"], docker["requiresProvider"]), ("provider", True))
        [error] = bundle["importErrors"]
        self.assertIn("task decorator 'nonexistent' not found", error["message"])

    def test_core_operators_are_not_providers(self):
        bundle = export_files({"core.py": '''
            import datetime
            from airflow.models.dag import DAG
            from airflow.operators.email import EmailOperator
            from airflow.operators.smooth import SmoothOperator
            from airflow.sensors.external_task import ExternalTaskMarker

            with DAG("core", start_date=datetime.datetime(2024, 1, 1), schedule=None):
                EmailOperator(task_id="mail", to="a@example.com", subject="s", html_content="<p>x</p>")
                SmoothOperator(task_id="smooth")
                ExternalTaskMarker(task_id="marker", external_dag_id="child", external_task_id="t")
        '''})
        tasks = tasks_by_id(dag_by_id(bundle, "core"))
        self.assertEqual({t["kind"] for t in tasks.values()}, {"custom"})
        self.assertFalse(any(t["requiresProvider"] for t in tasks.values()))

    def test_a_dags_folder_inside_airflows_source_tree_imports_as_its_package(self):
        with TempDags({"airflow/__init__.py": "", "airflow/example_dags/__init__.py": "",
                       "airflow/example_dags/libs/__init__.py": "",
                       "airflow/example_dags/libs/helper.py": "VALUE = 'from the tree'\n",
                       "airflow/example_dags/uses_helper.py": '''
                           import datetime
                           from airflow.example_dags.libs.helper import VALUE
                           from airflow.models.dag import DAG

                           with DAG("tree", start_date=datetime.datetime(2024, 1, 1), schedule=None,
                                    description=VALUE):
                               pass
                       '''}) as root:
            bundle, _ = run_export(os.path.join(root, "airflow", "example_dags"))
        self.assertEqual(bundle["importErrors"], [])
        self.assertEqual(dag_by_id(bundle, "tree")["description"], "from the tree")


class ImportSurfaceRunTest(unittest.TestCase):
    def test_branch_external_python_follows_the_returned_branch(self):
        result = run("branch_external").result
        self.assertEqual((result["state"], result["followTaskIds"], result["skipTaskIds"]),
                         ("success", ["left"], ["right"]))

    def test_branch_date_time_with_the_logical_date(self):
        # The logical date is 2024-03-05T00:00:00+00:00: within [00:00, 01:00] that day.
        self.assertEqual(run("in_window").result["skipTaskIds"], ["window_no"])
        late = run("in_window", logicalDate="2024-03-05T02:00:00+00:00").result
        self.assertEqual(late["skipTaskIds"], ["window_yes"])

    def test_branch_day_of_week(self):
        self.assertEqual(run("weekday").result["skipTaskIds"], ["other_day"])

    def test_run_if_and_skip_if(self):
        self.assertEqual(run("runs_on_the_day").result["state"], "success")
        self.assertEqual(run("runs_on_the_day", logicalDate="2024-03-06T00:00:00+00:00").result["state"], "skipped")
        outcome = run("skipped_by_condition")
        self.assertEqual(outcome.result["state"], "skipped")
        self.assertIn("not today", outcome.stdout + outcome.stderr)

    def test_provider_decorator_fails_naming_the_distribution(self):
        error = run("in_docker").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("ProviderNotInstalled", False))
        self.assertIn("apache-airflow-providers-docker", error["message"])
        self.assertIn("run the container from @task.bash or a BashOperator", error["message"])

    def test_subdag_operator_says_it_is_not_supported(self):
        error = run("section").result["error"]
        self.assertEqual((error["type"], error["retryable"]), ("NotSupportedByDagbridge", False))
        self.assertIn("TaskGroup", error["message"])

    def test_asset_decorator_builds_a_dag_per_asset_and_passes_self_context_and_inlets(self):
        bundle, _ = run_export(FIXTURES)
        dag = dag_by_id(bundle, "downstream_asset")
        self.assertEqual([t["taskId"] for t in dag["tasks"]], ["__main__"])
        outcome = run("__main__", dag_id="downstream_asset")
        self.assertEqual(outcome.result["xcoms"][0]["value"], {
            "self": "downstream_asset", "uri": "downstream_asset", "inlet": "upstream_asset", "ds": "2024-03-05"})


if __name__ == "__main__":
    unittest.main()
