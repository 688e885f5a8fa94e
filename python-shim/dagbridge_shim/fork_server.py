"""``python -m dagbridge_shim fork-server``: a warm parent that task attempts are forked from.

    python -m dagbridge_shim fork-server [--no-airflow] [--cache-files N]

The worker starts one per interpreter and mode (src/worker/fork-server.ts) with an environment already reduced
to the task allow-list (no per-task variables), so nothing the server holds in memory or in its initial
environment block is a worker secret. It imports the shim, the stand-ins (or real Airflow) and the task runner
once, and keeps the DAGs of each DAG file it parsed, by content hash (least recently used out past
``--cache-files``, default 64).

Protocol (JSON, one object per line): requests on stdin, answers on stdout. The server moves its real stdout
aside first, so a DAG file that prints while it is parsed writes to the server's stderr, never into the protocol.

- the server starts with ``{"event": "ready", "pid", "mode", "python"}``;
- a request ``{"id", "socket", "token", "dagsFolder", "file", "fileHash", "dagId", "taskId", "mapIndex",
  "result", "noAirflow", "env", "cwd", "graceMs", "user", "chown", "variables"}`` is answered by
  ``{"id", "forked": PID}`` or ``{"id", "refused": REASON}`` (the file's content is not ``fileHash``; the worker
  then starts a fresh interpreter);
- ``{"event": "exit", "pid", "code", "signal"}`` when a forked attempt ends (the server is its parent and reaps it).

End of file on stdin (the worker is gone) ends the server; attempts already forked go on without it.

Each attempt is a fork, and that fork is the attempt's task supervisor (``supervisor.py``): it starts a session
of its own, connects three times to the worker's unix socket ``socket`` (each connection opens with
``TOKEN TAG\\n``: ``io`` becomes its stdin and stdout, ``err`` its stderr, ``ctl`` the control socket of
supervisor.py), closes every other inherited descriptor, becomes a child subreaper, and forks the task. The task
starts a session of its own, switches to ``user`` when given, replaces its whole environment by ``env``, enters
``cwd`` and runs ``dagbridge_shim.run`` on the parsed DAGs: the same result file, log lines and exit codes as
``python -m dagbridge_shim run``. The supervisor reports ``started``, ``reaped`` and finally ``exit`` (its exit
code or signal) on the control socket, since the worker is not its parent.
"""
import gc
import hashlib
import json
import os
import signal
import socket
import sys
import time
from collections import OrderedDict

from dagbridge_shim import supervisor
from dagbridge_shim.loader import MODE_STANDIN, choose_mode, load_airflow_world, load_dag_file, module_name_for

USAGE = "usage: python -m dagbridge_shim fork-server [--no-airflow] [--cache-files N]"
DEFAULT_CACHE_FILES = 64
#: The descriptors a forked supervisor keeps: stdin, stdout, stderr and the control socket.
CONTROL_FD = 3
MAX_FD = supervisor.MAX_FD
_IMPORT_FAILED = object()


class ParsedFiles:
    """The DAGs of parsed DAG files by (folder, path, content hash, variables); least recently used out."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.entries = OrderedDict()

    def get(self, key):
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key, value, module_name):
        self.entries[key] = (value, module_name)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            (_, (_, evicted_module)) = self.entries.popitem(last=False)
            # The module of a newer version of the same file (same name) is in use: keep that one.
            if not any(name == evicted_module for (_, name) in self.entries.values()):
                sys.modules.pop(evicted_module, None)


def _variables_key(variables):
    """A digest of the run's Variables: a DAG file may read them at its top level."""
    text = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _set_variables(variables):
    """The stand-in ``Variable`` holds exactly the run's variables (as in a fresh interpreter)."""
    airflow_module = sys.modules.get("airflow")
    if airflow_module is None or not getattr(airflow_module, "DAGBRIDGE_STANDIN", False):
        return
    from airflow.models.variable import Variable

    Variable._dagbridge_values.clear()
    Variable._dagbridge_values.update(variables or {})


# A DAG file changed this recently is not remembered by its stat stamp (see Server.file_hash).
_RACY_NS = 2_000_000_000


