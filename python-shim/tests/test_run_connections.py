"""Connections at run time (fixture tests/fixtures/run_dags/run_connections.py, stand-ins): Airflow's secrets
order (AIRFLOW_CONN_<ID>, then the worker's channel), Airflow 2.10.5's URI parsing and get_uri, the `conn`
template accessor, Airflow 3's airflow.sdk names, and secrets masked in the task log."""
import json
import subprocess
import sys
import textwrap
import unittest

from tests.channel_fake import FakeChannel, connection_record
from tests.test_run_support import SHIM_ROOT, base_env, run_task

FILE = "run_connections.py"
DAG = "run_connections"
URI = "postgresql://u%40x:p%40ss@db.example.com:5433/warehouse?sslmode=require&api_token=tok123"


def run(task_id, env=None):
    return run_task(FILE, DAG, task_id, env=env or base_env(AIRFLOW_CONN_MY_DB=URI))


def standin_eval(code, env=None):
    """Runs ``code`` with the stand-ins active; returns the JSON the code prints last."""
    script = "from dagbridge_shim.loader import load_airflow_world\nload_airflow_world()\n" + textwrap.dedent(code)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                               env=env or base_env(), cwd=SHIM_ROOT)
    if completed.returncode != 0:
        raise AssertionError(completed.stderr)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def returned(outcome):
    return outcome.result["xcoms"][0]["value"]


class LookupOrderTest(unittest.TestCase):
    def test_environment_uri_parsed_as_airflow_does(self):
        value = returned(run("fetch"))
        self.assertEqual(value, {
            "conn_id": "my_db", "conn_type": "postgres", "host": "db.example.com", "schema": "warehouse",
            "login": "u@x", "port": 5433, "extra": {"sslmode": "require", "api_token": "tok123"},
            "uri": "postgres://u%40x:p%40ss@db.example.com:5433/warehouse?sslmode=require&api_token=tok123"})

    def test_environment_json(self):
        env = base_env(AIRFLOW_CONN_MY_DB=json.dumps({"conn_type": "http", "host": "api.example.com", "port": "8443",
                                                      "extra": {"verify": False}}))
        value = returned(run("fetch", env))
        self.assertEqual((value["conn_type"], value["host"], value["port"], value["extra"]),
                         ("http", "api.example.com", 8443, {"verify": False}))

    def test_the_channel_answers_when_the_environment_has_none(self):
        record = connection_record("my_db", connType="mysql", host="store.example.com", schema="s", login="l",
                                   password="pw-from-store", port=3306, extra='{"charset": "utf8"}')
        with FakeChannel({"connection.get": lambda payload: record if payload["connId"] == "my_db" else None,
                          "xcom.push": lambda payload: {}}) as fake:
            outcome = run("fetch", base_env(**fake.env()))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(fake.requests[0], ("connection.get", {"connId": "my_db"}))
        pushed = fake.requests[1][1]["value"]
        self.assertEqual(pushed["host"], "store.example.com")
        self.assertEqual(pushed["uri"], "mysql://l:pw-from-store@store.example.com:3306/s?charset=utf8")
        self.assertNotIn("pw-from-store", outcome.stderr)

    def test_the_environment_wins_over_the_channel(self):
        with FakeChannel({"connection.get": lambda payload: connection_record("my_db", host="store"),
                          "xcom.push": lambda payload: {}}) as fake:
            outcome = run("fetch", base_env(AIRFLOW_CONN_MY_DB=URI, **fake.env()))
        self.assertEqual([kind for kind, _ in fake.requests], ["xcom.push"])
        self.assertEqual(fake.requests[0][1]["value"]["host"], "db.example.com")

    def test_missing_everywhere_is_airflows_not_found(self):
        with FakeChannel({"connection.get": lambda payload: None}) as fake:
            outcome = run("missing", base_env(**fake.env()))
        self.assertEqual(outcome.result["error"]["type"], "AirflowNotFoundException")
        self.assertEqual(outcome.result["error"]["message"], "The conn_id `nowhere` isn't defined")
        self.assertEqual(fake.requests, [("connection.get", {"connId": "nowhere"})])

    def test_without_a_channel_only_the_environment_is_read(self):
        outcome = run("missing")
        self.assertEqual(outcome.result["error"]["message"], "The conn_id `nowhere` isn't defined")

    def test_a_refused_lookup_is_logged_and_ends_as_not_found(self):
        with FakeChannel({}) as fake:
            outcome = run("missing", base_env(**fake.env()))
        self.assertEqual(outcome.result["error"]["message"], "The conn_id `nowhere` isn't defined")
        self.assertIn("Unable to retrieve connection from secrets backend (MetastoreBackend)", outcome.stderr)
        self.assertIn("channel request connection.get refused (unknown_kind)", outcome.stderr)


