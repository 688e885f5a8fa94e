"""Param validation in the stand-ins (dagbridge_shim.param_schema) against the cases recorded from jsonschema in
schemas/param-cases.json (the TypeScript port, src/dag/param-schema.ts, is tested against the same table), against
jsonschema itself where it is installed, and the rules Airflow 2.10.5 builds on it: ParamsDict.update validates a
known param's new value, validate() names the param, and a DAG that can be scheduled with params that do not
validate does not load (DAG.validate_schedule_and_params)."""
import json
import os
import unittest
import warnings

from dagbridge_shim import loader
from dagbridge_shim.param_schema import schema_error

from tests.test_export_support import REPO_ROOT, dag_by_id, export_files

loader.activate_standins()

from airflow.exceptions import ParamValidationError  # noqa: E402 - the stand-ins are active only now
from airflow.models.param import Param, ParamsDict  # noqa: E402

with open(os.path.join(REPO_ROOT, "schemas", "param-cases.json"), encoding="utf-8") as _handle:
    CASES = json.load(_handle)["cases"]

try:
    import jsonschema
    from jsonschema import FormatChecker
except ImportError:  # /usr/bin/python3 has no jsonschema: the recorded table stands in for it
    jsonschema = None

try:
    import rfc3339_validator  # noqa: F401 - jsonschema checks date-time only with it, as Airflow installs it
except ImportError:
    rfc3339_validator = None


class RecordedCasesTest(unittest.TestCase):
    def test_the_stand_in_gives_the_recorded_error_of_every_case(self):
        for index, case in enumerate(CASES):
            with self.subTest(index=index, value=case["value"], schema=case["schema"]):
                problem = schema_error(case["value"], case["schema"])
                self.assertEqual(problem[0] if problem else None, case["error"])

    @unittest.skipIf(jsonschema is None or rfc3339_validator is None, "jsonschema with rfc3339-validator is not installed")
    def test_the_recorded_errors_are_what_jsonschema_gives(self):
        for index, case in enumerate(CASES):
            with self.subTest(index=index, value=case["value"], schema=case["schema"]):
                try:
                    jsonschema.validate(case["value"], case["schema"], format_checker=FormatChecker())
                    error = None
                except jsonschema.ValidationError as exc:
                    error = str(exc).split("\n\n")[0]
                self.assertEqual(error, case["error"])