class Server:
    def __init__(self, no_airflow, cache_files, requests_fd, answers_fd):
        self.no_airflow = no_airflow
        self.mode = choose_mode(no_airflow=no_airflow)
        self.parsed = ParsedFiles(cache_files)
        self.requests_fd = requests_fd
        self.answers_fd = answers_fd
        self.children = set()
        # path -> (stat stamp, sha256): a file unchanged since its last hash (same inode, size, mtime and ctime)
        # is not read again for every fork. File times have the kernel clock tick's resolution, so a file
        # changed in the last _RACY_NS is hashed but not remembered (a write in the same tick keeps its times).
        self.file_hashes = {}

    def file_hash(self, path):
        """The sha256 hex of the file's bytes; raises OSError when it cannot be read."""
        info = os.stat(path)
        stamp = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        known = self.file_hashes.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        with open(path, "rb") as handle:
            content_hash = hashlib.sha256(handle.read()).hexdigest()
        if len(self.file_hashes) >= 4 * self.parsed.capacity:
            self.file_hashes.clear()
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) >= _RACY_NS:
            self.file_hashes[path] = (stamp, content_hash)
        else:
            self.file_hashes.pop(path, None)
        return content_hash

    def warm(self):
        """Imports what every task needs, so that a fork starts with it."""
        if self.mode == MODE_STANDIN:
            # The world the export imports DAG files in, nothing more: a fork sees the same submodule attributes.
            load_airflow_world()
        else:
            import airflow.models.dagbag  # noqa: F401 - imported for the forks
        import dagbridge_shim.execution.python  # noqa: F401 - what a Python task imports when it runs
        import dagbridge_shim.execution.runner  # noqa: F401
        import dagbridge_shim.run  # noqa: F401

        supervisor.libc()  # ctypes, loaded once here rather than by every forked supervisor

    def send(self, message):
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        while data:
            data = data[os.write(self.answers_fd, data):]

    def dags_of(self, request, content_hash):
        """The parsed DAGs of the request's file, or None when the task should import the file itself (it
        failed to import here, so the task reports the failure as a fresh interpreter would)."""
        key = (request["dagsFolder"], request["file"], content_hash, _variables_key(request.get("variables")),
               bool(request.get("noAirflow")))
        cached = self.parsed.get(key)
        if cached is None:
            _set_variables(request.get("variables"))
            try:
                dags = load_dag_file(request["dagsFolder"], request["file"], not request.get("noAirflow"))
            except BaseException as error:  # noqa: B036 - a DAG file may raise anything, even SystemExit
                if isinstance(error, KeyboardInterrupt):
                    raise
                dags = _IMPORT_FAILED
            path = os.path.join(os.path.abspath(request["dagsFolder"]), request["file"])
            self.parsed.put(key, dags, module_name_for(path))
            cached = self.parsed.get(key)
        dags = cached[0]
        return None if dags is _IMPORT_FAILED else dags

    def serve(self, request):
        if bool(request.get("noAirflow")) != self.no_airflow:
            return {"refused": "the fork server runs in the other Airflow mode"}
        path = os.path.join(request["dagsFolder"], request["file"])
        try:
            content_hash = self.file_hash(path)
        except OSError as error:
            return {"refused": "cannot read the DAG file %s: %s" % (path, error.strerror or error)}
        if request.get("fileHash") and request["fileHash"] != content_hash:
            return {"refused": "the DAG file %s is not the version the run was scheduled from" % request["file"]}
        dags = self.dags_of(request, content_hash)
        sys.stdout.flush()
        sys.stderr.flush()
        # Frozen objects are left out of the collector's passes, so the fork's collections do not write to
        # (and copy) the pages of everything the server imported and parsed.
        gc.freeze()
        try:
            pid = os.fork()
            if pid == 0:
                _attempt(request, dags)  # never returns
        finally:
            gc.unfreeze()
        self.children.add(pid)
        return {"forked": pid}

    def reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code, name = None, None
            if os.WIFSIGNALED(status):
                name = signal.Signals(os.WTERMSIG(status)).name
            else:
                code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
            self.send({"event": "exit", "pid": pid, "code": code, "signal": name})

    def run(self):
        wake_read = supervisor.wakeup_pipe()
        self.send({"event": "ready", "pid": os.getpid(), "mode": self.mode, "python": sys.executable})
        pending = b""
        while True:
            ready = supervisor.wait_for([self.requests_fd], wake_read)
            self.reap()
            if self.requests_fd not in ready:
                continue
            chunk = os.read(self.requests_fd, 1 << 16)
            if not chunk:
                return 0
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                self.handle(line)
            self.reap()

    def handle(self, line):
        request = {}
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise TypeError("a request is a JSON object")
            answer = self.serve(request)
        except (ValueError, KeyError, TypeError) as error:
            answer = {"refused": "malformed request: %s" % error}
        self.send(dict(answer, id=request.get("id") if isinstance(request, dict) else None))


