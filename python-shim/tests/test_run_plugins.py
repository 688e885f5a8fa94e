"""Plugins in the task process (dagbridge_shim.plugins), as Airflow 2.10.5's plugins_manager loads them:
`macros` of an AirflowPlugin in templates as ``macros.<plugin>.<function>``, and `listeners` called on
task-instance running / success / failed (airflow/models/taskinstance.py calls on_task_instance_running after
on_execute_callback, on_task_instance_success after on_success_callback, on_task_instance_failed in
handle_failure before the failure callbacks). A plugin file that fails to import is logged and skipped."""
import json
import os
import tempfile
import textwrap
import unittest

from tests.test_run_support import base_env, run_task

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False

PLUGIN = '''
import json
import os

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

EVENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.jsonl")


def shout(text):
    return str(text).upper() + "!"


def _record(**event):
    with open(EVENTS, "a") as handle:
        handle.write(json.dumps(event) + "\\n")


class RecordingListener:
    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance, session):
        _record(hook="running", previous=previous_state, task=task_instance.task_id)

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance, session):
        _record(hook="success", previous=previous_state, task=task_instance.task_id)

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error, session):
        _record(hook="failed", previous=previous_state, task=task_instance.task_id, error=str(error))


class MyPlugin(AirflowPlugin):
    name = "my_plugin"
    macros = [shout]
    listeners = [RecordingListener()]
'''

BROKEN_PLUGIN = "raise RuntimeError('this plugin is broken')\n"

DAG = '''
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def fail():
    raise ValueError("boom")


with DAG("plugged", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    BashOperator(task_id="templated", bash_command="echo {{ macros.my_plugin.shout(ds) }}")
    PythonOperator(task_id="fails", python_callable=fail, retries=0)
'''


class PluginsTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="dagbridge-plugins-")
        self.dags = os.path.join(self.root, "dags")
        self.plugins = os.path.join(self.root, "plugins")
        os.mkdir(self.dags)
        os.mkdir(self.plugins)
        with open(os.path.join(self.dags, "plugged.py"), "w") as handle:
            handle.write(textwrap.dedent(DAG))
        with open(os.path.join(self.plugins, "a_broken.py"), "w") as handle:
            handle.write(BROKEN_PLUGIN)
        with open(os.path.join(self.plugins, "my_plugin.py"), "w") as handle:
            handle.write(PLUGIN)
        self.events = os.path.join(self.plugins, "events.jsonl")

    def tearDown(self):
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)

    def run_task(self, task_id):
        env = base_env(AIRFLOW__CORE__PLUGINS_FOLDER=self.plugins,
                       PYTHONPATH=os.pathsep.join([base_env()["PYTHONPATH"], self.plugins]))
        return run_task("plugged.py", "plugged", task_id, env=env, dags_folder=self.dags)

    def events_seen(self):
        if not os.path.exists(self.events):
            return []
        with open(self.events) as handle:
            return [json.loads(line) for line in handle]

    @unittest.skipUnless(HAVE_JINJA, "templates need Jinja2")
    def test_a_plugin_macro_renders_in_a_template_and_listeners_hear_running_then_success(self):
        run = self.run_task("templated")
        self.assertEqual(run.result["state"], "success", run)
        self.assertEqual(run.result["renderedFields"]["bash_command"], "echo 2024-03-05!")
        self.assertIn("Failed to import plugin", run.stderr)  # the broken file is logged, the good one still loads
        self.assertIn("this plugin is broken", run.stderr)
        self.assertEqual([(e["hook"], e["previous"], e["task"]) for e in self.events_seen()],
                         [("running", "queued", "templated"), ("success", "running", "templated")])

    def test_listeners_hear_a_failure_with_its_error(self):
        run = self.run_task("fails")
        self.assertEqual(run.result["state"], "failed", run)
        events = self.events_seen()
        self.assertEqual([(e["hook"], e["previous"], e["task"]) for e in events],
                         [("running", "queued", "fails"), ("failed", "running", "fails")])
        self.assertEqual(events[1]["error"], "boom")

    def test_without_a_plugins_folder_nothing_is_loaded(self):
        run = run_task("plugged.py", "plugged", "fails", dags_folder=self.dags)
        self.assertEqual(run.result["state"], "failed", run)
        self.assertEqual(self.events_seen(), [])
        self.assertNotIn("Failed to import plugin", run.stderr)


if __name__ == "__main__":
    unittest.main()
