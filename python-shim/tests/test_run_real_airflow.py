"""`run` when Apache Airflow is importable: the DAG file is loaded through Airflow's DagBag and tasks run behind
the same contract. Airflow cannot be installed here, so a small fake `airflow` package (written to a temporary
folder and put on PYTHONPATH) stands in for it; its operators' own `execute` methods refuse to run, which shows
that the kinds dagbridge models run through dagbridge_shim.execution, while a custom operator runs its own."""
import os
import shutil
import tempfile
import textwrap
import unittest

from tests.channel_fake import FakeChannel
from tests.test_run_support import SHIM_ROOT, base_env, run_task

FAKE_AIRFLOW = {
    "airflow/__init__.py": '__version__ = "2.10.5"\n',
    "airflow/exceptions.py": """
        class AirflowException(Exception):
            pass
        class AirflowSkipException(AirflowException):
            pass
        class AirflowFailException(AirflowException):
            pass
        class AirflowSensorTimeout(AirflowException):
            pass
        class AirflowTaskTimeout(AirflowException):
            pass
        class AirflowRescheduleException(AirflowException):
            def __init__(self, reschedule_date):
                super().__init__(reschedule_date)
                self.reschedule_date = reschedule_date
    """,
    "airflow/models/__init__.py": "",
    "airflow/models/taskinstance.py": "_CURRENT_CONTEXT = []\n",
    "airflow/models/dag.py": """
        class DAG:
            current = None
            def __init__(self, dag_id, **kwargs):
                self.dag_id = dag_id
                self.task_dict = {}
                self.params = kwargs.get("params", {})
                self.fileloc = None
            def __enter__(self):
                DAG.current = self
                return self
            def __exit__(self, *exc):
                DAG.current = None
    """,
    "airflow/models/baseoperator.py": """
        from airflow.models.dag import DAG
        class BaseOperator:
            template_fields = ()
            template_ext = ()
            def __init__(self, task_id, **kwargs):
                self.task_id = task_id
                self.dag = DAG.current
                self.dag.task_dict[task_id] = self
                self.params = {}
                self.do_xcom_push = kwargs.get("do_xcom_push", True)
                self.multiple_outputs = False
                self.downstream_task_ids = set()
                self.retries = 0
            def execute(self, context):
                raise RuntimeError("the fake Airflow's execute must not be called for modelled kinds")
    """,
    "airflow/operators/__init__.py": "",
    "airflow/operators/bash.py": """
        from airflow.models.baseoperator import BaseOperator
        class BashOperator(BaseOperator):
            template_fields = ("bash_command", "env", "cwd")
            def __init__(self, bash_command, **kwargs):
                super().__init__(**kwargs)
                self.bash_command = bash_command
                self.env = None
                self.cwd = None
                self.append_env = False
                self.skip_on_exit_code = [99]
                self.output_processor = lambda output: output
    """,
    "airflow/operators/python.py": """
        from airflow.models.baseoperator import BaseOperator
        from airflow.models.taskinstance import _CURRENT_CONTEXT
        def get_current_context():
            return _CURRENT_CONTEXT[-1]
        class PythonOperator(BaseOperator):
            template_fields = ("templates_dict", "op_args", "op_kwargs")
            def __init__(self, python_callable, op_args=None, op_kwargs=None, **kwargs):
                super().__init__(**kwargs)
                self.python_callable = python_callable
                self.op_args = op_args or []
                self.op_kwargs = op_kwargs or {}
                self.templates_dict = None
    """,
    "airflow/models/dagparam.py": """
        class DagParam:
            def __init__(self, current_dag, name, default):
                current_dag.params[name] = default
                self._name = name
                self._default = default
    """,
    "airflow/sensors/__init__.py": "",
    "airflow/sensors/base.py": """
        from airflow.models.baseoperator import BaseOperator
        class BaseSensorOperator(BaseOperator):
            def __init__(self, poke_interval=60, timeout=3600, mode="poke", **kwargs):
                super().__init__(**kwargs)
                self.poke_interval, self.timeout, self.mode = poke_interval, timeout, mode
    """,
    "airflow/sensors/external_task.py": """
        from airflow.sensors.base import BaseSensorOperator
        class ExternalTaskSensor(BaseSensorOperator):
            def __init__(self, external_dag_id, external_task_id=None, **kwargs):
                super().__init__(**kwargs)
                self.external_dag_id = external_dag_id
                self.external_task_id = external_task_id
                self.external_task_ids = [external_task_id] if external_task_id else None
                self.external_task_group_id = None
            def poke(self, context):
                raise RuntimeError("the fake Airflow's ExternalTaskSensor.poke needs the metadata database")
    """,
    "airflow/decorators/__init__.py": "",
    "airflow/decorators/bash.py": """
        from airflow.operators.bash import BashOperator
        class _BashDecoratedOperator(BashOperator):
            template_fields = ("op_args", "op_kwargs", "bash_command", "env", "cwd")
            def __init__(self, python_callable, op_args=None, op_kwargs=None, **kwargs):
                super().__init__(bash_command=None, **kwargs)
                self.python_callable = python_callable
                self.op_args = op_args or []
                self.op_kwargs = op_kwargs or {}
    """,
    "airflow/models/dagbag.py": """
        import importlib.util
        import os
        from airflow.models.dag import DAG
        class DagBag:
            def __init__(self, dag_folder, include_examples=False, safe_mode=True):
                self.dags, self.import_errors = {}, {}
                spec = importlib.util.spec_from_file_location("fake_dag_module", dag_folder)
                module = importlib.util.module_from_spec(spec)
                try:
                    spec.loader.exec_module(module)
                except Exception as error:
                    self.import_errors[dag_folder] = "%s: %s" % (type(error).__name__, error)
                    return
                for value in vars(module).values():
                    if isinstance(value, DAG):
                        value.fileloc = dag_folder
                        self.dags[value.dag_id] = value
    """,
}

