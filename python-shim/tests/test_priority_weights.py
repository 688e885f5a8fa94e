"""Custom priority weight strategies (dagbridge_shim.priority_weights and the stand-in
airflow.task.priority_strategy): registration as Airflow 2.10.5's ``validate_and_load_priority_weight_strategy``
checks it (a built-in name, or a plugin's ``priority_weight_strategies`` class by its path, else
``AirflowException("Unknown priority strategy <path>")``, the file's import error), and the weights the export
evaluates with ``get_weight`` as ``TaskInstance.insert_mapping`` calls it (try_number 0, the map index)."""
import os
import unittest

from tests.test_export_support import TempDags, dag_by_id, run_export, tasks_by_id
from tests.test_run_support import base_env, run_task

PLUGIN = '''
from airflow.plugins_manager import AirflowPlugin
from airflow.task.priority_strategy import PriorityWeightStrategy


class ByTry(PriorityWeightStrategy):
    def get_weight(self, ti):
        return max(4 - ti.try_number, 1)


class ByIndex(PriorityWeightStrategy):
    def get_weight(self, ti):
        return max(ti.map_index, 1) * 3


class Raising(PriorityWeightStrategy):
    def get_weight(self, ti):
        raise RuntimeError("no weight for " + ti.task_id)


class NotAnInt(PriorityWeightStrategy):
    def get_weight(self, ti):
        return "high"


class StrategiesPlugin(AirflowPlugin):
    name = "strategies"
    priority_weight_strategies = [ByTry, ByIndex, Raising, NotAnInt]
'''

DAG_FILE = '''
import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from strategies import ByIndex, ByTry

with DAG("weighted", start_date=datetime.datetime(2024, 1, 1), schedule=None):
    by_try = EmptyOperator(task_id="by_try", weight_rule=ByTry(), priority_weight=7)
    by_path = EmptyOperator(task_id="by_path", weight_rule="strategies.ByIndex")
    mapped = PythonOperator.partial(task_id="mapped", python_callable=print, weight_rule=ByIndex()).expand(
        op_args=[[1], [2], [3]])
    plain = EmptyOperator(task_id="plain", weight_rule="upstream")
    by_try >> by_path >> mapped >> plain
'''

LOCAL_CLASS = '''
import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.task.priority_strategy import PriorityWeightStrategy


class Local(PriorityWeightStrategy):
    def get_weight(self, ti):
        return 1


with DAG("local_strategy", start_date=datetime.datetime(2024, 1, 1), schedule=None):
    EmptyOperator(task_id="t", weight_rule=Local())
'''

BAD_FILES = {
    "unknown_name.py": '''
        import datetime
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator

        with DAG("unknown_name", start_date=datetime.datetime(2024, 1, 1), schedule=None):
            EmptyOperator(task_id="t", weight_rule="heaviest")
    ''',
    "raising.py": '''
        import datetime
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator
        from strategies import Raising

        with DAG("raising", start_date=datetime.datetime(2024, 1, 1), schedule=None):
            EmptyOperator(task_id="t", weight_rule=Raising())
    ''',
    "not_an_int.py": '''
        import datetime
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator
        from strategies import NotAnInt

        with DAG("not_an_int", start_date=datetime.datetime(2024, 1, 1), schedule=None):
            EmptyOperator(task_id="t", weight_rule=NotAnInt())
    ''',
}


def export_with_plugin(files):
    with TempDags(dict(files, **{"../plugins/strategies.py": PLUGIN})) as folder:
        plugins = os.path.join(os.path.dirname(folder), "plugins")
        bundle, _ = run_export(folder, "--no-airflow", "--plugins-folder", plugins)
    return bundle


class CustomStrategyExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_with_plugin({"weighted.py": DAG_FILE})
        cls.tasks = tasks_by_id(dag_by_id(cls.bundle, "weighted"))

    def test_an_instance_of_a_registered_class_is_evaluated_with_try_number_0(self):
        task = self.tasks["by_try"]
        self.assertEqual(self.bundle["importErrors"], [])
        self.assertEqual(task["weightRule"], "strategies.ByTry")
        self.assertEqual(task["priorityWeight"], 7)
        self.assertEqual(task["customWeight"], {"strategy": "strategies.ByTry", "weight": 4, "byMapIndex": None})

    def test_a_registered_class_path_names_the_strategy(self):
        # Unmapped: Airflow creates it with map_index -1, so max(-1, 1) * 3.
        self.assertEqual(self.tasks["by_path"]["customWeight"], {"strategy": "strategies.ByIndex", "weight": 3, "byMapIndex": None})

    def test_a_mapped_task_reading_map_index_gets_a_weight_per_index(self):
        custom = self.tasks["mapped"]["customWeight"]
        self.assertEqual(custom["weight"], 3)
        self.assertEqual(custom["byMapIndex"][:5], [3, 3, 6, 9, 12])
        self.assertEqual(len(custom["byMapIndex"]), 1024)
        self.assertEqual(custom["byMapIndex"][-1], 1023 * 3)

    def test_built_in_rules_have_no_custom_weight(self):
        self.assertEqual(self.tasks["plain"]["weightRule"], "upstream")
        self.assertNotIn("customWeight", self.tasks["plain"])

    def test_a_class_no_plugin_registers_is_airflows_unknown_strategy_error(self):
        bundle = export_with_plugin({"local_strategy.py": LOCAL_CLASS})
        self.assertEqual(bundle["dags"], [])
        [error] = bundle["importErrors"]
        self.assertEqual(error["type"], "AirflowException")
        # Airflow's DagBag names a DAG file's module unusual_prefix_<sha1 of the path>_<stem>.
        self.assertRegex(error["message"], r"^Unknown priority strategy unusual_prefix_[0-9a-f]{40}_local_strategy\.Local$")

    def test_unknown_names_and_failing_strategies_are_import_errors_naming_the_cause(self):
        bundle = export_with_plugin(BAD_FILES)
        self.assertEqual(bundle["dags"], [])
        errors = {e["file"]: e for e in bundle["importErrors"]}
        self.assertEqual(errors["unknown_name.py"]["message"], "Unknown priority strategy heaviest")
        self.assertEqual(errors["raising.py"]["message"],
                         "DAG raising: task t: priority weight strategy strategies.Raising.get_weight(map_index=-1) "
                         "raised RuntimeError: no weight for t")
        self.assertIn("strategies.NotAnInt.get_weight(map_index=-1) returned 'high', not an int",
                      errors["not_an_int.py"]["message"])


class TaskProcessTest(unittest.TestCase):
    def test_the_task_process_registers_the_plugin_strategy_too(self):
        # The task process parses the DAG file again: its weight_rule must load there as well (the worker puts
        # the plugins folder on PYTHONPATH and in AIRFLOW__CORE__PLUGINS_FOLDER, src/worker/task-env.ts).
        with TempDags({"weighted.py": DAG_FILE, "../plugins/strategies.py": PLUGIN}) as folder:
            plugins = os.path.join(os.path.dirname(folder), "plugins")
            run = run_task("weighted.py", "weighted", "by_try", dags_folder=folder,
                           env=base_env(AIRFLOW__CORE__PLUGINS_FOLDER=plugins,
                                        PYTHONPATH=os.pathsep.join([base_env()["PYTHONPATH"], plugins])))
        self.assertEqual(run.result["state"], "success", run.stderr)


AIRFLOW_PLUGINS = "/work/airflow-2.10.5/airflow/example_dags/plugins"

# The shape of Airflow's example_priority_weight_strategy DAG (added in 2.9's first attempt, #35210, then reverted;
# 2.10.5 ships only its plugin): retries 3, one task weighted `downstream`, one with the plugin's strategy.
EXAMPLE_SHAPE = '''
import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from decreasing_priority_weight_strategy import DecreasingPriorityStrategy

with DAG("example_priority_weight_strategy", start_date=datetime.datetime(2021, 1, 1), schedule="@daily",
         catchup=False, default_args={"retries": 3, "retry_delay": datetime.timedelta(seconds=10)}):
    EmptyOperator(task_id="fixed_weight_task", weight_rule="downstream")
    EmptyOperator(task_id="decreasing_weight_task", weight_rule=DecreasingPriorityStrategy())
'''


@unittest.skipUnless(os.path.isfile(os.path.join(AIRFLOW_PLUGINS, "decreasing_priority_weight_strategy.py")),
                     "needs Airflow 2.10.5's sources")
class AirflowExamplePluginTest(unittest.TestCase):
    def test_decreasing_priority_strategy_weighs_a_new_instance_4(self):
        # get_weight is max(3 - try_number + 1, 1); Airflow calls it at creation, when try_number is 0.
        with TempDags({"example_shape.py": EXAMPLE_SHAPE}) as folder:
            bundle, _ = run_export(folder, "--no-airflow", "--plugins-folder", AIRFLOW_PLUGINS)
        tasks = tasks_by_id(dag_by_id(bundle, "example_priority_weight_strategy"))
        self.assertNotIn("customWeight", tasks["fixed_weight_task"])
        self.assertEqual(tasks["decreasing_weight_task"]["customWeight"], {
            "strategy": "decreasing_priority_weight_strategy.DecreasingPriorityStrategy", "weight": 4, "byMapIndex": None})


if __name__ == "__main__":
    unittest.main()