class TemplateTest(unittest.TestCase):
    def test_conn_attribute_and_get_with_default(self):
        outcome = run("templated")
        self.assertEqual(returned(outcome), ["db.example.com:5433", "none"])


class MaskingTest(unittest.TestCase):
    def test_password_and_sensitive_extra_are_masked_in_the_log_and_error(self):
        outcome = run("leak")
        log = outcome.stdout + outcome.stderr
        self.assertNotIn("p@ss", log)
        self.assertNotIn("tok123", log)
        self.assertIn("password is ***\n", outcome.stdout)
        self.assertIn("token is ***\n", outcome.stdout)
        self.assertIn("region is \n", outcome.stdout)
        self.assertIn("WARNING - logged ***", outcome.stderr)
        self.assertIn("ValueError: could not log in with ***", outcome.stderr)
        self.assertEqual(outcome.result["error"]["message"], "could not log in with ***")
        self.assertNotIn("p@ss", outcome.result["error"]["traceback"])

    def test_bash_output_and_rendered_fields_are_masked(self):
        outcome = run("bash_leak")
        self.assertEqual(outcome.stdout, "secret=***\n")
        self.assertEqual(outcome.result["renderedFields"]["bash_command"], "echo secret=***")
        self.assertNotIn("p@ss", outcome.stderr)

    def test_variables_under_sensitive_keys_are_masked_as_airflow_does(self):
        outcome = run("var_leak", base_env(AIRFLOW_VAR_SERVICE_API_KEY="k-123", AIRFLOW_VAR_REGION="eu-1",
                                           AIRFLOW_VAR_SETTINGS='{"token": "t-456", "user": "bob"}'))
        self.assertEqual(outcome.result["state"], "success", outcome)
        self.assertEqual(outcome.stdout, "key ***\nregion eu-1\nsettings *** bob\n")

    def test_nothing_is_masked_before_a_connection_is_fetched(self):
        env = base_env(AIRFLOW_CONN_MY_DB=URI)
        value = standin_eval('''
            import io, sys, json
            from dagbridge_shim.runtime import secrets_masker
            target = io.StringIO()
            stream = secrets_masker.RedactingStream(target)
            stream.write("p@ss before, partial ")
            from airflow.hooks.base import BaseHook
            BaseHook.get_connection("my_db")
            stream.write("p@")
            stream.write("ss after\\n")
            stream.write("tail p@ss")
            stream.flush()
            print(json.dumps(target.getvalue()))
        ''', env)
        self.assertEqual(value, "p@ss before, partial *** after\ntail ***")

    def test_rendered_fields_under_sensitive_names_are_masked_with_no_secret_registered(self):
        # RenderedTaskInstanceFields._redact masks by field and key name whether or not a secret was registered.
        value = standin_eval('''
            import json
            from dagbridge_shim.run import redact_result
            result = {"error": None, "renderedFields": {"env": {"API_PASSWORD": "pw-1", "LABEL": "daily"},
                                                        "bash_command": "echo pw-1", "secret_value": "s"}}
            print(json.dumps(redact_result(result)["renderedFields"]))
        ''')
        self.assertEqual(value, {"env": {"API_PASSWORD": "***", "LABEL": "daily"}, "bash_command": "echo pw-1",
                                 "secret_value": "***"})

    def test_masker_follows_airflows_sensitive_names(self):
        value = standin_eval('''
            import json
            from airflow.utils.log.secrets_masker import mask_secret, redact, should_hide_value_for_key
            mask_secret({"db_password": "aaa", "host": "bbb", "nested": {"auth_token": "ccc"}, "keys": ["ddd"]})
            mask_secret("eee", name="region")
            mask_secret(["fff"], name="private_key_list")
            print(json.dumps([redact("aaa bbb ccc ddd eee fff"), should_hide_value_for_key(" API_KEY "),
                              redact({"Password": "x", "other": "aaa"})]))
        ''', base_env(AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES="keys"))
        self.assertEqual(value, ["*** bbb *** *** eee ***", True, {"Password": "***", "other": "***"}])