class ParamTest(unittest.TestCase):
    def test_resolve_raises_the_schema_error(self):
        with self.assertRaises(ParamValidationError) as caught:
            Param(5, type="string").resolve()
        self.assertEqual(str(caught.exception), "5 is not of type 'string'")
        self.assertIsNone(Param(5, type="string").resolve(suppress_exception=True))
        with self.assertRaises(ParamValidationError) as caught:
            Param(type="string").resolve()
        self.assertEqual(str(caught.exception), "No value passed and Param has no default value")

    def test_a_date_time_that_is_iso8601_but_not_rfc3339_is_accepted_with_a_warning(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual(Param("2024-06-03T12:17:00", type="string", format="date-time").resolve(), "2024-06-03T12:17:00")
        self.assertTrue(any("non-RFC3339" in str(w.message) for w in caught))
        with self.assertRaises(ParamValidationError):
            Param("tomorrow", type="string", format="date-time").resolve()

    def test_update_validates_a_known_param_and_validate_names_the_param(self):
        params = ParamsDict({"n": Param(5, type="integer", minimum=1), "s": Param(type="string")})
        with self.assertRaises(ParamValidationError) as caught:
            params.update({"n": 0})
        self.assertEqual(str(caught.exception), "Invalid input for param n: 0 is less than the minimum of 1")
        params.update({"n": 2, "other": [1]})
        with self.assertRaises(ParamValidationError) as caught:
            params.validate()
        self.assertEqual(str(caught.exception), "Invalid input for param s: No value passed and Param has no default value")
        params.update({"s": "x"})
        self.assertEqual(params.validate(), {"n": 2, "s": "x", "other": [1]})


SCHEDULED_REQUIRED = """
import datetime
from airflow import DAG
from airflow.models.param import Param
with DAG("scheduled_required", schedule="@daily", start_date=datetime.datetime(2024, 1, 1), params={"x": Param(type="string")}):
    pass
"""

DAG_FUNCTION = """
import datetime
from airflow.decorators import dag
from airflow.models.param import Param
@dag(schedule="@daily", start_date=datetime.datetime(2024, 1, 1), params={"n": Param(3, type="integer")})
def given_later(n="three"):
    pass
given_later()
"""

LATE_PARAM = """
import datetime
from airflow import DAG
from airflow.models.param import Param
with DAG("late_param", schedule="@daily", start_date=datetime.datetime(2024, 1, 1)) as late:
    pass
late.params["late"] = Param(type="integer")
with DAG("same_file_ok", schedule="@daily", start_date=datetime.datetime(2024, 1, 1)):
    pass
"""

LOADS = """
import datetime
from airflow import DAG
from airflow.models.param import Param
with DAG("manual_required", schedule=None, start_date=datetime.datetime(2024, 1, 1), params={"x": Param(type="string"), "y": Param(None)}):
    pass
with DAG("scheduled_valid", schedule="@daily", start_date=datetime.datetime(2024, 1, 1), params={"x": Param("a", type="string")}):
    pass
"""

AIRFLOW3 = """
import datetime
from airflow.sdk import DAG, Param
with DAG("af3_scheduled_required", schedule="@daily", start_date=datetime.datetime(2024, 1, 1), params={"x": Param(type="string")}):
    pass
"""

AIRFLOW2_MESSAGE = ("DAG is not allowed to define a Schedule, if there are any required params without default values "
                    "or default values are not valid.")


class ScheduleAndParamsTest(unittest.TestCase):
    """Airflow 2.10.5 DAG.validate_schedule_and_params (DAG.__init__ and DagBag's dag.validate()); Airflow 3
    task-sdk DAG._validate_params."""

    def test_a_scheduled_dag_with_a_required_param_does_not_load(self):
        bundle = export_files({"scheduled_required.py": SCHEDULED_REQUIRED, "loads.py": LOADS, "af3.py": AIRFLOW3})
        errors = {e["file"]: e for e in bundle["importErrors"]}
        self.assertEqual((errors["scheduled_required.py"]["type"], errors["scheduled_required.py"]["message"]),
                         ("AirflowException", AIRFLOW2_MESSAGE))
        self.assertEqual(errors["af3.py"]["type"], "ValueError")
        self.assertEqual(errors["af3.py"]["message"],
                         "DAG 'af3_scheduled_required' is not allowed to define a Schedule, as there are required params "
                         "without default values, or the default values are not valid.")
        self.assertNotIn("loads.py", errors)
        manual = dag_by_id(bundle, "manual_required")
        self.assertEqual(manual["params"]["x"], {"default": None, "description": None, "schema": {"type": "string"}, "hasDefault": False})
        self.assertEqual(manual["params"]["y"], {"default": None, "description": None, "schema": {}})
        dag_by_id(bundle, "scheduled_valid")

    def test_a_param_added_after_the_dag_was_made_is_checked_when_the_dag_is_bagged(self):
        bundle = export_files({"late.py": LATE_PARAM})
        [error] = bundle["importErrors"]
        self.assertEqual((error["type"], error["message"]), ("AirflowException", AIRFLOW2_MESSAGE))
        self.assertEqual([d["dagId"] for d in bundle["dags"]], ["same_file_ok"])

    def test_an_at_dag_function_default_is_validated_against_the_params_schema(self):
        # DagParam sets params[name] = default, which ParamsDict.__setitem__ validates.
        bundle = export_files({"given_later.py": DAG_FUNCTION})
        [error] = bundle["importErrors"]
        self.assertEqual((error["type"], error["message"]),
                         ("ParamValidationError", "Invalid input for param n: 'three' is not of type 'integer'"))


if __name__ == "__main__":
    unittest.main()
