"""The task supervisor: the process a worker starts for each task attempt, which starts the task and outlives it.

    python3 -I -S supervisor.py --control-fd FD --grace-ms MS [--user NAME] [--chown DIR]... -- COMMAND [ARG...]

Why it exists: a task can start processes that leave its process group and session (a double fork with
``setsid()``, ``nohup ... &`` in a BashOperator). Killing the task's group misses them, so they would outlive the
task, its execution_timeout and a killed worker. The supervisor closes that gap with one mechanism:

- It is a *child subreaper* (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``): every process the task starts, however
  it detaches, is re-parented to the supervisor when its parent dies, so the supervisor's descendants are
  exactly what the attempt started. When the task ends (exit, timeout, the worker's stop) the supervisor sends
  SIGTERM to every descendant, waits ``--grace-ms``, SIGKILLs what is left, and reaps them all before it exits.
- The worker holds the other end of ``--control-fd`` (a socket the supervisor inherits). It is never written
  by the worker: end of file on it means the worker process is gone (even by SIGKILL), and the supervisor then
  SIGKILLs the whole tree at once, so a task never runs on beside the try that replaces it.
- SIGTERM, SIGINT or SIGHUP to the supervisor is the worker's stop request (timeout, shutdown): the tree is
  stopped as above.

The supervisor reports on the control socket, one JSON object per line (``docs/shim.md``): ``started`` (the
task's pid), ``error`` (the task could not be started: unknown user, exec failure), ``reaped`` (how many
processes the task left and how they were ended). The task's stdin, stdout and stderr are the supervisor's own,
inherited unchanged; the supervisor writes nothing to them. It exits with the task's exit code, or by the
task's signal, so the worker reads the task's own status.

With ``--user`` the task runs as that user: the ``--chown`` directories (the attempt's) are given to the user,
then the child sets its supplementary groups (``initgroups``), gid and uid before it executes the command, with
HOME, USER and LOGNAME of that user. The supervisor itself keeps the worker's user, so the task cannot signal
it. Without ``/proc`` or the prctl (not Linux), the supervisor stops the task's process group only.

Standard library only, Python 3.9+, and nothing outside it is imported: it runs with ``-I -S``.
"""
import errno
import os
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
EXIT_NOT_STARTED = 127
EXIT_USAGE = 2
KILL_WAIT_SECONDS = 5.0
POLL_SECONDS = 0.02
try:
    MAX_FD = max(os.sysconf("SC_OPEN_MAX"), 256)
except (ValueError, OSError):
    MAX_FD = 65536
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

USAGE = ("usage: supervisor.py --control-fd FD --grace-ms MS [--user NAME] [--chown DIR]... "
         "-- COMMAND [ARG...]")


class UsageError(ValueError):
    pass


def parse_args(argv):
    """``{control_fd, grace, user, chown, command}`` from the command line; raises UsageError."""
    if "--" not in argv:
        raise UsageError("missing -- before the command")
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    if not command:
        raise UsageError("missing the command after --")
    args = {"control_fd": None, "grace": None, "user": None, "chown": [], "command": command}
    index = 0
    while index < len(options):
        name = options[index]
        if index + 1 >= len(options):
            raise UsageError("%s needs a value" % name)
        value = options[index + 1]
        index += 2
        if name == "--control-fd":
            if not value.isdigit():
                raise UsageError("--control-fd must be a file descriptor number, got %r" % value)
            args["control_fd"] = int(value)
        elif name == "--grace-ms":
            if not value.isdigit():
                raise UsageError("--grace-ms must be a whole number of milliseconds, got %r" % value)
            args["grace"] = int(value) / 1000.0
        elif name == "--user":
            args["user"] = value
        elif name == "--chown":
            args["chown"].append(value)
        else:
            raise UsageError("unknown option %r" % name)
    if args["control_fd"] is None or args["grace"] is None:
        raise UsageError("--control-fd and --grace-ms are required")
    return args


def _json(value):
    """JSON text of a report value (str, int, bool, None): the json module would cost a task ~20 ms of imports."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF:
            escaped.append("\\u%04x" % ord(char))
        else:
            escaped.append(char)
    return '"%s"' % "".join(escaped)


def report_line(event, fields):
    """One report: a JSON object with ``event`` and ``fields``, keys sorted, newline-terminated."""
    items = dict(fields, event=event)
    return "{%s}\n" % ", ".join("%s: %s" % (_json(key), _json(items[key])) for key in sorted(items))


class Control:
    """The socket to the worker: JSON lines out; end of file in means the worker is gone."""

    def __init__(self, fd):
        self.fd = fd
        self.closed = False

    def send(self, event, **fields):
        data = report_line(event, fields).encode("utf-8")
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError:
            # The worker is gone; the next read sees the end of file.
            pass

    def worker_gone(self, timeout=0.0):
        """Whether the worker closed its end (waits up to ``timeout`` for news)."""
        if self.closed:
            return True
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if ready and os.read(self.fd, 4096) == b"":
                self.closed = True
        except OSError as error:
            if error.errno != errno.EINTR:
                self.closed = True
        return self.closed


_LIBC = []


def libc():
    """The C library through ctypes (loaded once; a fork server loads it before it forks), or None."""
    if not _LIBC:
        try:
            import ctypes

            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except (OSError, ImportError):
            _LIBC.append(None)
    return _LIBC[0]


def become_subreaper():
    """Makes this process the reaper of its orphaned descendants; whether the system allowed it."""
    if not sys.platform.startswith("linux"):
        return False
    library = libc()
    if library is None:
        return False
    try:
        return library.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except AttributeError:
        return False


def _process_table():
    """``{pid: (ppid, state)}`` of every process in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
        except OSError:
            continue  # ended between listdir and open
        fields = stat[stat.rfind(")") + 2:].split(" ")
        table[int(entry)] = (int(fields[1]), fields[0])
    return table


