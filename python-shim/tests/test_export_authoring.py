"""Export of the authoring model with the stand-ins: ids, edges, rules, groups, mapping, defaults."""
import unittest

from tests.test_export_support import dag_by_id, edges, export_files, tasks_by_id

CLASSIC = '''
from datetime import datetime, timedelta
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.dummy import DummyOperator
from airflow.utils.trigger_rule import TriggerRule
from airflow.utils.weight_rule import WeightRule

def fn(a, b=2):
    return a + b

with DAG("classic", start_date=datetime(2024, 1, 1), schedule="0 6 * * 1-5", catchup=False,
         default_args={"retries": 3, "retry_delay": timedelta(minutes=2), "owner": "team", "queue": "etl"},
         tags=["t1"], max_active_runs=2, dagrun_timeout=timedelta(hours=1), doc_md="Docs") as dag:
    a = BashOperator(task_id="a", bash_command="echo {{ ds }}", env={"X": "1"}, skip_on_exit_code=None)
    b = PythonOperator(task_id="b", python_callable=fn, op_args=[1], op_kwargs={"b": 3}, retries=0,
                       trigger_rule=TriggerRule.ALL_DONE, priority_weight=5, weight_rule=WeightRule.ABSOLUTE,
                       pool="small", pool_slots=2, execution_timeout=timedelta(seconds=90),
                       max_active_tis_per_dag=4, depends_on_past=True)
    c = EmptyOperator(task_id="c", trigger_rule="one_failed")
    d = DummyOperator(task_id="d")
    a >> [b, c]
    d << c
'''


class ClassicOperatorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"classic.py": CLASSIC})
        cls.dag = dag_by_id(cls.bundle, "classic")
        cls.tasks = tasks_by_id(cls.dag)

    def test_bundle_header(self):
        self.assertEqual(self.bundle["schemaVersion"], 4)
        self.assertEqual(self.bundle["generator"]["name"], "dagbridge_shim")
        self.assertEqual(self.bundle["generator"]["mode"], "standin")
        self.assertIsNone(self.bundle["generator"]["airflowVersion"])
        self.assertEqual(self.bundle["importErrors"], [])
        [entry] = self.bundle["files"]
        self.assertEqual(entry["path"], "classic.py")
        self.assertEqual(entry["dagIds"], ["classic"])
        self.assertEqual(entry["imports"], ["airflow", "datetime"])
        self.assertEqual(len(entry["hash"]), 64)

    def test_dag_fields(self):
        dag = self.dag
        self.assertEqual(dag["schedule"], {"type": "cron", "expression": "0 6 * * 1-5", "preset": None})
        self.assertEqual(dag["startDate"], "2024-01-01T00:00:00+00:00")
        self.assertEqual(dag["timezone"], "UTC")
        self.assertFalse(dag["catchup"])
        self.assertEqual(dag["maxActiveRuns"], 2)
        self.assertEqual(dag["maxActiveTasks"], 16)
        self.assertEqual(dag["dagrunTimeoutSeconds"], 3600.0)
        self.assertEqual(dag["tags"], ["t1"])
        self.assertEqual(dag["owner"], "team")
        self.assertEqual(dag["docMd"], "Docs")
        self.assertEqual(dag["airflowStyle"], 2)
        self.assertEqual(dag["defaultArgs"], {"retries": 3, "retry_delay": {"$repr": "datetime.timedelta(seconds=120)"},
                                              "owner": "team", "queue": "etl"})
        self.assertEqual(dag["fileHash"], self.bundle["files"][0]["hash"])

    def test_edges(self):
        self.assertEqual(edges(self.dag), [("a", "b"), ("a", "c"), ("c", "d")])
        self.assertEqual(self.tasks["a"]["downstream"], ["b", "c"])

    def test_kinds_and_operators(self):
        kinds = {tid: (t["kind"], t["operator"], t["operatorModule"]) for tid, t in self.tasks.items()}
        self.assertEqual(kinds, {
            "a": ("bash", "BashOperator", "airflow.operators.bash"),
            "b": ("python", "PythonOperator", "airflow.operators.python"),
            "c": ("empty", "EmptyOperator", "airflow.operators.empty"),
            "d": ("empty", "DummyOperator", "airflow.operators.dummy"),
        })

    def test_default_args_and_overrides(self):
        a, b = self.tasks["a"], self.tasks["b"]
        self.assertEqual((a["retries"], a["retryDelaySeconds"], a["owner"], a["queue"]), (3, 120.0, "team", "etl"))
        self.assertEqual(b["retries"], 0)
        self.assertEqual(b["triggerRule"], "all_done")
        self.assertEqual((b["priorityWeight"], b["weightRule"]), (5, "absolute"))
        self.assertEqual((b["pool"], b["poolSlots"]), ("small", 2))
        self.assertEqual(b["executionTimeoutSeconds"], 90.0)
        self.assertEqual(b["maxActiveTisPerDag"], 4)
        self.assertTrue(b["dependsOnPast"])
        self.assertEqual(self.tasks["c"]["triggerRule"], "one_failed")

    def test_run_as_user_only_when_set(self):
        bundle = export_files({"users.py": (
            "from datetime import datetime\n"
            "from airflow import DAG\n"
            "from airflow.operators.bash import BashOperator\n"
            "with DAG('users', start_date=datetime(2024, 1, 1), schedule=None, default_args={'run_as_user': 'etl'}):\n"
            "    BashOperator(task_id='by_default', bash_command='id')\n"
            "    BashOperator(task_id='own', bash_command='id', run_as_user='reports')\n"
        )})
        users = tasks_by_id(dag_by_id(bundle, "users"))
        self.assertEqual((users["by_default"]["runAsUser"], users["own"]["runAsUser"]), ("etl", "reports"))
        self.assertNotIn("run_as_user", users["own"]["args"])
        # Absent, not null, without it: specs of DAGs that never set it keep their version hash.
        self.assertNotIn("runAsUser", self.tasks["a"])

    def test_task_defaults(self):
        d = self.tasks["d"]
        self.assertEqual(d["triggerRule"], "all_success")
        self.assertEqual(d["priorityWeight"], 1)
        self.assertEqual(d["weightRule"], "downstream")
        self.assertEqual(d["pool"], "default_pool")
        self.assertEqual(d["poolSlots"], 1)
        self.assertEqual(d["retryDelaySeconds"], 120.0)
        self.assertFalse(d["retryExponentialBackoff"])
        self.assertIsNone(d["executionTimeoutSeconds"])
        self.assertTrue(d["doXcomPush"])
        self.assertIsNone(d["group"])
        self.assertIsNone(d["mapping"])
        self.assertIsNone(d["sensor"])
        self.assertFalse(d["requiresProvider"])

    def test_template_fields_and_args(self):
        a, b = self.tasks["a"], self.tasks["b"]
        self.assertEqual(a["templateFields"], {"bash_command": "echo {{ ds }}", "env": {"X": "1"}, "cwd": None})
        self.assertEqual(a["args"], {"skip_on_exit_code": None})
        self.assertEqual(b["templateFields"], {"templates_dict": None, "op_args": [1], "op_kwargs": {"b": 3}})
        self.assertEqual(b["pythonCallable"], "classic.fn")
        self.assertEqual(b["args"], {})


