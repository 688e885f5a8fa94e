"""The task context, XCom pulls and macros, without a DAG file (dagbridge_shim.runtime, run_contract, macros)."""
import os
import unittest
from datetime import datetime, timedelta

from dagbridge_shim import macros
from dagbridge_shim.run_contract import RunInput, RunInputError
from dagbridge_shim.runtime.airflow_vars import context_to_airflow_vars
from dagbridge_shim.runtime.context import build_context
from dagbridge_shim.runtime.current_context import get_current_context, set_current_context
from dagbridge_shim.runtime.datetimes import parse_instant
from dagbridge_shim.runtime.params import resolve_params
from dagbridge_shim.runtime.xcom import NOT_SET, XComNotJsonError, XComStore


def run_input(**overrides):
    document = {
        "version": 1, "dagId": "d", "taskId": "t", "runId": "scheduled__2024-03-05T00:00:00+00:00", "mapIndex": -1,
        "tryNumber": 1, "maxTries": 0, "runType": "scheduled", "logicalDate": "2024-03-05T00:00:00+00:00",
        "dataIntervalStart": "2024-03-05T00:00:00+00:00", "dataIntervalEnd": "2024-03-06T00:00:00Z",
        "runAfter": "2024-03-06T00:00:00+00:00", "dagRunStartDate": "2024-03-06T00:00:05+00:00", "conf": {},
        "xcoms": [], "variables": {}, "testMode": False, "sensorFirstPokeAt": None,
        "prevDataIntervalStartSuccess": "2024-03-04T00:00:00+00:00",
        "prevDataIntervalEndSuccess": "2024-03-05T00:00:00+00:00", "prevStartDateSuccess": None,
    }
    document.update(overrides)
    return RunInput(document)


class FakeDag:
    dag_id = "d"
    params = {"a": 1, "b": 2}
    owner = "airflow"


class FakeTask:
    task_id = "t"
    params = {"b": 20, "c": 30}
    owner = "team"
    email = None


