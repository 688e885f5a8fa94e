"""`run` resolves the DagParams an `@dag` function passes to its tasks (and `dag.param(...)`) to the run's value,
as Airflow's DagParam.resolve: the DAG run's conf, else the default, else params
(fixture tests/fixtures/run_dags/run_dag_params.py)."""
import unittest

from tests.test_export_support import TempDags, run_export
from tests.test_run_support import FIXTURES, run_task


def run(dag_id, task_id, **kwargs):
    return run_task("run_dag_params.py", dag_id, task_id, **kwargs)


def returned(outcome):
    assert outcome.result["state"] == "success", outcome
    [entry] = outcome.result["xcoms"]
    return entry["value"]


class DagFunctionParameterTest(unittest.TestCase):
    def test_default_reaches_the_task_and_params(self):
        outcome = run("run_dag_params", "use")
        self.assertEqual(returned(outcome), {"count": 3, "label": "dag-default",
                                             "params": {"count": 3, "label": "dag-default"}})
        self.assertEqual(outcome.result["renderedFields"]["op_args"], [3, "dag-default"])

    def test_conf_overrides_the_default(self):
        outcome = run("run_dag_params", "use", conf={"count": 7, "label": "from-conf"})
        self.assertEqual(returned(outcome), {"count": 7, "label": "from-conf",
                                             "params": {"count": 7, "label": "from-conf"}})

    def test_an_existing_param_keeps_its_schema(self):
        error = run("run_dag_params", "use", conf={"count": -1}).result["error"]
        self.assertEqual((error["type"], error["message"]), (
            "ParamValidationError", "Invalid input for param count: -1 is less than the minimum of 0"))

    def test_classic_operator_templated_argument(self):
        self.assertEqual(run("run_dag_params", "echo_label").stdout, "dag-default\n")
        self.assertEqual(run("run_dag_params", "echo_label", conf={"label": "x y"}).stdout, "x y\n")

    def test_argument_given_when_the_dag_function_is_called(self):
        self.assertEqual(returned(run("run_dag_params_given", "show")), 5)
        self.assertEqual(returned(run("run_dag_params_given", "show", conf={"size": 6})), 6)


class DagParamMethodTest(unittest.TestCase):
    def test_default_then_params(self):
        self.assertEqual(returned(run("run_dag_param_method", "show")), [9, "p"])
        self.assertEqual(returned(run("run_dag_param_method", "show", conf={"with_default": 1, "from_params": 2})),
                         [1, 2])

    def test_no_value_anywhere_fails(self):
        error = run("run_dag_param_method", "unresolvable").result["error"]
        self.assertEqual((error["type"], error["message"], error["retryable"]),
                         ("AirflowException", "No value could be resolved for parameter nowhere", True))


class ExportTest(unittest.TestCase):
    def test_parameters_are_dag_params(self):
        bundle, _ = run_export(FIXTURES, "--files", "run_dag_params.py")
        params = {dag["dagId"]: dag["params"] for dag in bundle["dags"]}
        self.assertEqual(params["run_dag_params"], {
            "count": {"default": 3, "description": None, "schema": {"type": "integer", "minimum": 0}},
            "label": {"default": "dag-default", "description": None, "schema": {}}})
        self.assertEqual(params["run_dag_params_given"], {"size": {"default": 5, "description": None, "schema": {}}})
        self.assertEqual(params["run_dag_param_method"], {
            "from_params": {"default": "p", "description": None, "schema": {}},
            "with_default": {"default": 9, "description": None, "schema": {}}})

    def test_a_missing_required_argument_is_an_import_error(self):
        with TempDags({"required.py": '''
            from datetime import datetime
            from airflow.decorators import dag

            @dag(start_date=datetime(2024, 1, 1), schedule=None)
            def required(size):
                pass

            required()
        '''}) as folder:
            bundle, _ = run_export(folder)
        [error] = bundle["importErrors"]
        self.assertEqual((error["type"], error["message"]), ("TypeError", "missing a required argument: 'size'"))


if __name__ == "__main__":
    unittest.main()
