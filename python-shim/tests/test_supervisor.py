"""The task supervisor: nothing a task starts outlives the task, its stop or its worker, even after setsid()."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import unittest

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPERVISOR = os.path.join(SHIM_ROOT, "dagbridge_shim", "supervisor.py")

# A task that double-forks into a new session (the daemon idiom), prints the daemon's pid, then behaves as told.
DAEMON_TASK = textwrap.dedent(
    """
    import os, signal, sys, time
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.close(read)
            os.write(write, str(os.getpid()).encode())
            os.close(write)
            for fd in (0, 1, 2):
                os.close(fd)
            time.sleep(60)
            os._exit(0)
        os._exit(0)
    os.close(write)
    mode = sys.argv[1]
    if mode == "ignore-term":
        # Before the line that tells the test to stop the task, so the SIGTERM cannot come first.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("daemon", os.read(read, 32).decode(), flush=True)
    if mode == "exit":
        sys.exit(4)
    time.sleep(60)
    """
)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(") ", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_gone(pid, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline and alive(pid):
        time.sleep(0.05)
    return not alive(pid)


class Supervised:
    """The supervisor started as a worker does: its own session, a control socket, the task's pipes."""

    def __init__(self, command, grace_ms=300, extra=()):
        self.worker_end, child_end = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", SUPERVISOR, "--control-fd", str(child_end.fileno()), "--grace-ms",
             str(grace_ms)] + list(extra) + ["--"] + command,
            pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        child_end.close()
        self.reader = self.worker_end.makefile("r")

    def report(self):
        line = self.reader.readline()
        return json.loads(line) if line else None

    def daemon_pid(self):
        line = self.process.stdout.readline().decode()
        self.assert_prefix(line, "daemon ")
        return int(line.split()[1])

    @staticmethod
    def assert_prefix(line, prefix):
        if not line.startswith(prefix):
            raise AssertionError("expected %r, got %r" % (prefix, line))

    def finish(self):
        self.process.wait(timeout=30)
        reports = []
        while True:
            report = self.report()
            if report is None:
                break
            reports.append(report)
        self.process.stdout.close()
        self.process.stderr.close()
        self.reader.close()
        self.worker_end.close()
        return reports


class ReportLineTest(unittest.TestCase):
    def test_reports_are_json_lines_without_the_json_module(self):
        sys.path.insert(0, SHIM_ROOT)
        try:
            from dagbridge_shim.supervisor import report_line
        finally:
            sys.path.remove(SHIM_ROOT)
        tricky = 'quote " backslash \\ newline \n nul \x00 esc \x1b tab \t ünï 日本 \U0001f680 \udcff'
        line = report_line("error", {"kind": "exec", "message": tricky, "left": 3, "subreaper": True, "none": None})
        self.assertTrue(line.endswith("\n") and line.count("\n") == 1)
        self.assertEqual(json.loads(line), {"event": "error", "kind": "exec", "message": tricky, "left": 3,
                                            "subreaper": True, "none": None})


# A tree below this process: a child that forks a grandchild in a thread and a great-grandchild, prints every pid,
# then leaves one exited (zombie) child unreaped.
TREE = textwrap.dedent(
    """
    import os, sys, threading, time
    pids = []
    def grandchild():
        pid = os.fork()
        if pid == 0:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            time.sleep(60)
            os._exit(0)
        pids.append(pid)
    thread = threading.Thread(target=grandchild)
    thread.start()
    thread.join()
    zombie = os.fork()
    if zombie == 0:
        os._exit(0)
    time.sleep(0.2)
    print(os.getpid(), pids[0], zombie, flush=True)
    time.sleep(60)
    """
)


@unittest.skipUnless(os.path.exists("/proc/self/task"), "descendants are read from /proc")
class DescendantsTest(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, SHIM_ROOT)
        try:
            from dagbridge_shim import supervisor
        finally:
            sys.path.remove(SHIM_ROOT)
        self.supervisor = supervisor
        self.process = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)
        self.addCleanup(self.stop)
        self.child, self.grandchild, self.zombie = (int(pid) for pid in self.process.stdout.readline().split())

    def stop(self):
        for pid in self.supervisor.descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()

    def test_children_lists_and_the_full_scan_find_the_same_live_tree(self):
        found = self.supervisor.descendants(os.getpid())
        self.assertIn(self.child, found)
        self.assertIn(self.grandchild, found)
        self.assertNotIn(self.zombie, found)
        self.assertNotIn(os.getpid(), found)
        below_child = sorted(self.supervisor.descendants(self.child))
        self.assertEqual(len(below_child), 2)  # the grandchild and its child, not the zombie
        self.assertEqual(below_child, sorted(self.supervisor._descendants_by_scan(self.child)))

    def test_a_process_that_ended_has_no_descendants(self):
        self.assertEqual(self.supervisor.descendants(self.zombie), [])