class ContextTest(unittest.TestCase):
    def test_date_keys_have_airflow_formats(self):
        context = build_context(FakeTask(), FakeDag(), run_input())
        self.assertEqual(context["ds"], "2024-03-05")
        self.assertEqual(context["ds_nodash"], "20240305")
        self.assertEqual(context["ts"], "2024-03-05T00:00:00+00:00")
        self.assertEqual(context["ts_nodash"], "20240305T000000")
        self.assertEqual(context["ts_nodash_with_tz"], "20240305T000000+0000")
        self.assertEqual(str(context["logical_date"]), "2024-03-05T00:00:00+00:00")
        self.assertEqual(context["data_interval_end"].isoformat(), "2024-03-06T00:00:00+00:00")
        self.assertEqual(context["prev_data_interval_start_success"].isoformat(), "2024-03-04T00:00:00+00:00")
        self.assertIsNone(context["prev_start_date_success"])
        self.assertEqual(context["task_instance_key_str"], "d__t__20240305")
        self.assertEqual(context["run_id"], "scheduled__2024-03-05T00:00:00+00:00")
        self.assertIs(context["ti"], context["task_instance"])
        self.assertEqual((context["ti"].try_number, context["ti"].max_tries, context["ti"].map_index), (1, 0, -1))
        self.assertEqual(context["dag_run"].conf, {})
        self.assertFalse(context["dag_run"].external_trigger)

    def test_datetimes_are_aware_and_keep_their_type_through_arithmetic(self):
        context = build_context(FakeTask(), FakeDag(), run_input())
        moved = context["logical_date"] - timedelta(days=1)
        self.assertEqual(str(moved), "2024-03-04T00:00:00+00:00")
        self.assertEqual(moved.tzinfo.utcoffset(moved), timedelta(0))
        self.assertEqual(context["logical_date"].add(months=1).to_date_string(), "2024-04-05")

    def test_airflow2_files_get_the_deprecated_keys_and_airflow3_files_do_not(self):
        two = build_context(FakeTask(), FakeDag(), run_input(), airflow_style=2)
        self.assertEqual(two["execution_date"].isoformat(), "2024-03-05T00:00:00+00:00")
        self.assertEqual((two["prev_ds"], two["next_ds"]), ("2024-03-04", "2024-03-06"))
        self.assertEqual((two["yesterday_ds"], two["tomorrow_ds_nodash"]), ("2024-03-04", "20240306"))
        three = build_context(FakeTask(), FakeDag(), run_input(), airflow_style=3)
        for key in ("execution_date", "next_ds", "prev_ds", "yesterday_ds", "tomorrow_ds"):
            self.assertNotIn(key, three)

    def test_manual_runs_have_next_and_prev_equal_to_the_logical_date(self):
        context = build_context(FakeTask(), FakeDag(), run_input(runType="manual"))
        self.assertEqual((context["prev_ds"], context["next_ds"]), ("2024-03-05", "2024-03-05"))
        self.assertTrue(context["dag_run"].external_trigger)

    def test_run_without_logical_date_has_no_ds(self):
        context = build_context(FakeTask(), FakeDag(), run_input(logicalDate=None, dataIntervalStart=None,
                                                                 dataIntervalEnd=None))
        self.assertNotIn("ds", context)
        self.assertIsNone(context["logical_date"])

    def test_params_precedence_dag_then_task_then_conf(self):
        self.assertEqual(resolve_params(FakeDag(), FakeTask(), {"c": 300, "extra": True}),
                         {"a": 1, "b": 20, "c": 300, "extra": True})

    def test_conf_does_not_override_params_when_disabled(self):
        os.environ["AIRFLOW__CORE__DAG_RUN_CONF_OVERRIDES_PARAMS"] = "False"
        try:
            self.assertEqual(resolve_params(FakeDag(), FakeTask(), {"c": 300}), {"a": 1, "b": 20, "c": 30})
        finally:
            del os.environ["AIRFLOW__CORE__DAG_RUN_CONF_OVERRIDES_PARAMS"]

    def test_variables_from_input_then_environment(self):
        os.environ["AIRFLOW_VAR_FROM_ENV"] = '{"k": [1, 2]}'
        try:
            context = build_context(FakeTask(), FakeDag(), run_input(variables={"plain": "v", "doc": '{"x": 1}'}))
            self.assertEqual(context["var"]["value"].plain, "v")
            self.assertEqual(context["var"]["json"].doc, {"x": 1})
            self.assertEqual(context["var"]["json"].get("from_env"), {"k": [1, 2]})
            self.assertEqual(context["var"]["value"].get("missing", "fallback"), "fallback")
            with self.assertRaises(KeyError):
                context["var"]["value"].missing
        finally:
            del os.environ["AIRFLOW_VAR_FROM_ENV"]

    def test_current_context_is_set_only_inside_the_block(self):
        context = build_context(FakeTask(), FakeDag(), run_input())
        with set_current_context(context):
            self.assertIs(get_current_context(), context)
        with self.assertRaises(RuntimeError):
            get_current_context()

    def test_airflow_context_variables(self):
        context = build_context(FakeTask(), FakeDag(), run_input())
        self.assertEqual(context_to_airflow_vars(context), {
            "AIRFLOW_CTX_DAG_ID": "d", "AIRFLOW_CTX_TASK_ID": "t", "AIRFLOW_CTX_TRY_NUMBER": "1",
            "AIRFLOW_CTX_EXECUTION_DATE": "2024-03-05T00:00:00+00:00",
            "AIRFLOW_CTX_DAG_RUN_ID": "scheduled__2024-03-05T00:00:00+00:00", "AIRFLOW_CTX_DAG_OWNER": "team",
        })

    def test_bad_input_names_the_field(self):
        with self.assertRaisesRegex(RunInputError, "version 2 is not supported"):
            run_input(version=2)
        with self.assertRaisesRegex(RunInputError, "logicalDate"):
            run_input(logicalDate="yesterday")

    def test_parse_instant_converts_to_utc(self):
        self.assertEqual(parse_instant("2024-01-01T02:00:00+02:00").isoformat(), "2024-01-01T00:00:00+00:00")
        self.assertEqual(parse_instant("2024-01-01T00:00:00").isoformat(), "2024-01-01T00:00:00+00:00")


def store():
    return XComStore([
        {"taskId": "a", "mapIndex": -1, "key": "return_value", "value": 1},
        {"taskId": "a", "mapIndex": -1, "key": "other", "value": "o"},
        {"taskId": "m", "mapIndex": 1, "key": "return_value", "value": "m1"},
        {"taskId": "m", "mapIndex": 0, "key": "return_value", "value": "m0"},
        {"taskId": "b", "mapIndex": -1, "key": "return_value", "value": {"x": 2}},
    ], -1)


