"""Isolation: every broken file becomes an import error of its own, the others still export."""
import os
import signal
import unittest

from tests.test_export_support import FIXTURES, TempDags, dag_by_id, run_export, write_files

BROKEN = os.path.join(FIXTURES, "broken_dags")


class BrokenFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle, cls.proc = run_export(BROKEN, "--file-timeout", "1.5")
        cls.errors = {}
        for error in cls.bundle["importErrors"]:
            cls.errors.setdefault(error["file"], []).append(error)

    def error(self, rel):
        [error] = self.errors[rel]
        return error

    def test_good_dags_still_export(self):
        self.assertEqual(sorted(d["dagId"] for d in self.bundle["dags"]),
                         ["acyclic_neighbour", "duplicated", "only_in_b", "prints_and_works"])
        self.assertEqual([t["taskId"] for t in dag_by_id(self.bundle, "duplicated")["tasks"]], ["from_a"])

    def test_error_files(self):
        self.assertEqual(sorted(self.errors), ["cyclic.py", "duplicate_b.py", "duplicate_task.py", "exits.py",
                                               "hard_exit.py", "infinite_loop.py", "missing_package.py", "raises.py",
                                               "syntax_error.py"])

    def test_syntax_error(self):
        error = self.error("syntax_error.py")
        self.assertEqual(error["type"], "SyntaxError")
        self.assertIn("syntax_error.py", error["traceback"])

    def test_raises(self):
        error = self.error("raises.py")
        self.assertEqual((error["type"], error["message"]), ("RuntimeError", "boom at import"))
        self.assertTrue(error["traceback"].startswith("Traceback (most recent call last):\n  File \"%s\", line 4" % os.path.join(BROKEN, "raises.py")), error["traceback"])
        self.assertNotIn("dagbridge_shim", error["traceback"])

    def test_missing_package(self):
        error = self.error("missing_package.py")
        self.assertEqual((error["type"], error["message"]), ("ModuleNotFoundError", "No module named 'definitely_not_installed_pkg'"))
        entry = [f for f in self.bundle["files"] if f["path"] == "missing_package.py"][0]
        self.assertEqual(entry["imports"], ["airflow", "definitely_not_installed_pkg"])
        self.assertEqual(entry["dagIds"], [])

    def test_timeout(self):
        error = self.error("infinite_loop.py")
        self.assertEqual((error["type"], error["message"]), ("AirflowTaskTimeout", "DagBag import timeout for infinite_loop.py after 1.5s."))

    def test_cycle(self):
        error = self.error("cyclic.py")
        self.assertEqual((error["type"], error["message"]), ("AirflowDagCycleException", "Cycle detected in DAG: cyclic. Faulty task: a"))

    def test_duplicate_dag_id(self):
        error = self.error("duplicate_b.py")
        self.assertEqual((error["type"], error["message"]),
                         ("AirflowDagDuplicatedIdException", "Ignoring DAG duplicated from duplicate_b.py - also found in duplicate_a.py"))
        entry = [f for f in self.bundle["files"] if f["path"] == "duplicate_b.py"][0]
        self.assertEqual(entry["dagIds"], ["only_in_b"])

    def test_duplicate_task_id(self):
        error = self.error("duplicate_task.py")
        self.assertEqual((error["type"], error["message"]), ("DuplicateTaskIdFound", "Task id 'same' has already been added to the DAG"))

    def test_exits(self):
        self.assertEqual(self.error("exits.py")["type"], "SystemExit")
        error = self.error("hard_exit.py")
        self.assertEqual((error["type"], error["message"]),
                         ("ImportProcessDied", "importing hard_exit.py ended the process (exit code 4) before it reported its DAGs"))

    def test_prints_go_to_stderr(self):
        self.assertIn("a DAG file that prints while it is imported", self.proc.stderr)

    def test_safe_mode_skipped_the_plain_module(self):
        self.assertNotIn("not_a_dag_file.py", [f["path"] for f in self.bundle["files"]])


