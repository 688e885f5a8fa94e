"""The orphan guard: a task whose parent (the worker) dies kills its own process group."""
import os
import subprocess
import sys
import textwrap
import time
import unittest

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


@unittest.skipUnless(sys.platform.startswith("linux"), "reads /proc")
class OrphanGuardTest(unittest.TestCase):
    def test_a_task_and_its_child_die_when_the_parent_dies(self):
        # middle: a parent that starts the guarded task in its own group, prints the pids, then exits at once.
        middle = textwrap.dedent(
            """
            import os, subprocess, sys, time
            task = subprocess.Popen(
                [sys.executable, "-c", %r],
                env=dict(os.environ, PYTHONPATH=%r, DAGBRIDGE_PARENT_PID=str(os.getpid())),
                start_new_session=True, stdout=subprocess.PIPE, text=True,
            )
            print(task.pid, task.stdout.readline().strip(), flush=True)
            time.sleep(0.5)
            os._exit(0)
            """
        ) % (
            textwrap.dedent(
                """
                import os, subprocess, sys, time
                from dagbridge_shim import orphan_guard
                orphan_guard.start(int(os.environ["DAGBRIDGE_PARENT_PID"]))
                child = subprocess.Popen(["sleep", "30"])
                print(child.pid, flush=True)
                time.sleep(30)
                """
            ),
            SHIM_ROOT,
        )
        out = subprocess.run([sys.executable, "-c", middle], capture_output=True, text=True, timeout=20)
        task_pid, child_pid = (int(x) for x in out.stdout.split())
        deadline = time.time() + 10
        while time.time() < deadline and (alive(task_pid) or alive(child_pid)):
            time.sleep(0.1)
        self.assertFalse(alive(task_pid), "the orphaned task kept running")
        self.assertFalse(alive(child_pid), "the orphaned task's child kept running")

    def test_starts_while_the_parent_is_alive(self):
        from dagbridge_shim import orphan_guard

        self.assertTrue(orphan_guard.start(os.getppid()))


if __name__ == "__main__":
    unittest.main()