@unittest.skipUnless(sys.platform.startswith("linux"), "a child subreaper and /proc are Linux features")
class SupervisorTest(unittest.TestCase):
    def test_a_daemon_the_task_left_is_ended_when_the_task_exits(self):
        run = Supervised([sys.executable, "-c", DAEMON_TASK, "exit"])
        self.assertEqual(run.report()["event"], "started")
        daemon = run.daemon_pid()
        reports = run.finish()
        self.assertEqual(run.process.returncode, 4, "the supervisor exits with the task's code")
        self.assertTrue(wait_gone(daemon, 1), "the setsid daemon outlived its task")
        self.assertEqual(reports, [{"event": "reaped", "reason": "exit", "left": 1, "terminated": 1, "killed": 0}])

    def test_a_stop_ends_the_task_and_its_daemon_with_sigkill_after_the_grace(self):
        run = Supervised([sys.executable, "-c", DAEMON_TASK, "ignore-term"], grace_ms=200)
        run.report()
        daemon = run.daemon_pid()
        run.process.send_signal(signal.SIGTERM)
        reports = run.finish()
        self.assertEqual(run.process.returncode, -signal.SIGKILL, "the task ignored SIGTERM, so SIGKILL ended it")
        self.assertFalse(alive(daemon))
        self.assertEqual(reports, [{"event": "reaped", "reason": "stop", "left": 1, "terminated": 1, "killed": 0}])

    def test_a_killed_worker_takes_the_task_and_its_daemon_with_it(self):
        # worker: holds the control socket, starts the supervisor, prints the pids, then waits to be SIGKILLed.
        worker = textwrap.dedent(
            """
            import json, socket, subprocess, sys, time
            mine, theirs = socket.socketpair()
            supervisor = subprocess.Popen(
                [sys.executable, "-I", "-S", %r, "--control-fd", str(theirs.fileno()), "--grace-ms", "5000", "--",
                 sys.executable, "-c", %r, "sleep"],
                pass_fds=(theirs.fileno(),), stdout=subprocess.PIPE, start_new_session=True)
            theirs.close()
            started = json.loads(mine.makefile().readline())
            daemon = supervisor.stdout.readline().split()[1].decode()
            print(supervisor.pid, started["pid"], daemon, flush=True)
            time.sleep(60)
            """
        ) % (SUPERVISOR, DAEMON_TASK)
        process = subprocess.Popen([sys.executable, "-c", worker], stdout=subprocess.PIPE, text=True)
        try:
            supervisor, task, daemon = (int(pid) for pid in process.stdout.readline().split())
            self.assertTrue(alive(daemon))
        finally:
            process.kill()
            process.wait()
            process.stdout.close()
        for pid, what in ((task, "task"), (daemon, "setsid daemon"), (supervisor, "supervisor")):
            self.assertTrue(wait_gone(pid), "the %s outlived its SIGKILLed worker" % what)

    def test_the_task_gets_its_own_session_the_environment_and_default_signals(self):
        probe = ("import os, signal, json; print(json.dumps([os.getsid(0) == os.getpid(), os.environ.get('PROBE'), "
                 "signal.getsignal(signal.SIGPIPE) == signal.SIG_DFL, os.get_inheritable(0)]))")
        env = dict(os.environ, PROBE="here")
        worker_end, child_end = socket.socketpair()
        out = subprocess.run(
            [sys.executable, "-I", "-S", SUPERVISOR, "--control-fd", str(child_end.fileno()), "--grace-ms", "100",
             "--", sys.executable, "-c", probe],
            pass_fds=(child_end.fileno(),), env=env, capture_output=True, text=True, timeout=30,
        )
        child_end.close()
        worker_end.close()
        self.assertEqual(json.loads(out.stdout), [True, "here", False, True])

    def test_the_task_signal_is_the_supervisor_exit_signal(self):
        run = Supervised([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
        run.finish()
        self.assertEqual(run.process.returncode, -signal.SIGKILL)

    def test_a_command_that_cannot_start_is_reported(self):
        run = Supervised(["/nonexistent/task"])
        reports = run.finish()
        self.assertEqual(run.process.returncode, 127)
        self.assertEqual(reports, [{"event": "error", "kind": "exec",
                                    "message": "could not start /nonexistent/task: ENOENT: No such file or directory"}])

    def test_an_unknown_user_is_reported(self):
        run = Supervised(["true"], extra=["--user", "no-such-user-dagbridge"])
        reports = run.finish()
        self.assertEqual(run.process.returncode, 127)
        self.assertEqual(reports, [{"event": "error", "kind": "user",
                                    "message": "there is no user 'no-such-user-dagbridge' on this machine"}])

    def test_usage_errors(self):
        for argv in ([], ["--control-fd", "3", "--grace-ms", "1", "--"], ["--control-fd", "x", "--", "true"]):
            out = subprocess.run([sys.executable, "-I", "-S", SUPERVISOR] + argv, capture_output=True, text=True)
            self.assertEqual(out.returncode, 2, argv)
            self.assertIn("dagbridge supervisor:", out.stderr)


if __name__ == "__main__":
    unittest.main()
