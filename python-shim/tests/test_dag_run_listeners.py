"""Plugin listeners' DAG-run hooks, called as Airflow 2.10.5's DagRun.notify_dagrun_state_changed calls them
(airflow/models/dagrun.py; hooks of airflow/listeners/spec/dagrun.py: ``on_dag_run_running(dag_run, msg)``,
``on_dag_run_success``, ``on_dag_run_failed``): ``python -m dagbridge_shim dag-callback --hook HOOK --msg MSG``
gives the listeners the run's DagRun (its ``dag`` loaded, ``state`` the state entered) and the msg; an error in a
listener is logged and reported, never raised. ``python -m dagbridge_shim listeners`` names the hooks the plugins'
listeners implement (the scheduler's cheap check). Airflow's own example plugins (example_dags/plugins/
event_listener.py registered by listener_plugin.py) load and run."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests.test_run_support import base_env, task_input

PLUGIN = textwrap.dedent('''
    import json
    import os

    from airflow.listeners import hookimpl
    from airflow.plugins_manager import AirflowPlugin


    def _record(**event):
        print("HOOK " + json.dumps(event, default=str))


    class RunListener:
        @hookimpl
        def on_dag_run_running(self, dag_run, msg):
            _record(hook="running", msg=msg, state=dag_run.state, dag=dag_run.dag.dag_id, run_id=dag_run.run_id,
                    queued_at=dag_run.queued_at, end_date=dag_run.end_date, dag_hash=dag_run.dag_hash)

        @hookimpl
        def on_dag_run_success(self, dag_run, msg):
            _record(hook="success", msg=msg, state=dag_run.state, end_date=dag_run.end_date)

        @hookimpl
        def on_dag_run_failed(self, dag_run, msg):
            raise RuntimeError("listener broke on " + msg)


    class RunPlugin(AirflowPlugin):
        name = "run_plugin"
        listeners = [RunListener()]
''')

DAG_FILE = textwrap.dedent('''
    from datetime import datetime
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator

    with DAG("listened", start_date=datetime(2024, 1, 1), schedule=None) as dag:
        EmptyOperator(task_id="a")
''')

AIRFLOW_EXAMPLES = "/work/airflow-2.10.5/airflow/example_dags"


def _folders(root):
    dags, plugins = os.path.join(root, "dags"), os.path.join(root, "plugins")
    os.mkdir(dags)
    os.mkdir(plugins)
    with open(os.path.join(dags, "listened.py"), "w") as handle:
        handle.write(DAG_FILE)
    with open(os.path.join(plugins, "run_plugin.py"), "w") as handle:
        handle.write(PLUGIN)
    return dags, plugins


def call_hook(hook, msg, state, dags, plugins, dag_id="listened", file="listened.py", task_id="a", **overrides):
    with tempfile.TemporaryDirectory(prefix="dagbridge-listener-test-") as folder:
        result_path = os.path.join(folder, "result.json")
        command = [sys.executable, "-m", "dagbridge_shim", "dag-callback", "--hook", hook, "--msg", msg,
                   "--dag-run-state", state, "--dags-folder", dags, "--file", file, "--dag-id", dag_id,
                   "--task-id", task_id, "--result", result_path, "--no-airflow"]
        document = task_input(dag_id, task_id, dagRunQueuedAt="2024-03-06T00:00:00+00:00",
                              dagRunEndDate="2024-03-06T00:05:00+00:00", dagHash="v1hash", **overrides)
        env = base_env(AIRFLOW__CORE__PLUGINS_FOLDER=plugins, PYTHONPATH=os.pathsep.join([base_env()["PYTHONPATH"], plugins]))
        completed = subprocess.run(command, input=json.dumps(document), capture_output=True, text=True, env=env,
                                   cwd=folder, timeout=120)
        with open(result_path) as handle:
            result = json.load(handle)
        events = [json.loads(line[5:]) for line in completed.stdout.splitlines() if line.startswith("HOOK ")]
        return completed, result, events


def probe(dags, plugins):
    env = base_env(AIRFLOW__CORE__PLUGINS_FOLDER=plugins, PYTHONPATH=os.pathsep.join([base_env()["PYTHONPATH"], plugins]))
    completed = subprocess.run([sys.executable, "-m", "dagbridge_shim", "listeners", "--dags-folder", dags,
                                "--no-airflow"], capture_output=True, text=True, env=env, timeout=120)
    return completed, json.loads(completed.stdout)["hooks"] if completed.returncode == 0 else None


class DagRunHookTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="dagbridge-listener-folders-")
        self.dags, self.plugins = _folders(self.root)

    def tearDown(self):
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)

    def test_on_dag_run_running_gets_the_run_as_it_entered_running_and_an_empty_msg(self):
        # SchedulerJobRunner._start_queued_dagruns: dag_run.notify_dagrun_state_changed() (msg defaults to "").
        completed, result, events = call_hook("on_dag_run_running", "", "running", self.dags, self.plugins)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(result["state"], "success")
        self.assertEqual(events, [{"hook": "running", "msg": "", "state": "running", "dag": "listened",
                                   "run_id": "scheduled__2024-03-05T00:00:00+00:00",
                                   "queued_at": "2024-03-06T00:00:00+00:00", "end_date": None, "dag_hash": "v1hash"}])

    def test_on_dag_run_success_gets_update_states_msg(self):
        completed, result, events = call_hook("on_dag_run_success", "success", "success", self.dags, self.plugins)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(events, [{"hook": "success", "msg": "success", "state": "success",
                                   "end_date": "2024-03-06T00:05:00+00:00"}])

    def test_a_failing_listener_is_logged_and_reported(self):
        completed, result, events = call_hook("on_dag_run_failed", "task_failure", "failed", self.dags, self.plugins)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(events, [])
        self.assertEqual(result["state"], "failed")
        self.assertEqual(result["error"]["type"], "RuntimeError")
        self.assertIn("listener broke on task_failure", result["error"]["message"])
        self.assertIn("Error in a listener's on_dag_run_failed hook", completed.stderr)

    def test_the_probe_names_the_hooks_the_listeners_implement(self):
        completed, hooks = probe(self.dags, self.plugins)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(hooks, ["on_dag_run_running", "on_dag_run_success", "on_dag_run_failed"])

    def test_the_probe_of_a_folder_without_listeners_is_empty(self):
        os.remove(os.path.join(self.plugins, "run_plugin.py"))
        with open(os.path.join(self.plugins, "macros_only.py"), "w") as handle:
            handle.write("from airflow.plugins_manager import AirflowPlugin\n\n"
                         "class M(AirflowPlugin):\n    name = 'm'\n    macros = [len]\n")
        completed, hooks = probe(self.dags, self.plugins)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(hooks, [])

    def test_bad_hook_exits_2(self):
        completed = subprocess.run([sys.executable, "-m", "dagbridge_shim", "dag-callback", "--hook", "on_dag_run_queued"],
                                   capture_output=True, text=True, env=base_env(), timeout=60)
        self.assertEqual(completed.returncode, 2)
        self.assertIn("--hook must be one of", completed.stderr)


@unittest.skipUnless(os.path.isdir(os.path.join(AIRFLOW_EXAMPLES, "plugins")), "Airflow 2.10.5 sources not here")
class AirflowExampleListenerTest(unittest.TestCase):
    """example_dags/plugins/listener_plugin.py registers event_listener (module functions marked @hookimpl)."""

    def test_the_example_listener_plugin_loads_and_its_dag_run_hooks_run(self):
        plugins = os.path.join(AIRFLOW_EXAMPLES, "plugins")
        completed, hooks = probe(AIRFLOW_EXAMPLES, plugins)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertEqual(hooks, ["on_dag_run_running", "on_dag_run_success", "on_dag_run_failed",
                                 "on_task_instance_running", "on_task_instance_success", "on_task_instance_failed"])
        completed, result, _ = call_hook("on_dag_run_running", "", "running", AIRFLOW_EXAMPLES, plugins,
                                         dag_id="example_bash_operator", file="example_bash_operator.py",
                                         task_id="run_after_loop")
        self.assertEqual(result["state"], "success", completed.stderr)
        self.assertIn("Dag run  in running state", completed.stdout)
        self.assertIn("Dag information Queued at: 2024-03-06T00:00:00+00:00 hash info: v1hash", completed.stdout)
        completed, result, _ = call_hook("on_dag_run_failed", "task_failure", "failed", AIRFLOW_EXAMPLES, plugins,
                                         dag_id="example_bash_operator", file="example_bash_operator.py",
                                         task_id="run_after_loop")
        self.assertEqual(result["state"], "success", completed.stderr)
        self.assertIn("Failed with message: task_failure", completed.stdout)


if __name__ == "__main__":
    unittest.main()