DAG_FILE = """
    from airflow.decorators.bash import _BashDecoratedOperator
    from airflow.models.baseoperator import BaseOperator
    from airflow.models.dag import DAG
    from airflow.models.dagparam import DagParam
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator, get_current_context
    from airflow.sensors.external_task import ExternalTaskSensor

    class Custom(BaseOperator):
        def execute(self, context):
            return ["custom", get_current_context()["ti"].task_id, context["ds"]]

    with DAG("real_airflow") as dag:
        BashOperator(task_id="bash", bash_command="echo from-bash")
        PythonOperator(task_id="python", python_callable=lambda ti, params: [ti.task_id, params], op_kwargs={})
        Custom(task_id="custom")
        _BashDecoratedOperator(task_id="bash_decorated", op_kwargs={"word": "hi"},
                               python_callable=lambda word, ds: "echo %s-$AIRFLOW_CTX_TASK_ID" % word)
        ExternalTaskSensor(task_id="wait_other", external_dag_id="other", external_task_id="done")
        PythonOperator(task_id="dag_param", python_callable=lambda n: n, op_kwargs={"n": DagParam(dag, "n", 4)})
"""

PROVIDER_DAG_FILE = """
    from airflow.models.dag import DAG
    from airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator

    with DAG("needs_provider") as dag:
        S3CreateBucketOperator(task_id="make_bucket", bucket_name="b")
"""


class RealAirflowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="dagbridge-fake-airflow-")
        for path, text in FAKE_AIRFLOW.items():
            full = os.path.join(cls.folder, "site", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as handle:
                handle.write(textwrap.dedent(text))
        cls.dags = os.path.join(cls.folder, "dags")
        os.makedirs(cls.dags)
        for name, text in (("real.py", DAG_FILE), ("provider.py", PROVIDER_DAG_FILE)):
            with open(os.path.join(cls.dags, name), "w") as handle:
                handle.write(textwrap.dedent(text))
        cls.env = base_env(PYTHONPATH=SHIM_ROOT + os.pathsep + os.path.join(cls.folder, "site"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def run_real(self, file, dag_id, task_id, **overrides):
        return run_task(file, dag_id, task_id, env=self.env, dags_folder=self.dags, no_airflow=False, **overrides)

    def test_bash_runs_through_dagbridge(self):
        outcome = self.run_real("real.py", "real_airflow", "bash")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": "from-bash"}], outcome)

    def test_python_runs_through_dagbridge(self):
        outcome = self.run_real("real.py", "real_airflow", "python")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": ["python", {"n": 4}]}], outcome)

    def test_bash_decorated_runs_the_returned_command_through_dagbridge(self):
        outcome = self.run_real("real.py", "real_airflow", "bash_decorated")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": "hi-bash_decorated"}], outcome)
        self.assertEqual(outcome.result["renderedFields"]["bash_command"], "echo hi-$AIRFLOW_CTX_TASK_ID")

    def test_dag_param_resolves_to_the_default_or_conf(self):
        outcome = self.run_real("real.py", "real_airflow", "dag_param")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": 4}], outcome)
        outcome = self.run_real("real.py", "real_airflow", "dag_param", conf={"n": 8})
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": 8}], outcome)

    def test_external_task_sensor_asks_the_channel_without_calling_airflow_poke(self):
        with FakeChannel(lambda kind, payload: {"count": 1}) as channel:
            outcome = run_task("real.py", "real_airflow", "wait_other", env=dict(self.env, **channel.env()),
                               dags_folder=self.dags, no_airflow=False)
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(channel.requests, [("external.count", {
            "dagId": "other", "taskIds": ["done"], "taskGroupId": None,
            "logicalDates": ["2024-03-05T00:00:00+00:00"], "states": ["success"]})])

    def test_custom_operator_runs_its_own_execute_with_airflow_current_context(self):
        outcome = self.run_real("real.py", "real_airflow", "custom")
        self.assertEqual(outcome.result["xcoms"], [{"key": "return_value", "value": ["custom", "custom", "2024-03-05"]}],
                         outcome)

    def test_missing_provider_is_a_typed_permanent_failure(self):
        outcome = self.run_real("provider.py", "needs_provider", "make_bucket")
        error = outcome.result["error"]
        self.assertEqual((outcome.result["state"], error["type"], error["retryable"]),
                         ("failed", "ProviderNotInstalled", False), outcome)
        self.assertIn("apache-airflow-providers-amazon", error["message"])


if __name__ == "__main__":
    unittest.main()
