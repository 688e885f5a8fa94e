"""Custom timetables (dagbridge_shim.timetables): exported as Airflow 2.10.5's ``encode_timetable`` serializes them
(a class path registered by a plugin's ``timetables``, else ``_TimetableNotRegistered`` wrapped by ``serialize_dag``
into ``SerializationError: Failed to serialize DAG ...``), and evaluated by ``python -m dagbridge_shim timetable``
(``decode_timetable``, then ``next_dagrun_info`` / ``infer_manual_data_interval``)."""
import json
import os
import subprocess
import sys
import unittest

from tests.test_export_support import REPO_ROOT, SHIM_ROOT, TempDags, run_export

# EveryNDays, Raising and Hanging, registered by a plugin (shared with integration-tests/custom-timetables.test.ts).
with open(os.path.join(REPO_ROOT, "integration-tests", "fixtures", "timetable_dags", "plugins", "calendar_timetables.py"), encoding="utf-8") as _handle:
    PLUGIN = _handle.read()

DAG_FILE = '''
import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from every_n_days import EveryNDays

with DAG("custom_tt", start_date=datetime.datetime(2024, 1, 1, 6, tzinfo=datetime.timezone.utc),
         schedule=EveryNDays(3), catchup=True):
    EmptyOperator(task_id="t")
'''

UNREGISTERED = '''
import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.timetables.base import Timetable


class Local(Timetable):
    pass


with DAG("local_tt", start_date=datetime.datetime(2024, 1, 1), schedule=Local()):
    EmptyOperator(task_id="t")
'''


def run_timetable(dags_folder, plugins_folder, timetable, requests):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DAGBRIDGE"))}
    environ.update(PYTHONPATH=SHIM_ROOT, PYTHONDONTWRITEBYTECODE="1")
    args = ["--plugins-folder", plugins_folder] if plugins_folder else []
    proc = subprocess.run(
        [sys.executable, "-m", "dagbridge_shim", "timetable", "--dags-folder", dags_folder, *args, "--no-airflow"],
        input=json.dumps({"timetable": timetable, "requests": requests}), capture_output=True, text=True,
        env=environ, timeout=120)
    if proc.returncode != 0:
        raise AssertionError("timetable exited %d:\n%s" % (proc.returncode, proc.stderr))
    return json.loads(proc.stdout)["answers"]


class CustomTimetableExportTest(unittest.TestCase):
    def test_registered_plugin_timetable_exports_its_serialized_form(self):
        with TempDags({"custom_tt.py": DAG_FILE, "../plugins/every_n_days.py": PLUGIN}) as folder:
            plugins = os.path.join(os.path.dirname(folder), "plugins")
            bundle, _ = run_export(folder, "--no-airflow", "--plugins-folder", plugins)
        self.assertEqual(bundle["importErrors"], [])
        self.assertEqual(bundle["dags"][0]["schedule"], {
            "type": "custom",
            "className": "every_n_days.EveryNDays",
            "summary": "every 3 days",
            "description": None,
            "canBeScheduled": True,
            "periodic": True,
            "activeRunsLimit": None,
            "serialized": {"__type": "every_n_days.EveryNDays", "__var": {"days": 3}},
        })

    def test_unregistered_timetable_is_the_files_serialization_error(self):
        with TempDags({"local_tt.py": UNREGISTERED}) as folder:
            bundle, _ = run_export(folder, "--no-airflow")
        self.assertEqual(bundle["dags"], [])
        [error] = bundle["importErrors"]
        self.assertEqual(error["type"], "SerializationError")
        self.assertIn("Failed to serialize DAG 'local_tt': Timetable class 'unusual_prefix_", error["message"])
        self.assertIn("_local_tt.Local' is not registered or you have a top level database access that disrupted "
                      "the session. Please check the airflow best practices documentation.", error["message"])

    def test_the_same_class_without_its_plugin_is_not_registered(self):
        with TempDags({"custom_tt.py": DAG_FILE, "../plugins/every_n_days.py": PLUGIN}) as folder:
            # On sys.path (the DAG file imports it) but not loaded as a plugins folder.
            bundle, _ = run_export(folder, "--no-airflow", pythonpath_extra=[os.path.join(os.path.dirname(folder), "plugins")])
        [error] = bundle["importErrors"]
        self.assertIn("Timetable class 'every_n_days.EveryNDays' is not registered", error["message"])