class ConnectionModelTest(unittest.TestCase):
    """Airflow 2.10.5's airflow/models/connection.py: `_parse_from_uri`, `get_uri`, `to_dict`, `from_json`."""

    def test_uri_forms(self):
        value = standin_eval('''
            import json
            from airflow.models.connection import Connection
            def fields(uri):
                c = Connection(conn_id="x", uri=uri)
                return [c.conn_type, c.host, c.schema, c.login, c.password, c.port, c.extra]
            print(json.dumps({
                "protocol_host": fields("http://https://api.example.com/v1"),
                "dash_type": fields("google-cloud-platform://?project=p"),
                "extra_key": fields("aws://?__extra__=%7B%22region%22%3A+%22eu%22%7D"),
                "path_host": fields("spark://spark%2Fmaster:7077"),
                "empty_schema": fields("sqlite://"),
                "case": fields("mysql://USER:Pw@MyHost/DB"),
            }))
        ''')
        self.assertEqual(value, {
            "protocol_host": ["http", "https://api.example.com", "v1", None, None, None, None],
            "dash_type": ["google_cloud_platform", "", "", None, None, None, '{"project": "p"}'],
            "extra_key": ["aws", "", "", None, None, None, '{"region": "eu"}'],
            "path_host": ["spark", "spark/master", "", None, None, 7077, None],
            "empty_schema": ["sqlite", "", "", None, None, None, None],
            "case": ["mysql", "myhost", "DB", "USER", "Pw", None, None],
        })

    def test_get_uri_round_trips_and_the_rest_of_the_model(self):
        value = standin_eval('''
            import json
            from airflow.exceptions import AirflowException
            from airflow.models.connection import Connection
            c = Connection(conn_id="c", conn_type="google_cloud_platform", host="https://h", login="a b",
                           password="p/w", port=1, schema="s", extra={"nested": {"a": 1}})
            back = Connection(conn_id="c", uri=c.get_uri())
            try:
                Connection(conn_id="c", uri="a://b", host="h")
                mixed = None
            except AirflowException as error:
                mixed = str(error)
            j = Connection.from_json('{"conn_type": "postgresql", "port": "5", "extra": {"k": "v"}}', conn_id="j")
            print(json.dumps({"uri": c.get_uri(), "back": back.to_dict(), "mixed": mixed[:40],
                              "json": [j.conn_type, j.port, j.extra, j.as_json()],
                              "bad_id": Connection(conn_id="no spaces").conn_id,
                              "test": list(c.test_connection())[0], "password": c.get_password(),
                              "repr": repr(c)}))
        ''')
        self.assertEqual(value["uri"], "google-cloud-platform://https://a+b:p%2Fw@h:1/s?__extra__=%7B%22nested%22"
                                       "%3A+%7B%22a%22%3A+1%7D%7D".replace("a+b", "a%20b"))
        self.assertEqual(value["back"], {"conn_id": "c", "conn_type": "google_cloud_platform", "description": None,
                                         "host": "https://h", "login": "a b", "password": "p/w", "schema": "s",
                                         "port": 1, "extra": {"nested": {"a": 1}}})
        self.assertEqual(value["mixed"], "You must create an object using the URI ")
        self.assertEqual(value["json"], ["postgres", 5, '{"k": "v"}',
                                         '{"conn_type": "postgres", "port": 5, "extra": {"k": "v"}}'])
        self.assertIsNone(value["bad_id"])
        self.assertEqual((value["test"], value["password"], value["repr"]), (False, "p/w", "c"))


class Airflow3Test(unittest.TestCase):
    def test_sdk_connection_get_and_base_hook(self):
        value = standin_eval('''
            import json
            from airflow.sdk import BaseHook, Connection
            from airflow.sdk.bases.hook import BaseHook as HookFromBases
            from airflow.exceptions import AirflowNotFoundException
            try:
                Connection.get("absent")
                missing = None
            except AirflowNotFoundException as error:
                missing = str(error)
            print(json.dumps([Connection.get("my_db").host, BaseHook.get_connection("my_db").port,
                              HookFromBases is BaseHook, missing]))
        ''', base_env(AIRFLOW_CONN_MY_DB=URI))
        self.assertEqual(value, ["db.example.com", 5433, True, "The conn_id `absent` isn't defined"])


if __name__ == "__main__":
    unittest.main()