def _descendants_by_scan(root):
    """``descendants`` from a scan of the whole process table (kernels without ``/proc/PID/task/TID/children``)."""
    table = _process_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        if table[pid][1] not in ("Z", "X"):
            found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _children_of(pid):
    """The children of every thread of ``pid`` (``/proc/PID/task/*/children``); [] when it has ended."""
    found = []
    try:
        threads = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for thread in threads:
        try:
            with open("/proc/%d/task/%s/children" % (pid, thread), "rb") as handle:
                found.extend(int(child) for child in handle.read().split())
        except OSError:
            continue  # the thread ended meanwhile
    return found


def _is_live(pid):
    """Whether ``pid`` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3] not in (b"Z", b"X")


def descendants(root):
    """Pids of the live (not zombie) processes below ``root``: read from each process's list of children, which
    costs what the tree holds, not what the machine runs; a scan of /proc where the kernel has no such list."""
    if not os.path.exists("/proc/%d/task/%d/children" % (root, root)):
        return _descendants_by_scan(root)
    found, stack, seen = [], _children_of(root), set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if _is_live(pid):
            found.append(pid)
        stack.extend(_children_of(pid))
    return found


class Tree:
    """The processes below the supervisor: the task and whatever it started."""

    def __init__(self, task_pid, subreaper):
        self.task_pid = task_pid
        self.subreaper = subreaper
        self.task_status = None

    def reap(self):
        """Collects every exited child without waiting; remembers the task's wait status."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            except InterruptedError:
                continue
            if pid == 0:
                return
            if pid == self.task_pid:
                self.task_status = status

    def live(self):
        self.reap()
        if self.subreaper:
            return descendants(os.getpid())
        # Without a subreaper only the task's own group can be found.
        try:
            os.killpg(self.task_pid, 0)
            return [-self.task_pid]
        except OSError:
            return []

    def signal_all(self, pids, signum):
        for pid in pids:
            try:
                if pid < 0:
                    os.killpg(-pid, signum)
                else:
                    os.kill(pid, signum)
            except OSError:
                pass  # already gone, or (a setuid program) not ours to signal

    def stop(self, grace, hurry):
        """SIGTERM to every descendant, up to ``grace`` s, then SIGKILL. Returns (found, ended on SIGTERM, SIGKILLed)."""
        pids = self.live()
        found = len([pid for pid in pids if pid != self.task_pid])
        if not pids:
            return found, 0, 0
        self.signal_all(pids, signal.SIGTERM)
        self.signal_all(pids, signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline and not hurry():
            time.sleep(POLL_SECONDS)
            pids = self.live()
        termed = found - len([pid for pid in pids if pid != self.task_pid])
        killed = self.kill()
        return found, termed, killed

    def kill(self):
        """SIGKILLs every descendant until none is left (new orphans arrive while their parents die)."""
        killed = set()
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        pids = self.live()
        while pids and time.monotonic() < deadline:
            self.signal_all(pids, signal.SIGKILL)
            killed.update(pid for pid in pids if pid != self.task_pid)
            time.sleep(POLL_SECONDS)
            pids = self.live()
        return len(killed)


def resolve_user(name):
    """(uid, gid, groups, home) of ``name``; raises KeyError when there is no such user."""
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid, os.getgrouplist(name, entry.pw_gid), entry.pw_dir


def restore_signals():
    """Default dispositions for the signals the supervisor handles and those Python ignores (SIGPIPE, SIGXFSZ):
    ignored signals would stay ignored in the task."""
    signal.set_wakeup_fd(-1)
    for signum in STOP_SIGNALS + (signal.SIGCHLD,):
        signal.signal(signum, signal.SIG_DFL)
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def start_task(command, user, env, child=None):
    """Forks and starts the task in its own session. Returns (pid, None) or (None, error message).

    Without ``child`` the task is ``command`` executed with ``env``. With ``child`` (the fork server) the forked
    process calls ``child()`` once it is in its session and runs as ``user``; ``child`` never returns.
    """
    failure_read, failure_write = os.pipe()  # both close on exec: EOF without data means the exec worked
    pid = os.fork()
    if pid == 0:
        try:
            restore_signals()
            os.setsid()
            if user is not None:
                uid, gid, groups = user
                os.setgroups(groups)
                os.setgid(gid)
                os.setuid(uid)
            # Nothing the worker inherited from its own parent reaches the task: only stdin, stdout and stderr
            # (and, until the exec, the pipe that reports its failure).
            os.closerange(3, failure_write)
            os.closerange(failure_write + 1, MAX_FD)
            if child is not None:
                os.close(failure_write)
                try:
                    child()
                finally:
                    os._exit(EXIT_NOT_STARTED)
            os.execvpe(command[0], command, env)
        except BaseException as error:  # noqa: B036 - anything here must reach the parent, then _exit
            code = errno.errorcode.get(getattr(error, "errno", None) or 0, type(error).__name__)
            message = "%s: %s" % (code, getattr(error, "strerror", None) or error)
            os.write(failure_write, message.encode("utf-8", "replace"))
        os._exit(EXIT_NOT_STARTED)
    os.close(failure_write)
    chunks = []
    while True:
        chunk = os.read(failure_read, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(failure_read)
    if chunks:
        os.waitpid(pid, 0)
        return None, b"".join(chunks).decode("utf-8", "replace")
    return pid, None


def exit_like(status):
    """Ends this process the way the task ended: its exit code, or its signal."""
    sys.stdout.flush()
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum != signal.SIGKILL:
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def wakeup_pipe():
    """The read end of a pipe that every signal (SIGCHLD included) writes a byte to, for :func:`wait_for`."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    return wake_read


def wait_for(fds, wake_read, timeout=None):
    """Those of ``fds`` that are readable, after waiting up to ``timeout`` s or until a signal arrived."""
    try:
        ready, _, _ = select.select(list(fds) + [wake_read], [], [], timeout)
    except InterruptedError:
        return []
    if wake_read in ready:
        try:
            os.read(wake_read, 4096)
        except BlockingIOError:
            pass
    return [fd for fd in ready if fd != wake_read]


def switch_user(control, name, chown):
    """``(uid, gid, groups)`` and the HOME/USER/LOGNAME of ``name``, with the ``chown`` directories given to it;
    None (and an ``error`` report) when that cannot be done."""
    try:
        uid, gid, groups, home = resolve_user(name)
        for directory in chown:
            os.chown(directory, uid, gid, follow_symlinks=False)
    except KeyError:
        control.send("error", kind="user", message="there is no user %r on this machine" % name)
        return None
    except OSError as error:
        control.send("error", kind="user", message="cannot give the attempt directory to user %r: %s"
                     % (name, error.strerror or error))
        return None
    return (uid, gid, groups), {"HOME": home, "USER": name, "LOGNAME": name}


def supervise(control, command, user, env, grace, user_name=None, child=None):
    """Starts the task (see :func:`start_task`), waits for it or a stop, ends the tree and reports ``reaped``.
    Returns the task's wait status, or None when it could not be started (an ``error`` was reported)."""
    subreaper = become_subreaper()
    wake_read = wakeup_pipe()
    stop_requested = []
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda signum, frame: stop_requested.append(signum))

    pid, failure = start_task(command, user, env, child)
    if pid is None:
        if user is not None and failure.startswith("EPERM"):
            control.send("error", kind="user", message="could not switch to user %r: %s (only a worker running as "
                         "root can run tasks as another user)" % (user_name, failure))
        else:
            control.send("error", kind="exec", message="could not start %s: %s" % (command[0], failure))
        return None
    control.send("started", pid=pid, subreaper=subreaper)
    tree = Tree(pid, subreaper)

    reason = "exit"
    while True:
        tree.reap()
        if tree.task_status is not None:
            break
        if stop_requested:
            reason = "stop"
            break
        ready = wait_for([control.fd], wake_read, 1.0)
        if control.fd in ready and control.worker_gone():
            reason = "orphaned"
            break

    if reason == "orphaned":
        found, termed, killed = len([p for p in tree.live() if p != pid]), 0, tree.kill()
    else:
        found, termed, killed = tree.stop(grace, control.worker_gone)
    if tree.task_status is None:
        # Killed above: its status arrives once the kernel is done with it.
        tree.task_status = os.waitpid(pid, 0)[1]
    control.send("reaped", reason=reason, left=found, terminated=termed, killed=killed)
    return tree.task_status


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(argv)
    except UsageError as error:
        sys.stderr.write("dagbridge supervisor: %s\n%s\n" % (error, USAGE))
        return EXIT_USAGE
    control = Control(args["control_fd"])
    os.set_inheritable(control.fd, False)

    env = dict(os.environ)
    user = None
    if args["user"] is not None:
        switched = switch_user(control, args["user"], args["chown"])
        if switched is None:
            return EXIT_NOT_STARTED
        user, identity = switched
        env.update(identity)
    status = supervise(control, args["command"], user, env, args["grace"], args["user"])
    if status is None:
        return EXIT_NOT_STARTED
    exit_like(status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
