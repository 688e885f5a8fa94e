"""The export cache: an unchanged DAG file is not imported again; a changed one is."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DAG = textwrap.dedent(
    """
    import os
    from datetime import datetime
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator

    with open(os.path.join(os.path.dirname(__file__), "..", "imports.log"), "a") as log:
        log.write(__file__.rsplit("/", 1)[-1] + "\\n")

    with DAG("%s", start_date=datetime(2024, 1, 1), schedule=None):
        EmptyOperator(task_id="t")
    """
)


class ExportCacheTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="dagbridge-cache-")
        self.dags = os.path.join(self.root, "dags")
        os.mkdir(self.dags)
        for name in ("one", "two"):
            with open(os.path.join(self.dags, name + ".py"), "w") as handle:
                handle.write(DAG % name)
        self.cache = os.path.join(self.root, "cache.json")

    def tearDown(self):
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)

    def export(self):
        env = dict(os.environ, PYTHONPATH=SHIM_ROOT)
        out = subprocess.run(
            [sys.executable, "-m", "dagbridge_shim", "export", "--dags-folder", self.dags, "--no-airflow", "--cache", self.cache],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )
        return json.loads(out.stdout)

    def imports(self):
        with open(os.path.join(self.root, "imports.log")) as handle:
            return handle.read().split()

    def test_only_changed_files_are_imported_again(self):
        first = self.export()
        self.assertEqual(sorted(self.imports()), ["one.py", "two.py"])
        second = self.export()
        self.assertEqual(sorted(self.imports()), ["one.py", "two.py"], "unchanged files were imported again")
        self.assertEqual(first["dags"], second["dags"])
        self.assertEqual([f["hash"] for f in first["files"]], [f["hash"] for f in second["files"]])
        with open(os.path.join(self.dags, "two.py"), "w") as handle:
            handle.write(DAG % "two_renamed")
        third = self.export()
        self.assertEqual(sorted(self.imports()), ["one.py", "two.py", "two.py"])
        self.assertEqual(sorted(d["dagId"] for d in third["dags"]), ["one", "two_renamed"])

    def test_a_cache_of_another_shape_is_ignored(self):
        with open(self.cache, "w") as handle:
            handle.write('{"version": 999, "files": {}}')
        self.assertEqual(sorted(d["dagId"] for d in self.export()["dags"]), ["one", "two"])
        self.assertEqual(sorted(self.imports()), ["one.py", "two.py"])


if __name__ == "__main__":
    unittest.main()