def _connect(path, token, tag):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    conn.sendall(("%s %s\n" % (token, tag)).encode("ascii"))
    return conn.detach()


def _attempt(request, dags):
    """The forked attempt supervisor. Never returns."""
    try:
        supervisor.restore_signals()
        os.setsid()
        io_fd = _connect(request["socket"], request["token"], "io")
        err_fd = _connect(request["socket"], request["token"], "err")
        ctl_fd = _connect(request["socket"], request["token"], "ctl")
        os.dup2(io_fd, 0)
        os.dup2(io_fd, 1)
        os.dup2(err_fd, 2)
        os.dup2(ctl_fd, CONTROL_FD)
        os.closerange(CONTROL_FD + 1, MAX_FD)
        for fd in (0, 1, 2):
            os.set_inheritable(fd, True)
        os.set_inheritable(CONTROL_FD, False)
    except BaseException:  # noqa: B036 - the worker sees no connection and the server reports the exit
        os._exit(supervisor.EXIT_NOT_STARTED)
    try:
        control = supervisor.Control(CONTROL_FD)
        env = dict(request["env"])
        user = None
        if request.get("user"):
            switched = supervisor.switch_user(control, request["user"], request.get("chown") or [])
            if switched is None:
                os._exit(_report_exit(control, supervisor.EXIT_NOT_STARTED, None))
            user, identity = switched
            env.update(identity)
        command = ["dagbridge_shim.run", request["file"]]
        status = supervisor.supervise(control, command, user, env, int(request["graceMs"]) / 1000.0,
                                      request.get("user"), child=lambda: _task(request, dags, env))
        if status is None:
            os._exit(_report_exit(control, supervisor.EXIT_NOT_STARTED, None))
        if os.WIFSIGNALED(status):
            _report_exit(control, None, os.WTERMSIG(status))
        else:
            _report_exit(control, os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1, None)
        supervisor.exit_like(status)
    finally:
        os._exit(1)


def _report_exit(control, code, signum):
    name = None if signum is None else signal.Signals(signum).name
    control.send("exit", code=code, signal=name)
    return code if code is not None else 1


def _task(request, dags, env):
    """The task process (in its own session, as its user): the environment, directory and run of a fresh
    ``python -m dagbridge_shim run``. Never returns."""
    code = 1
    try:
        # Only stdin, stdout and stderr: not the control socket nor the supervisor's own pipes.
        os.closerange(CONTROL_FD, MAX_FD)
        os.environ.clear()
        os.environ.update(env)
        import tempfile

        tempfile.tempdir = None  # TMPDIR is the attempt's now
        os.chdir(request["cwd"])
        _set_variables(None)
        settings = sys.modules.get("airflow.settings")
        engine = getattr(settings, "engine", None)
        if engine is not None:
            # As Airflow's StandardTaskRunner: no database handle is shared with the parent.
            engine.dispose()
        from dagbridge_shim import run

        args = {"dags_folder": request["dagsFolder"], "file": request["file"], "dag_id": request["dagId"],
                "task_id": request["taskId"], "map_index": int(request["mapIndex"]), "result": request["result"],
                "no_airflow": bool(request.get("noAirflow"))}
        load = None if dags is None else (lambda folder, rel_path, use_airflow: dags)
        code = run.execute(args, sys.stdin, load)
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else 1
    except BaseException:  # noqa: B036 - reported on stderr like an uncaught exception, then the exit code
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    no_airflow, cache_files = False, DEFAULT_CACHE_FILES
    index = 0
    while index < len(argv):
        if argv[index] == "--no-airflow":
            no_airflow = True
            index += 1
        elif argv[index] == "--cache-files" and index + 1 < len(argv) and argv[index + 1].isdigit():
            cache_files = max(1, int(argv[index + 1]))
            index += 2
        else:
            print("dagbridge_shim fork-server: unknown argument %r\n%s" % (argv[index], USAGE), file=sys.stderr)
            return 2
    # The protocol keeps the original stdin and stdout; what DAG files print goes to stderr, and they read
    # nothing from the worker.
    requests_fd, answers_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    server = Server(no_airflow, cache_files, requests_fd, answers_fd)
    server.warm()
    return server.run()