class TimetableCommandTest(unittest.TestCase):
    def setUp(self):
        self.dags = TempDags({"custom_tt.py": DAG_FILE, "../plugins/every_n_days.py": PLUGIN})
        self.folder = self.dags.__enter__()
        self.plugins = os.path.join(os.path.dirname(self.folder), "plugins")

    def tearDown(self):
        self.dags.__exit__(None, None, None)

    def test_next_dagrun_info_chains_and_manual_interval(self):
        restriction = {"earliest": "2024-01-01T06:00:00+00:00", "latest": "2024-01-08T00:00:00+00:00", "catchup": True}
        first, manual = run_timetable(self.folder, self.plugins, {"__type": "every_n_days.EveryNDays", "__var": {"days": 3}}, [
            {"kind": "next", "last": None, "restriction": restriction, "chain": 5},
            {"kind": "manual", "runAfter": "2024-03-10T15:30:00+00:00"},
        ])
        self.assertEqual(first, {"ok": True, "infos": [
            {"start": "2024-01-01T00:00:00+00:00", "end": "2024-01-04T00:00:00+00:00", "runAfter": "2024-01-04T00:00:00+00:00"},
            {"start": "2024-01-04T00:00:00+00:00", "end": "2024-01-07T00:00:00+00:00", "runAfter": "2024-01-07T00:00:00+00:00"},
            {"start": "2024-01-07T00:00:00+00:00", "end": "2024-01-10T00:00:00+00:00", "runAfter": "2024-01-10T00:00:00+00:00"},
            None,
        ]})
        self.assertEqual(manual, {"ok": True, "interval": {"start": "2024-03-07T00:00:00+00:00", "end": "2024-03-10T00:00:00+00:00"}})

    def test_a_timetable_that_raises_answers_its_error(self):
        nxt, manual = run_timetable(self.folder, self.plugins, {"__type": "every_n_days.Raising", "__var": {}}, [
            {"kind": "next", "last": None, "restriction": {"earliest": None, "latest": None, "catchup": False}},
            {"kind": "manual", "runAfter": "2024-03-10T00:00:00+00:00"},
        ])
        self.assertFalse(nxt["ok"])
        self.assertEqual((nxt["error"]["type"], nxt["error"]["message"]), ("RuntimeError", "calendar service unreachable"))
        self.assertIn("next_dagrun_info", nxt["error"]["traceback"])
        self.assertEqual(manual["error"]["message"], "no calendar for 2024-03-10")

    def test_an_unregistered_class_answers_airflows_error(self):
        [answer] = run_timetable(self.folder, self.plugins, {"__type": "nowhere.Gone", "__var": {}}, [
            {"kind": "manual", "runAfter": "2024-03-10T00:00:00+00:00"}])
        self.assertEqual(answer["error"]["type"], "TimetableNotRegistered")
        self.assertIn("Timetable class 'nowhere.Gone' is not registered", answer["error"]["message"])


AIRFLOW_EXAMPLES = "/work/airflow-2.10.5/airflow/example_dags"


@unittest.skipUnless(os.path.isfile(os.path.join(AIRFLOW_EXAMPLES, "plugins", "workday.py")), "needs Airflow 2.10.5's sources")
class ExampleWorkdayTimetableTest(unittest.TestCase):
    """Airflow loads ``airflow/example_dags/plugins`` as ``airflow.example_dags.plugins.*`` with its examples."""

    def test_workday_timetable_from_the_example_plugins(self):
        bundle, _ = run_export(AIRFLOW_EXAMPLES, "--no-airflow", "--files", "example_workday_timetable.py")
        schedule = bundle["dags"][0]["schedule"]
        self.assertEqual(schedule["serialized"], {"__type": "airflow.example_dags.plugins.workday.AfterWorkdayTimetable", "__var": {}})
        restriction = {"earliest": "2021-01-01T00:00:00+00:00", "latest": None, "catchup": True}
        nxt, manual = run_timetable(AIRFLOW_EXAMPLES, None, schedule["serialized"], [
            {"kind": "next", "last": {"start": "2021-01-01T00:00:00+00:00", "end": "2021-01-02T00:00:00+00:00"}, "restriction": restriction},
            # A Monday: the last workday before it is Friday 2024-05-31 (workday.py, pandas absent: no holidays).
            {"kind": "manual", "runAfter": "2024-06-03T00:00:00+00:00"},
        ])
        # Friday 2021-01-01 is followed by Monday 2021-01-04.
        self.assertEqual(nxt["infos"], [{"start": "2021-01-04T00:00:00+00:00", "end": "2021-01-05T00:00:00+00:00", "runAfter": "2021-01-05T00:00:00+00:00"}])
        self.assertEqual(manual["interval"], {"start": "2024-05-31T00:00:00+00:00", "end": "2024-06-01T00:00:00+00:00"})


if __name__ == "__main__":
    unittest.main()