class ScheduleAndStyleTest(unittest.TestCase):
    def schedule_of(self, arg, header="from airflow import DAG"):
        bundle = export_files({"s.py": header + "\nfrom datetime import datetime, timedelta\n"
                               "dag = DAG('s', start_date=datetime(2024, 1, 1)%s)\n" % arg})
        dag = dag_by_id(bundle, "s")
        return dag["schedule"], dag["catchup"], dag["airflowStyle"]

    def test_airflow2_defaults(self):
        self.assertEqual(self.schedule_of(""), ({"type": "timedelta", "seconds": 86400.0}, True, 2))

    def test_airflow3_defaults(self):
        self.assertEqual(self.schedule_of("", header="from airflow.sdk import DAG"), ({"type": "none"}, False, 3))

    def test_forms(self):
        cases = {
            ", schedule=None": {"type": "none"},
            ", schedule_interval=None": {"type": "none"},
            ", schedule='@daily'": {"type": "cron", "expression": "0 0 * * *", "preset": "@daily"},
            ", schedule_interval='@hourly'": {"type": "cron", "expression": "0 * * * *", "preset": "@hourly"},
            ", schedule='@annually'": {"type": "cron", "expression": "0 0 1 1 *", "preset": "@annually"},
            ", schedule='*/5 * * * *'": {"type": "cron", "expression": "*/5 * * * *", "preset": None},
            ", schedule=timedelta(hours=2)": {"type": "timedelta", "seconds": 7200.0},
            ", schedule='@once'": {"type": "once"},
            ", schedule='@continuous', max_active_runs=1": {"type": "continuous"},
        }
        for arg, expected in cases.items():
            with self.subTest(arg=arg):
                self.assertEqual(self.schedule_of(arg)[0], expected)

    def test_catchup_env_default(self):
        bundle = export_files({"s.py": "from airflow import DAG\nfrom datetime import datetime\n"
                               "dag = DAG('s', start_date=datetime(2024, 1, 1))\n"},
                              env={"AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT": "False"})
        self.assertFalse(dag_by_id(bundle, "s")["catchup"])

    def test_assets_and_timetable(self):
        bundle = export_files({"a.py": '''
            from airflow.sdk import DAG, Asset
            from airflow.datasets import Dataset
            from airflow.timetables.trigger import CronTriggerTimetable
            d1 = DAG("assets", schedule=[Asset("s3://b/k"), Dataset("file:///x")])
            d2 = DAG("either", schedule=(Asset("a://1") | Asset("a://2")))
            d3 = DAG("tt", schedule=CronTriggerTimetable("0 1 * * *", timezone="UTC"))
        '''})
        self.assertEqual(dag_by_id(bundle, "assets")["schedule"], {
            "type": "assets", "assets": ["s3://b/k", "file:///x"], "timetable": None,
            "condition": {"type": "all", "objects": [{"type": "dataset", "uri": "s3://b/k"}, {"type": "dataset", "uri": "file:///x"}]}})
        self.assertEqual(dag_by_id(bundle, "either")["schedule"], {
            "type": "assets", "assets": ["a://1", "a://2"], "timetable": None,
            "condition": {"type": "any", "objects": [{"type": "dataset", "uri": "a://1"}, {"type": "dataset", "uri": "a://2"}]}})
        self.assertEqual(dag_by_id(bundle, "tt")["schedule"], {
            "type": "timetable",
            "className": "airflow.timetables.trigger.CronTriggerTimetable",
            "summary": "0 1 * * *",
            "args": {"expression": "0 1 * * *", "timezone": "UTC", "interval": 0.0, "run_immediately": False},
        })

    def test_bad_schedule_is_an_import_error(self):
        bundle = export_files({"bad.py": "from airflow import DAG\ndag = DAG('bad', schedule='@sometimes')\n"})
        self.assertEqual(bundle["dags"], [])
        [error] = bundle["importErrors"]
        self.assertEqual((error["file"], error["type"]), ("bad.py", "ValueError"))
        self.assertIn("@sometimes", error["message"])

    def test_timezone_and_params(self):
        bundle = export_files({"p.py": '''
            from datetime import datetime
            from zoneinfo import ZoneInfo
            from airflow import DAG
            from airflow.models.param import Param
            dag = DAG("p", start_date=datetime(2024, 3, 1, tzinfo=ZoneInfo("Europe/Paris")), schedule=None,
                params={"n": Param(5, type="integer", minimum=1, description="how many"), "plain": "x",
                        "nodefault": Param(type="string")})
        '''})
        dag = dag_by_id(bundle, "p")
        self.assertEqual(dag["timezone"], "Europe/Paris")
        self.assertEqual(dag["startDate"], "2024-03-01T00:00:00+01:00")
        self.assertEqual(dag["params"], {
            "n": {"default": 5, "description": "how many", "schema": {"type": "integer", "minimum": 1}},
            "plain": {"default": "x", "description": None, "schema": {}},
            "nodefault": {"default": None, "description": None, "schema": {"type": "string"}, "hasDefault": False},
        })


