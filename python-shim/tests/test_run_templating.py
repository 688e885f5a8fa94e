"""Rendering template fields (dagbridge_shim.templating) on plain objects, with and without Jinja2.

Under an interpreter without Jinja2 (``/usr/bin/python3`` here) the tests that need it assert the clear
"Jinja2 missing" error instead of the rendered value.
"""
import os
import tempfile
import unittest

from dagbridge_shim.runtime.context import build_context
from dagbridge_shim.templating import Jinja2NotInstalled, TemplateNotFound, render_template_fields, rendered_fields
from tests.test_run_context import run_input

try:
    import jinja2  # noqa: F401

    HAVE_JINJA = True
except ImportError:
    HAVE_JINJA = False


class Dag:
    dag_id = "d"
    params = {"name": "world"}
    owner = "airflow"

    def __init__(self, fileloc="/nonexistent/dag.py", **attributes):
        self.fileloc = fileloc
        self.template_searchpath = None
        self.user_defined_macros = None
        self.user_defined_filters = None
        self.render_template_as_native_obj = False
        self.template_undefined = None
        self.__dict__.update(attributes)


class Op:
    template_fields = ("command", "items", "mapping", "empty")
    template_ext = (".sh", ".sql")

    def __init__(self, dag, **values):
        self.task_id = "op"
        self.dag = dag
        self.params = {}
        self.command = None
        self.items = None
        self.mapping = None
        self.empty = ""
        self.__dict__.update(values)


class Nested:
    template_fields = ("inner",)

    def __init__(self, inner):
        self.inner = inner


def render(op, **input_overrides):
    context = build_context(op, op.dag, run_input(**input_overrides))
    render_template_fields(op, context)
    return op


class PlainValuesTest(unittest.TestCase):
    """Values without Jinja markers: no Jinja2 needed, same result as Jinja would give."""

    def test_plain_strings_pass_with_jinja_newline_handling(self):
        op = render(Op(Dag(), command="echo hi\n", items=["a\r\nb", 3], mapping={"k": ("x", None)}))
        self.assertEqual(op.command, "echo hi")
        self.assertEqual(op.items, ["a\nb", 3])
        self.assertEqual(op.mapping, {"k": ("x", None)})
        self.assertEqual(op.empty, "")

    def test_native_mode_evaluates_literals(self):
        op = render(Op(Dag(render_template_as_native_obj=True), command="[1, 2]", items=["42", "text"]))
        self.assertEqual(op.command, [1, 2])
        self.assertEqual(op.items, [42, "text"])

    def test_template_file_without_markers_is_read(self):
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "query.sql"), "w") as handle:
                handle.write("select 1\n")
            op = render(Op(Dag(fileloc=os.path.join(folder, "dag.py")), command="query.sql"))
            self.assertEqual(op.command, "select 1")

    def test_missing_template_file(self):
        with tempfile.TemporaryDirectory() as folder:
            op = Op(Dag(fileloc=os.path.join(folder, "dag.py")), command="missing.sh")
            with self.assertRaises(Exception) as caught:
                render(op)
            self.assertIn(type(caught.exception).__name__, ("TemplateNotFound",))
            self.assertTrue(isinstance(caught.exception, TemplateNotFound) or HAVE_JINJA)

    def test_rendered_fields_are_stored_as_airflow_stores_them(self):
        # airflow/serialization/helpers.py serialize_template_field: a value json.dumps refuses becomes its str,
        # a JSON value stays as it is (tuples as lists).
        op = render(Op(Dag(), command="x", items=[{1, 2}], mapping={"when": run_input().logical_date}))
        op.empty = ("a", 1)
        self.assertEqual(rendered_fields(op), {"command": "x", "items": "[{1, 2}]", "empty": ["a", 1],
                                               "mapping": str(op.mapping)})

    def test_a_long_rendered_field_is_truncated_as_airflow_does(self):
        op = render(Op(Dag(), command="y" * 5000, items=[], mapping={}))
        command = rendered_fields(op)["command"]
        # [core] max_templated_field_length 4096: the notice, then the repr of the first 4096 - 79 characters.
        self.assertEqual(command, "Truncated. You can change this behaviour in [core]max_templated_field_length. "
                         + repr("y" * 4017) + "... ")
        os.environ["AIRFLOW__CORE__MAX_TEMPLATED_FIELD_LENGTH"] = "6000"
        try:
            self.assertEqual(rendered_fields(op)["command"], "y" * 5000)
        finally:
            del os.environ["AIRFLOW__CORE__MAX_TEMPLATED_FIELD_LENGTH"]


