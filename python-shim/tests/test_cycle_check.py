"""scripts/check-shim-cycles.py: finds import cycles between the shim's modules and between its subpackages."""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-shim-cycles.py")


def check(files):
    """Writes ``{relative path: source}`` as package ``pkg`` in a temporary folder and runs the checker on it."""
    with tempfile.TemporaryDirectory() as root:
        for rel, source in files.items():
            path = os.path.join(root, "pkg", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(textwrap.dedent(source))
        for folder, _, names in os.walk(os.path.join(root, "pkg")):
            if "__init__.py" not in names:
                open(os.path.join(folder, "__init__.py"), "w").close()
        return subprocess.run([sys.executable, SCRIPT, "--root", root, "--package", "pkg"],
                              capture_output=True, text=True)


class CycleCheckTest(unittest.TestCase):
    def test_no_cycle_passes(self):
        done = check({"a.py": "from pkg import b\n", "b.py": "import os\n", "sub/c.py": "from pkg.a import x\n"})
        self.assertEqual((done.returncode, done.stderr), (0, ""))

    def test_module_cycle_is_reported_with_its_path(self):
        done = check({"a.py": "from pkg import b\n", "b.py": "import pkg.a\n"})
        self.assertEqual(done.returncode, 1)
        self.assertIn("module import cycle: pkg.a -> pkg.b -> pkg.a", done.stderr)

    def test_function_level_import_still_counts(self):
        done = check({
            "a.py": "from pkg.b import g\n",
            "b.py": """
                def g():
                    from pkg.a import f
                    return f
            """,
        })
        self.assertEqual(done.returncode, 1)
        self.assertIn("pkg.a -> pkg.b -> pkg.a", done.stderr)

    def test_relative_imports_are_followed(self):
        done = check({"sub/a.py": "from . import b\n", "sub/b.py": "from .a import f\n"})
        self.assertIn("module import cycle: pkg.sub.a -> pkg.sub.b -> pkg.sub.a", done.stderr)

    def test_cycle_between_a_module_and_a_subpackage(self):
        # No module imports itself back, but the layer `sub` uses `top`, which uses `sub`.
        done = check({"top.py": "from pkg.sub import low\n", "sub/low.py": "x = 1\n",
                      "sub/high.py": "from pkg import top\n"})
        self.assertEqual(done.returncode, 1)
        self.assertNotIn("module import cycle", done.stderr)
        self.assertIn("package import cycle: pkg.sub -> pkg.top -> pkg.sub", done.stderr)

    def test_standins_and_fallbacks_are_left_out(self):
        done = check({"standins/airflow/dag.py": "from pkg.standins.airflow import task\n",
                      "standins/airflow/task.py": "from pkg.standins.airflow import dag\n",
                      "fallbacks/pendulum/__init__.py": "from ._datetimes import DateTime\n",
                      "fallbacks/pendulum/_datetimes.py": "from . import _tz\nimport pkg.fallbacks.pendulum\n",
                      "fallbacks/pendulum/_tz.py": "x = 1\n"})
        self.assertEqual((done.returncode, done.stderr), (0, ""))

    def test_the_shim_has_no_cycle(self):
        done = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True)
        self.assertEqual((done.returncode, done.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