TASKFLOW = '''
from datetime import datetime
from airflow.decorators import dag, task

@dag(schedule=None, start_date=datetime(2024, 1, 1), default_args={"retries": 1})
def flow(limit: int = 3):
    """Flow docs."""
    @task
    def extract():
        return [1, 2]

    @task(multiple_outputs=True, task_id="split_it", retries=4)
    def split(values):
        return {"first": values[0], "rest": values[1:]}

    @task
    def load(first, rest, ti=None):
        pass

    parts = split(extract())
    load(parts["first"], rest=parts["rest"])
    load(1, [2])

    @task.bash
    def echo(word):
        return "echo " + word

    @task.branch
    def pick():
        return "extract"

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def gate():
        return True

    @task.sensor(poke_interval=5, timeout=50, mode="reschedule", soft_fail=True)
    def ready():
        return True

    @task.external_python(python="/usr/bin/python3")
    def outside():
        return 1

    @task.virtualenv(requirements=["six"])
    def venv():
        return 2

    pick() >> echo("hi") >> gate() >> ready() >> [outside(), venv()]

flow()
'''


class TaskFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"flow.py": TASKFLOW})
        cls.dag = dag_by_id(cls.bundle, "flow")
        cls.tasks = tasks_by_id(cls.dag)

    def test_ids_and_edges(self):
        self.assertEqual(list(self.tasks), ["extract", "split_it", "load", "load__1", "pick", "echo", "gate", "ready",
                                            "outside", "venv"])
        self.assertEqual(edges(self.dag), [
            ("echo", "gate"), ("extract", "split_it"), ("gate", "ready"), ("pick", "echo"), ("ready", "outside"),
            ("ready", "venv"), ("split_it", "load"),
        ])

    def test_xcom_args(self):
        load = self.tasks["load"]
        self.assertEqual(load["templateFields"]["op_args"], [{"$xcom": {"taskId": "split_it", "key": "first"}}])
        self.assertEqual(load["templateFields"]["op_kwargs"], {"rest": {"$xcom": {"taskId": "split_it", "key": "rest"}}})
        self.assertEqual(self.tasks["split_it"]["templateFields"]["op_args"],
                         [{"$xcom": {"taskId": "extract", "key": "return_value"}}])
        self.assertTrue(self.tasks["split_it"]["multipleOutputs"])
        self.assertFalse(self.tasks["extract"]["multipleOutputs"])
        self.assertEqual(self.tasks["split_it"]["retries"], 4)
        self.assertEqual(self.tasks["extract"]["retries"], 1)
        self.assertEqual(self.tasks["extract"]["pythonCallable"], "flow.flow.<locals>.extract")

    def test_kinds(self):
        kinds = {tid: (t["kind"], t["operator"]) for tid, t in self.tasks.items()}
        self.assertEqual(kinds, {
            "extract": ("python", "_PythonDecoratedOperator"),
            "split_it": ("python", "_PythonDecoratedOperator"),
            "load": ("python", "_PythonDecoratedOperator"),
            "load__1": ("python", "_PythonDecoratedOperator"),
            "pick": ("branch", "_BranchPythonDecoratedOperator"),
            "echo": ("bash", "_BashDecoratedOperator"),
            "gate": ("short_circuit", "_ShortCircuitDecoratedOperator"),
            "ready": ("sensor", "DecoratedSensorOperator"),
            "outside": ("external_python", "_PythonExternalDecoratedOperator"),
            "venv": ("virtualenv", "_PythonVirtualenvDecoratedOperator"),
        })

    def test_variant_settings(self):
        self.assertFalse(self.tasks["gate"]["ignoreDownstreamTriggerRules"])
        self.assertIsNone(self.tasks["extract"]["ignoreDownstreamTriggerRules"])
        self.assertEqual(self.tasks["ready"]["sensor"], {
            "mode": "reschedule", "pokeIntervalSeconds": 5.0, "timeoutSeconds": 50.0, "softFail": True,
            "exponentialBackoff": False, "maxWaitSeconds": None,
        })
        self.assertEqual(self.tasks["outside"]["templateFields"]["python"], "/usr/bin/python3")
        self.assertEqual(self.tasks["venv"]["templateFields"]["requirements"], ["six"])

    def test_dag_decorator(self):
        self.assertEqual(self.dag["docMd"], "Flow docs.")
        self.assertEqual(self.dag["params"], {"limit": {"default": 3, "description": None, "schema": {}}})
        self.assertEqual(self.dag["schedule"], {"type": "none"})


class GroupsAndRelationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"groups.py": '''
            from airflow import DAG
            from airflow.decorators import task, task_group
            from airflow.operators.empty import EmptyOperator
            from airflow.utils.task_group import TaskGroup
            from airflow.utils.edgemodifier import Label
            from airflow.models.baseoperator import chain, chain_linear, cross_downstream

            with DAG("groups", schedule=None, default_args={"retries": 1}) as dag:
                start = EmptyOperator(task_id="start")
                with TaskGroup("outer", default_args={"retries": 5}, tooltip="Outer") as outer:
                    with TaskGroup("inner") as inner:
                        x = EmptyOperator(task_id="x")
                        y = EmptyOperator(task_id="y", retries=0)
                        x >> y
                    z = EmptyOperator(task_id="z")
                with TaskGroup("flat", prefix_group_id=False) as flat:
                    f1 = EmptyOperator(task_id="f1")
                    with TaskGroup("sub") as sub:
                        f2 = EmptyOperator(task_id="f2")
                start >> outer >> flat

                @task_group
                def tg(v):
                    @task
                    def a(v):
                        return v
                    @task
                    def b(v):
                        return v
                    b(a(v))
                first = tg(1)
                second = tg(2)
                first >> second

                c1, c2, c3, c4 = [EmptyOperator(task_id="c%d" % i) for i in range(1, 5)]
                chain(c1, [c2, c3], [c4, EmptyOperator(task_id="c5")])
                l1, l2, l3, l4 = [EmptyOperator(task_id="l%d" % i) for i in range(1, 5)]
                chain_linear([l1, l2], [l3, l4])
                k1, k2, k3, k4 = [EmptyOperator(task_id="k%d" % i) for i in range(1, 5)]
                cross_downstream([k1, k2], [k3, k4])
                e1, e2 = EmptyOperator(task_id="e1"), EmptyOperator(task_id="e2")
                e1 >> Label("why") >> e2
        '''})
        cls.dag = dag_by_id(cls.bundle, "groups")
        cls.tasks = tasks_by_id(cls.dag)

    def test_prefixes_and_groups(self):
        self.assertEqual([t for t in self.tasks if t.startswith(("outer", "f", "sub", "tg"))],
                         ["outer.inner.x", "outer.inner.y", "outer.z", "f1", "sub.f2", "tg.a", "tg.b", "tg__1.a", "tg__1.b"])
        self.assertEqual(self.tasks["outer.inner.x"]["group"], "outer.inner")
        self.assertEqual(self.tasks["sub.f2"]["group"], "sub")
        self.assertEqual(self.dag["taskGroups"], [
            {"groupId": "outer", "parentGroupId": None, "prefixGroupId": True, "tooltip": "Outer", "isMapped": False},
            {"groupId": "outer.inner", "parentGroupId": "outer", "prefixGroupId": True, "tooltip": None, "isMapped": False},
            {"groupId": "flat", "parentGroupId": None, "prefixGroupId": False, "tooltip": None, "isMapped": False},
            {"groupId": "sub", "parentGroupId": "flat", "prefixGroupId": True, "tooltip": None, "isMapped": False},
            {"groupId": "tg", "parentGroupId": None, "prefixGroupId": True, "tooltip": None, "isMapped": False},
            {"groupId": "tg__1", "parentGroupId": None, "prefixGroupId": True, "tooltip": None, "isMapped": False},
        ])

    def test_group_default_args(self):
        self.assertEqual(self.tasks["outer.inner.x"]["retries"], 5)
        self.assertEqual(self.tasks["outer.inner.y"]["retries"], 0)
        self.assertEqual(self.tasks["f1"]["retries"], 1)

    def test_group_edges_bind_to_roots_and_leaves(self):
        dag_edges = edges(self.dag)
        for edge in [("start", "outer.inner.x"), ("start", "outer.z"), ("outer.inner.y", "f1"), ("outer.z", "f1"),
                     ("outer.inner.y", "sub.f2"), ("outer.z", "sub.f2"), ("outer.inner.x", "outer.inner.y"),
                     ("tg.a", "tg.b"), ("tg.b", "tg__1.a"), ("tg__1.a", "tg__1.b")]:
            self.assertIn(edge, dag_edges)
        self.assertNotIn(("start", "outer.inner.y"), dag_edges)

    def test_chain_helpers_and_labels(self):
        rel = [e for e in edges(self.dag) if e[0][0] in "clke"]
        self.assertEqual(rel, [("c1", "c2"), ("c1", "c3"), ("c2", "c4"), ("c3", "c5"), ("e1", "e2"),
                               ("k1", "k3"), ("k1", "k4"), ("k2", "k3"), ("k2", "k4"),
                               ("l1", "l3"), ("l1", "l4"), ("l2", "l3"), ("l2", "l4")])


class MappingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"m.py": '''
            from airflow.decorators import dag, task, task_group
            from airflow.operators.bash import BashOperator

            @dag(schedule=None)
            def m():
                @task
                def nums():
                    return [1, 2]
                @task
                def add(x, y, z=0):
                    return x + y
                n = nums()
                add.expand(x=[1, 2], y={"a": 1})
                add.partial(y=1).expand(x=n)
                add.expand_kwargs([{"x": 1, "y": 2}])
                add.expand_kwargs(n)
                add.override(task_id="from_map").expand(x=n.map(str).map(len), y=[0])
                add.override(task_id="kwargs_from_map").expand_kwargs(n.map(lambda v: {"x": v, "y": v}))
                n2 = nums.override(task_id="nums2")()
                add.override(task_id="from_zip").expand(x=n.zip(n2), y=n.zip(n2, fillvalue=None))
                add.override(task_id="from_concat").expand(x=n.concat(n2.map(str)), y=[0])
                BashOperator.partial(task_id="b", retries=2).expand(bash_command=["echo 1", "echo 2"])
                BashOperator.partial(task_id="bk").expand_kwargs([{"bash_command": "echo 1", "env": {"A": "1"}}])

                @task_group
                def per_file(path, mode):
                    @task
                    def read(p, mode):
                        return p
                    read(path, mode)
                per_file.partial(mode="r").expand(path=n)
            m()
        '''})
        cls.tasks = tasks_by_id(dag_by_id(cls.bundle, "m"))

    def test_zip_and_concat_export_their_parts(self):
        # Airflow 2.10.5 models/xcom_arg.py ZipXComArg (fillvalue NOTSET: no padding) and ConcatXComArg.
        n = {"type": "xcom", "taskId": "nums", "key": "return_value"}
        n2 = {"type": "xcom", "taskId": "nums2", "key": "return_value"}
        self.assertEqual(self.tasks["from_zip"]["mapping"]["inputs"], {
            "x": {"type": "zip", "args": [n, n2], "fillvalue": False},
            "y": {"type": "zip", "args": [n, n2], "fillvalue": True},
        })
        self.assertEqual(self.tasks["from_concat"]["mapping"]["inputs"]["x"], {"type": "concat", "args": [n, n2]})

    def test_literal_cross_product(self):
        self.assertEqual(self.tasks["add"]["mapping"], {
            "kind": "expand",
            "inputs": {"x": {"type": "literal", "value": [1, 2]}, "y": {"type": "literal", "value": {"a": 1}}},
            "partial": {}, "groupId": None,
        })

    def test_from_xcom_with_partial(self):
        task = self.tasks["add__1"]
        self.assertEqual(task["mapping"], {
            "kind": "expand",
            "inputs": {"x": {"type": "xcom", "taskId": "nums", "key": "return_value"}},
            "partial": {"y": 1}, "groupId": None,
        })
        self.assertEqual(task["upstream"], ["nums"])

    def test_expand_kwargs(self):
        self.assertEqual(self.tasks["add__2"]["mapping"]["inputs"], {"kwargs": {"type": "literal", "value": [{"x": 1, "y": 2}]}})
        self.assertEqual(self.tasks["add__2"]["mapping"]["kind"], "expand_kwargs")
        self.assertEqual(self.tasks["add__3"]["mapping"]["inputs"], {"kwargs": {"type": "xcom", "taskId": "nums", "key": "return_value"}})
        self.assertEqual(self.tasks["add__3"]["upstream"], ["nums"])

    def test_xcom_map_has_the_length_of_the_xcom_it_maps(self):
        self.assertEqual(self.tasks["from_map"]["mapping"]["inputs"], {
            "x": {"type": "xcom", "taskId": "nums", "key": "return_value"}, "y": {"type": "literal", "value": [0]}})
        self.assertEqual(self.tasks["kwargs_from_map"]["mapping"]["inputs"],
                         {"kwargs": {"type": "xcom", "taskId": "nums", "key": "return_value"}})
        self.assertEqual(self.tasks["kwargs_from_map"]["upstream"], ["nums"])

    def test_classic_operator(self):
        b = self.tasks["b"]
        self.assertEqual(b["mapping"], {"kind": "expand", "inputs": {"bash_command": {"type": "literal", "value": ["echo 1", "echo 2"]}},
                                        "partial": {"retries": 2}, "groupId": None})
        self.assertEqual(b["retries"], 2)
        self.assertEqual(self.tasks["bk"]["mapping"]["kind"], "expand_kwargs")

    def test_mapped_group(self):
        read = self.tasks["per_file.read"]
        self.assertEqual(read["mapping"], {"kind": "expand", "inputs": {"path": {"type": "xcom", "taskId": "nums", "key": "return_value"}},
                                           "partial": {}, "groupId": "per_file"})
        self.assertEqual(read["upstream"], ["nums"])
        self.assertEqual(read["templateFields"]["op_args"], [{"$repr": "MappedArgument('path')"}, "r"])


class SetupTeardownProviderCustomTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = export_files({"misc.py": '''
            from airflow import DAG
            from airflow.decorators import task, setup, teardown
            from airflow.models.baseoperator import BaseOperator
            from airflow.operators.empty import EmptyOperator
            from airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator
            from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
            from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
            from airflow.sensors.python import PythonSensor
            from airflow.models import Variable

            class MyOperator(BaseOperator):
                template_fields = ("path",)
                def __init__(self, *, path, level=1, **kwargs):
                    super().__init__(**kwargs)
                    self.path = path
                    self.level = level
                def execute(self, context):
                    return self.path

            with DAG("misc", schedule=None, tags=[Variable.get("team", default_var="none"),
                                                   Variable.get("cfg", deserialize_json=True)["tag"]]):
                @setup
                def create():
                    return 1
                @teardown(on_failure_fail_dagrun=True)
                def delete(x):
                    pass
                c = create()
                work = EmptyOperator(task_id="work")
                c >> work >> delete(c)
                s2 = EmptyOperator(task_id="s2").as_setup()
                t2 = EmptyOperator(task_id="t2").as_teardown(setups=s2)
                s3 = S3CreateBucketOperator(task_id="bucket", bucket_name="b", aws_conn_id="aws", region_name=None)
                pod = KubernetesPodOperator(task_id="pod", image="busybox", cmds=["echo"], queue="k8s")
                key = S3KeySensor(task_id="key", bucket_key="s3://b/k", poke_interval=30)
                mine = MyOperator(task_id="mine", path="/tmp/{{ ds }}", level=2, on_failure_callback=print)
                ps = PythonSensor(task_id="ps", python_callable=lambda: True, timeout=10)
        '''}, env={"AIRFLOW_VAR_TEAM": "data", "AIRFLOW_VAR_CFG": '{"tag": "json"}'})
        cls.dag = dag_by_id(cls.bundle, "misc")
        cls.tasks = tasks_by_id(cls.dag)

    def test_setup_teardown(self):
        t = self.tasks
        self.assertEqual((t["create"]["isSetup"], t["create"]["isTeardown"]), (True, False))
        self.assertEqual((t["delete"]["isTeardown"], t["delete"]["triggerRule"], t["delete"]["onFailureFailDagrun"]),
                         (True, "all_done_setup_success", True))
        self.assertEqual(t["delete"]["upstream"], ["create", "work"])
        self.assertTrue(t["s2"]["isSetup"])
        self.assertEqual((t["t2"]["isTeardown"], t["t2"]["triggerRule"], t["t2"]["upstream"]), (True, "all_done_setup_success", ["s2"]))

    def test_provider_operators(self):
        bucket, pod, key = self.tasks["bucket"], self.tasks["pod"], self.tasks["key"]
        self.assertEqual((bucket["kind"], bucket["requiresProvider"], bucket["operator"], bucket["operatorModule"]),
                         ("provider", True, "S3CreateBucketOperator", "airflow.providers.amazon.aws.operators.s3"))
        self.assertEqual(bucket["args"], {"bucket_name": "b", "aws_conn_id": "aws", "region_name": None})
        self.assertEqual((pod["kind"], pod["queue"], pod["args"]), ("provider", "k8s", {"image": "busybox", "cmds": ["echo"]}))
        self.assertEqual((key["kind"], key["requiresProvider"]), ("provider", True))
        self.assertEqual(key["sensor"]["pokeIntervalSeconds"], 30.0)

    def test_custom_operator(self):
        mine = self.tasks["mine"]
        self.assertEqual((mine["kind"], mine["operator"], mine["operatorModule"]), ("custom", "MyOperator", "misc"))
        self.assertEqual(mine["templateFields"], {"path": "/tmp/{{ ds }}"})
        self.assertEqual(mine["args"], {"level": 2, "on_failure_callback": {"$repr": "<built-in function print>"}})

    def test_sensor_defaults_and_variables(self):
        self.assertEqual(self.tasks["ps"]["sensor"], {"mode": "poke", "pokeIntervalSeconds": 60.0, "timeoutSeconds": 10.0,
                                                      "softFail": False, "exponentialBackoff": False, "maxWaitSeconds": None})
        self.assertEqual(self.dag["tags"], ["data", "json"])


if __name__ == "__main__":
    unittest.main()