@unittest.skipIf(HAVE_JINJA, "Jinja2 is installed in this interpreter")
class WithoutJinjaTest(unittest.TestCase):
    def test_clear_error_naming_task_and_field(self):
        with self.assertRaises(Jinja2NotInstalled) as caught:
            render(Op(Dag(), command="echo {{ ds }}"))
        message = str(caught.exception)
        self.assertIn("Task 'op'", message)
        self.assertIn("template field 'command'", message)
        self.assertIn("install Jinja2", message)


@unittest.skipUnless(HAVE_JINJA, "Jinja2 is not installed in this interpreter")
class WithJinjaTest(unittest.TestCase):
    def test_context_keys_macros_params_and_filters(self):
        op = render(Op(Dag(), command="{{ ds }} {{ ts_nodash }} {{ macros.ds_add(ds, 1) }} {{ params.name }} "
                                      "{{ logical_date }} {{ logical_date | ds_nodash }} {{ ti.try_number }}"),
                    conf={"name": "conf"})
        self.assertEqual(op.command, "2024-03-05 20240305T000000 2024-03-06 conf 2024-03-05T00:00:00+00:00 20240305 1")

    def test_nested_values_and_objects(self):
        nested = Nested("{{ run_id }}")
        op = render(Op(Dag(), items=["{{ ds_nodash }}", ("{{ 1 + 1 }}",), {"{{ not_a_key }}"} and ["x"]],
                       mapping={"k": ["{{ params.name }}", nested]}))
        self.assertEqual(op.items, ["20240305", ("2",), ["x"]])
        self.assertEqual(op.mapping["k"][0], "world")
        self.assertEqual(nested.inner, "scheduled__2024-03-05T00:00:00+00:00")

    def test_undefined_names_fail_like_airflow(self):
        import jinja2

        with self.assertRaises(jinja2.UndefinedError):
            render(Op(Dag(), command="{{ nope }}"))
        op = render(Op(Dag(template_undefined=jinja2.Undefined), command="[{{ nope }}]"))
        self.assertEqual(op.command, "[]")

    def test_user_defined_macros_and_filters(self):
        dag = Dag(user_defined_macros={"shout": lambda s: s.upper(), "ds": "shadowed"},
                  user_defined_filters={"twice": lambda s: s * 2})
        op = render(Op(dag, command="{{ shout('a') }}{{ 'b' | twice }} {{ ds }}"))
        self.assertEqual(op.command, "Abb 2024-03-05")

    def test_native_rendering(self):
        op = render(Op(Dag(render_template_as_native_obj=True), command="{{ [1, 2] + [3] }}",
                       items=["{{ params }}"]))
        self.assertEqual(op.command, [1, 2, 3])
        self.assertEqual(op.items, [{"name": "world"}])

    def test_template_file_with_markers_and_searchpath(self):
        with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as extra:
            with open(os.path.join(extra, "run.sh"), "w") as handle:
                handle.write("echo {{ ds }}\n")
            dag = Dag(fileloc=os.path.join(folder, "dag.py"), template_searchpath=[extra])
            op = render(Op(dag, command="run.sh"))
            self.assertEqual(op.command, "echo 2024-03-05")

    def test_variables_in_templates(self):
        op = render(Op(Dag(), command="{{ var.value.region }} {{ var.json.cfg.n }}"),
                    variables={"region": "eu", "cfg": '{"n": 3}'})
        self.assertEqual(op.command, "eu 3")


if __name__ == "__main__":
    unittest.main()
