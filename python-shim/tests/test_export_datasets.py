"""Export of data-aware schedules and task outlets/inlets (Airflow 2 datasets, Airflow 3 assets): the condition
(a list means all; `&`, `|`, DatasetAll/DatasetAny, aliases), the time part of DatasetOrTimeSchedule /
AssetOrTimeSchedule, and each task's outlets and inlets."""
import unittest

from tests.test_export_support import dag_by_id, export_files, tasks_by_id

AIRFLOW2 = '''
from datetime import datetime
from airflow import DAG
from airflow.datasets import Dataset, DatasetAlias, DatasetAll, DatasetAny
from airflow.operators.empty import EmptyOperator
from airflow.timetables.datasets import DatasetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

A, B, C = Dataset("s3://a"), Dataset("s3://b", extra={"owner": "x"}), Dataset("s3://c")
START = datetime(2024, 1, 1)

with DAG("listed", start_date=START, schedule=[A, B]):
    EmptyOperator(task_id="t", outlets=[C, DatasetAlias("al"), "not a dataset"], inlets=[A, B])
with DAG("expression", start_date=START, schedule=(A | B) & C):
    EmptyOperator(task_id="t")
with DAG("classes", start_date=START, schedule=DatasetAny(A, DatasetAll(B, DatasetAlias("al")))):
    EmptyOperator(task_id="t")
with DAG("either", start_date=START,
         schedule=DatasetOrTimeSchedule(timetable=CronTriggerTimetable("0 1 * * *", timezone="UTC"), datasets=[A])):
    EmptyOperator(task_id="t")
'''

AIRFLOW3 = '''
from airflow.sdk import DAG, Asset, AssetAlias, asset
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

RAW = Asset("raw", uri="s3://bucket/raw")

with DAG("asset_consumer", schedule=RAW | AssetAlias("grp")):
    EmptyOperator(task_id="t", outlets=[Asset("named_only")])
with DAG("asset_or_time", schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("@daily", timezone="UTC"), assets=[RAW])):
    EmptyOperator(task_id="t")

@asset(schedule=None, uri="s3://bucket/made")
def made():
    pass
'''


def ds(uri):
    return {"type": "dataset", "uri": uri}


class Airflow2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"datasets.py": AIRFLOW2})

    def schedule(self, dag_id):
        return dag_by_id(self.bundle, dag_id)["schedule"]

    def test_a_list_means_all(self):
        self.assertEqual(self.schedule("listed"), {"type": "assets", "assets": ["s3://a", "s3://b"],
                                                   "condition": {"type": "all", "objects": [ds("s3://a"), ds("s3://b")]},
                                                   "timetable": None})

    def test_operators_build_all_and_any(self):
        self.assertEqual(self.schedule("expression")["condition"], {"type": "all", "objects": [
            {"type": "any", "objects": [ds("s3://a"), ds("s3://b")]}, ds("s3://c")]})

    def test_classes_and_aliases(self):
        self.assertEqual(self.schedule("classes")["condition"], {"type": "any", "objects": [
            ds("s3://a"), {"type": "all", "objects": [ds("s3://b"), {"type": "alias", "name": "al"}]}]})
        self.assertEqual(self.schedule("classes")["assets"], ["s3://a", "s3://b"])

    def test_dataset_or_time_schedule_keeps_its_timetable(self):
        schedule = self.schedule("either")
        self.assertEqual((schedule["condition"], schedule["timetable"]["type"], schedule["timetable"]["args"]["expression"]),
                         ({"type": "all", "objects": [ds("s3://a")]}, "timetable", "0 1 * * *"))

    def test_outlets_and_inlets_leave_other_lineage_out(self):
        task = tasks_by_id(dag_by_id(self.bundle, "listed"))["t"]
        self.assertEqual(task["outlets"], [{"type": "dataset", "uri": "s3://c", "extra": {}}, {"type": "alias", "name": "al"}])
        self.assertEqual(task["inlets"], [{"type": "dataset", "uri": "s3://a", "extra": {}},
                                          {"type": "dataset", "uri": "s3://b", "extra": {"owner": "x"}}])


class Airflow3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"assets.py": AIRFLOW3})

    def test_asset_uri_and_alias(self):
        self.assertEqual(dag_by_id(self.bundle, "asset_consumer")["schedule"]["condition"], {"type": "any", "objects": [
            ds("s3://bucket/raw"), {"type": "alias", "name": "grp"}]})

    def test_an_asset_with_only_a_name_has_it_as_its_uri(self):
        task = tasks_by_id(dag_by_id(self.bundle, "asset_consumer"))["t"]
        self.assertEqual(task["outlets"], [{"type": "dataset", "uri": "named_only", "extra": {}}])

    def test_asset_or_time_schedule(self):
        schedule = dag_by_id(self.bundle, "asset_or_time")["schedule"]
        self.assertEqual((schedule["assets"], schedule["timetable"]["type"]), (["s3://bucket/raw"], "timetable"))

    def test_asset_decorator_outlet(self):
        task = tasks_by_id(dag_by_id(self.bundle, "made"))["__main__"]
        self.assertEqual(task["outlets"], [{"type": "dataset", "uri": "s3://bucket/made", "extra": {}}])
