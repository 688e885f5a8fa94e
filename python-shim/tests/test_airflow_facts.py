"""The shim against the Airflow facts table (schemas/airflow-facts.json): trigger rules, cron presets, the key rule
and operator kinds, as the stand-ins, the export and the real-Airflow runner use them. The TypeScript side has
the same checks in src/dag/airflow-facts.test.ts."""
import json
import os
import re
import unittest

from dagbridge_shim import airflow_facts, convert, loader
from dagbridge_shim.execution.airflow_operators import EXECUTE_BY_KIND

from tests.test_export_support import REPO_ROOT, dag_by_id, export_files, tasks_by_id

loader.activate_standins()

from airflow.exceptions import AirflowException  # noqa: E402 - the stand-ins are active only now
from airflow.models.baseoperator import _validate_key  # noqa: E402
from airflow.utils.dates import cron_presets  # noqa: E402
from airflow.utils.trigger_rule import TriggerRule  # noqa: E402

# Airflow 2.10.5 airflow/utils/helpers.py: KEY_REGEX = ^[\w.-]+$ (Unicode \w), len(k) <= 250 in validate_key.
AIRFLOW_KEY_REGEX = re.compile(r"[\w.-]+")


class TableTest(unittest.TestCase):
    def test_the_shim_reads_the_repository_table(self):
        self.assertEqual(airflow_facts.FACTS_FILE, os.path.join(REPO_ROOT, "schemas", "airflow-facts.json"))
        with open(airflow_facts.FACTS_FILE, encoding="utf-8") as handle:
            table = json.load(handle)
        self.assertEqual(airflow_facts.TRIGGER_RULES, tuple(table["triggerRules"]["rules"]))
        self.assertEqual(set(airflow_facts.OPERATOR_KINDS.values()), set(airflow_facts.TASK_KINDS))
        for alias, rule in airflow_facts.TRIGGER_RULE_ALIASES.items():
            self.assertIn(rule, airflow_facts.TRIGGER_RULES, alias)


class TriggerRuleTest(unittest.TestCase):
    def test_the_stand_in_knows_every_rule_and_alias(self):
        for name in airflow_facts.TRIGGER_RULES + tuple(airflow_facts.TRIGGER_RULE_ALIASES):
            self.assertTrue(TriggerRule.is_valid(name), name)
            self.assertEqual(str(TriggerRule(name)), name)
        self.assertFalse(TriggerRule.is_valid("all_good"))

    def test_all_done_min_one_success_and_the_aliases_export(self):
        bundle = export_files({"rules.py": """
            from datetime import datetime
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator

            with DAG("rules", start_date=datetime(2024, 1, 1), schedule=None):
                EmptyOperator(task_id="min_one", trigger_rule="all_done_min_one_success")
                EmptyOperator(task_id="old_dummy", trigger_rule="dummy")
                EmptyOperator(task_id="old_skipped", trigger_rule="none_failed_or_skipped")
        """}, "--no-airflow")
        self.assertEqual(bundle["importErrors"], [])
        tasks = tasks_by_id(dag_by_id(bundle, "rules"))
        self.assertEqual({task_id: task["triggerRule"] for task_id, task in tasks.items()},
                         {"min_one": "all_done_min_one_success", "old_dummy": "always",
                          "old_skipped": "none_failed_min_one_success"})


class CronPresetTest(unittest.TestCase):
    def test_airflow_utils_dates_offers_airflows_dict(self):
        # Airflow 2.10.5 airflow/utils/dates.py cron_presets: six presets, no @midnight or @annually.
        self.assertEqual(sorted(cron_presets), ["@daily", "@hourly", "@monthly", "@quarterly", "@weekly", "@yearly"])
        self.assertEqual(cron_presets, airflow_facts.AIRFLOW_UTILS_DATES_CRON_PRESETS)

    def test_every_preset_exports_as_its_cron(self):
        files = {}
        for index, preset in enumerate(sorted(airflow_facts.CRON_PRESETS)):
            files["p%d.py" % index] = """
                from datetime import datetime
                from airflow import DAG
                from airflow.operators.empty import EmptyOperator

                with DAG("preset_%d", start_date=datetime(2024, 1, 1), schedule=%r):
                    EmptyOperator(task_id="t")
            """ % (index, preset)
        bundle = export_files(files, "--no-airflow")
        self.assertEqual(bundle["importErrors"], [])
        for index, preset in enumerate(sorted(airflow_facts.CRON_PRESETS)):
            self.assertEqual(dag_by_id(bundle, "preset_%d" % index)["schedule"],
                             {"type": "cron", "expression": airflow_facts.CRON_PRESETS[preset], "preset": preset})


class KeyRuleTest(unittest.TestCase):
    def test_every_example_is_judged_as_the_table_says(self):
        for key, valid in airflow_facts.key_examples():
            label = "%r (%d code points)" % (key[:20], len(key))
            self.assertEqual(airflow_facts.key_problem(key) is None, valid, label)
            # Airflow's own rule gives the same answers.
            self.assertEqual(bool(AIRFLOW_KEY_REGEX.fullmatch(key)) and len(key) <= 250, valid, label)
            if valid:
                _validate_key(key)
            else:
                with self.assertRaises(AirflowException, msg=label):
                    _validate_key(key)

    def test_length_counts_code_points(self):
        key = "\U0001D400" * 200  # MATHEMATICAL BOLD CAPITAL A: 200 code points, 400 UTF-16 units
        bundle = export_files({"wide.py": """
            from datetime import datetime
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator

            with DAG("wide", start_date=datetime(2024, 1, 1), schedule=None):
                EmptyOperator(task_id=%r)
        """ % key}, "--no-airflow")
        self.assertEqual(bundle["importErrors"], [])
        self.assertEqual(list(tasks_by_id(dag_by_id(bundle, "wide"))), [key])

    def test_messages_are_airflows(self):
        self.assertEqual(airflow_facts.key_problem("a" * 251), "The key has to be less than 250 characters")
        self.assertEqual(airflow_facts.key_problem("a b"), "The key 'a b' has to be made of alphanumeric characters, "
                                                           "dashes, dots and underscores exclusively")


class OperatorKindTest(unittest.TestCase):
    def test_the_export_and_the_runner_use_the_table(self):
        from airflow.operators.bash import BashOperator
        from airflow.operators.empty import EmptyOperator
        from airflow.operators.latest_only import LatestOnlyOperator
        from airflow.operators.python import (
            BranchPythonOperator, ExternalPythonOperator, PythonOperator, PythonVirtualenvOperator,
            ShortCircuitOperator,
        )
        from airflow.operators.trigger_dagrun import TriggerDagRunOperator
        from airflow.sensors.base import BaseSensorOperator

        classes = [BashOperator, EmptyOperator, LatestOnlyOperator, BranchPythonOperator, ExternalPythonOperator,
                   PythonOperator, PythonVirtualenvOperator, ShortCircuitOperator, TriggerDagRunOperator,
                   BaseSensorOperator]
        for operator_class in classes:
            kind = airflow_facts.OPERATOR_KINDS[operator_class.__name__]
            self.assertEqual(airflow_facts.operator_kind(operator_class), kind, operator_class.__name__)
            task = operator_class.__new__(operator_class)
            self.assertEqual(convert.task_kind(task), kind, operator_class.__name__)
        self.assertEqual(set(EXECUTE_BY_KIND), set(airflow_facts.TASK_KINDS))


if __name__ == "__main__":
    unittest.main()