class XComPullTest(unittest.TestCase):
    def test_airflow2_shapes(self):
        xcoms = store()
        self.assertEqual(xcoms.pull("a", "return_value", None, None), 1)
        self.assertEqual(xcoms.pull("a", "other", None, None), "o")
        self.assertEqual(xcoms.pull("m", "return_value", None, None), ["m0", "m1"])
        self.assertEqual(xcoms.pull("m", "return_value", 1, None), "m1")
        self.assertEqual(xcoms.pull("m", "return_value", [1, 0], None), ["m1", "m0"])
        self.assertEqual(xcoms.pull(["b", "a"], "return_value", None, None), [{"x": 2}, 1])
        self.assertEqual(xcoms.pull(["b", "nope"], "return_value", None, None), [{"x": 2}])
        self.assertEqual(xcoms.pull("nope", "return_value", None, "dflt"), "dflt")
        self.assertEqual(xcoms.pull(None, "other", None, None), "o")

    def test_airflow3_shapes(self):
        xcoms = store()
        self.assertEqual(xcoms.pull_v3("t", "a", "return_value", NOT_SET, None), 1)
        self.assertEqual(xcoms.pull_v3("t", "m", "return_value", NOT_SET, None), ["m0", "m1"])
        self.assertEqual(xcoms.pull_v3("t", ["a", "b"], "return_value", NOT_SET, None), [1, {"x": 2}])
        self.assertIsNone(xcoms.pull_v3("t", None, "return_value", NOT_SET, "dflt"))
        self.assertEqual(xcoms.pull_v3("t", "m", "return_value", [0, 5], "dflt"), ["m0", "dflt"])
        self.assertEqual(xcoms.pull_v3("t", "a", "return_value", None, None), 1)

    def test_task_instance_pull_and_push(self):
        context = build_context(FakeTask(), FakeDag(), run_input(xcoms=[
            {"taskId": "up", "mapIndex": -1, "key": "return_value", "value": [1, 2]}]))
        ti = context["ti"]
        self.assertEqual(ti.xcom_pull(task_ids="up"), [1, 2])
        self.assertEqual(ti.xcom_pull(task_ids=["up"]), [[1, 2]])
        self.assertIsNone(ti.xcom_pull(task_ids="up", dag_id="other_dag"))
        ti.xcom_push("k", {"v": 1})
        ti.xcom_push(key="k", value={"v": 2})
        self.assertEqual(ti.xcom_pull(task_ids="t", key="k"), {"v": 2})
        self.assertEqual(ti._xcoms.pushed(), [{"key": "k", "value": {"v": 2}}])

    def test_push_refuses_values_json_cannot_hold(self):
        xcoms = store()
        with self.assertRaisesRegex(XComNotJsonError, "XCom 'k' of task 't' is not JSON-serialisable: got a value "
                                    "of type datetime.datetime"):
            xcoms.push("k", datetime(2024, 1, 1), "t")
        with self.assertRaisesRegex(XComNotJsonError, "of type set"):
            xcoms.push("k", {1, 2}, "t")
        with self.assertRaisesRegex(XComNotJsonError, "of type float"):
            xcoms.push("k", float("nan"), "t")


class MacrosTest(unittest.TestCase):
    def test_airflow_macros(self):
        self.assertEqual(macros.ds_add("2024-03-01", -1), "2024-02-29")
        self.assertEqual(macros.ds_add("2024-03-01", 0), "2024-03-01")
        self.assertEqual(macros.ds_format("2024-03-01", "%Y-%m-%d", "%d/%m/%Y"), "01/03/2024")
        self.assertEqual(macros.timedelta(days=1).days, 1)
        self.assertEqual(macros.datetime(2024, 1, 1).year, 2024)
        self.assertEqual(macros.json.dumps([1]), "[1]")
        self.assertEqual(len(str(macros.uuid.uuid4())), 36)
        self.assertTrue(0 <= macros.random() < 1)
        self.assertTrue(macros.time.time() > 0)


if __name__ == "__main__":
    unittest.main()