class StateDoesNotLeakTest(unittest.TestCase):
    def test_modules_imported_by_one_file_are_gone_for_the_next(self):
        files = {
            "a_first.py": "import sys, types\nfrom airflow import DAG\n"
                          "sys.modules['leaky_helper'] = types.ModuleType('leaky_helper')\n"
                          "sys.path.append('/leaky')\ndag = DAG('a_first', schedule=None)\n",
            "b_second.py": "import sys\nfrom airflow import DAG\n"
                           "assert 'leaky_helper' not in sys.modules and '/leaky' not in sys.path, 'leaked'\n"
                           "dag = DAG('b_second', schedule=None)\n",
        }
        for isolation in ("batch", "file"):
            with self.subTest(isolation=isolation), TempDags(files) as folder:
                bundle, _ = run_export(folder, "--parallelism", "1", "--isolation", isolation)
                self.assertEqual(bundle["importErrors"], [])
                self.assertEqual([d["dagId"] for d in bundle["dags"]], ["a_first", "b_second"])


class UsageTest(unittest.TestCase):
    def test_missing_folder_is_exit_2(self):
        _, proc = run_export("/nonexistent/dags-folder", expect_exit=2)
        self.assertEqual(proc.stdout, "")
        self.assertEqual(proc.stderr.strip().splitlines(),
                         ["dagbridge_shim export: DAGs folder /nonexistent/dags-folder does not exist or is not a directory"])

    def test_bad_timeout_is_exit_2(self):
        _, proc = run_export(BROKEN, "--file-timeout", "0", expect_exit=2)
        self.assertIn("--file-timeout", proc.stderr)


if __name__ == "__main__":
    unittest.main()


class FolderEntriesTest(unittest.TestCase):
    """A folder entry the walk cannot use is an import error of that path; the rest of the folder exports."""

    GOOD = """
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator
        with DAG("good", schedule=None):
            EmptyOperator(task_id="t")
    """

    def test_symlink_loop_is_an_import_error_of_its_path(self):
        with TempDags({"good.py": self.GOOD, "loop/inner.py": "x = 1\n"}) as folder:
            os.symlink("..", os.path.join(folder, "loop", "up"))
            bundle, _ = run_export(folder)
        self.assertEqual([d["dagId"] for d in bundle["dags"]], ["good"])
        [error] = bundle["importErrors"]
        self.assertEqual((error["file"], error["type"]), ("loop/up", "RecursiveLoopError"))
        self.assertIn("recursive loop", error["message"])

    @unittest.skipIf(hasattr(os, "geteuid") and os.geteuid() == 0, "root lists any directory")
    def test_unreadable_directory_is_an_import_error_of_its_path(self):
        with TempDags({"good.py": self.GOOD, "locked/dag.py": self.GOOD.replace('"good"', '"locked"')}) as folder:
            locked = os.path.join(folder, "locked")
            os.chmod(locked, 0)
            try:
                bundle, _ = run_export(folder)
            finally:
                os.chmod(locked, 0o755)
        self.assertEqual([d["dagId"] for d in bundle["dags"]], ["good"])
        self.assertEqual([(e["file"], e["type"]) for e in bundle["importErrors"]], [("locked", "PermissionError")])

    def test_a_child_left_holding_the_output_does_not_hold_the_export(self):
        # A DAG file whose import starts a process in a session of its own that keeps every inherited descriptor
        # and outlives the export (stopped below by its pid).
        with TempDags({"good.py": self.GOOD}) as folder:
            pid_file = os.path.join(folder, "..", "stall.pid")
            stall = """
                import os, time
                if os.fork() == 0:
                    os.setsid()
                    with open(%r, "w") as handle:
                        handle.write(str(os.getpid()))
                    time.sleep(300)
                    os._exit(0)
                print("stall imported")
                # airflow DAG
            """ % pid_file
            write_files(folder, {"zz_stall.py": stall})
            try:
                bundle, proc = run_export(folder, "--file-timeout", "30")
                with open(pid_file) as handle:
                    pid = int(handle.read())
                os.kill(pid, 0)  # still alive: the export did not wait for it
            finally:
                if os.path.exists(pid_file):
                    with open(pid_file) as handle:
                        os.kill(int(handle.read()), signal.SIGKILL)
        self.assertEqual([d["dagId"] for d in bundle["dags"]], ["good"])
        self.assertIn("stall imported", proc.stderr)

    def test_output_of_a_noisy_file_is_capped(self):
        noisy = """
            import os
            # airflow DAG
            for _ in range(40):
                os.write(1, b"N" * (1 << 20) + b"\\n")
        """
        with TempDags({"good.py": self.GOOD, "noisy.py": noisy}) as folder:
            bundle, proc = run_export(folder)
        self.assertEqual([d["dagId"] for d in bundle["dags"]], ["good"])
        self.assertLess(len(proc.stderr), 200 * 1024)
        self.assertIn("bytes printed by DAG files of this batch left out", proc.stderr)
