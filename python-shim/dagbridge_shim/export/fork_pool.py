"""Importing many DAG files: in forked children, a few files each, with a timeout per file; or one after the
other in this process where fork is unavailable (or ``--isolation none``)."""
import gc
import json
import os
import select
import signal
import sys
import time

from dagbridge_shim.export.file_import import encode_result, import_file_safely


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# What the parent keeps of a child's stdout and stderr (the DAG files' prints), and then writes to its stderr.
OUTPUT_TAIL_BYTES = 64 * 1024


def _child(batch, mode, write_fd, output_fd):
    """Runs in a forked child: for each file of the batch, announce it, import and convert it, send its
    result; one JSON document per line. Exits without cleanup (the parent's state is not ours to flush)."""
    code = 0
    try:
        # The DAG files' prints go to a pipe of this child only, never to the bundle on stdout nor to the shim's
        # own stderr: a process a DAG file leaves behind holds that pipe, which the parent closes when this child
        # is done, so nothing it inherits can keep the export (or whoever reads the shim) waiting.
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        baseline_modules = set(sys.modules)
        baseline_path = list(sys.path)
        for job in batch:
            _write_all(write_fd, b'{"start": true}\n')
            _write_all(write_fd, encode_result(import_file_safely(job, mode)))
            # The next file starts from the parent's state: what this one imported is forgotten.
            for name in [n for n in sys.modules if n not in baseline_modules]:
                del sys.modules[name]
            sys.path[:] = baseline_path
    except BaseException:  # noqa: BLE001 - the parent reports the file that has no result
        code = 70
    finally:
        os._exit(code)


class _Worker:
    """A forked child importing a batch of files, and what the parent has read from it so far."""

    def __init__(self, batch, mode):
        read_fd, write_fd = os.pipe()
        output_read, output_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(output_read)
            _child(batch, mode, write_fd, output_write)
        os.close(write_fd)
        os.close(output_write)
        os.set_blocking(output_read, False)
        self.fd = read_fd
        self.output_fd = output_read
        self.output = bytearray()
        self.output_dropped = 0
        self.output_eof = False
        self.pid = pid
        self.batch = list(batch)
        self.done = 0  # files of the batch with a result
        self.current_started = None  # monotonic time the file `batch[done]` started, once announced
        self.buffer = b""
        self.header = None  # the current file's header while its DagSpec lines arrive

    def current(self):
        return self.batch[self.done] if self.done < len(self.batch) else None

    def feed(self, data, results):
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if self.header is None and line == b'{"start": true}':
                self.current_started = time.monotonic()
                continue
            if self.header is None:
                try:
                    self.header = json.loads(line.decode("utf-8"))
                    self.header["dags"] = []
                except ValueError:
                    self.header = _died(self.batch[self.done], "it sent an unreadable result")
            else:
                self.header["dags"].append(line)
            if len(self.header["dags"]) >= len(self.header["dagIds"]):
                results[self.batch[self.done]["rel"]] = self.header
                self.header = None
                self.done += 1
                self.current_started = None

    def remaining_after_current(self):
        return self.batch[self.done + 1:]

    def finished(self):
        return self.done >= len(self.batch)

    def read_output(self):
        """Drains what the child printed so far, keeping the last OUTPUT_TAIL_BYTES."""
        while self.output_fd is not None:
            try:
                data = os.read(self.output_fd, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                self.output_eof = True
                return
            self.output += data
            if len(self.output) > OUTPUT_TAIL_BYTES:
                self.output_dropped += len(self.output) - OUTPUT_TAIL_BYTES
                del self.output[:len(self.output) - OUTPUT_TAIL_BYTES]

    def close(self, kill=False):
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.read_output()
        # Closed whether or not something the child started still holds the other end.
        os.close(self.output_fd)
        self.output_fd = None
        if self.output_dropped:
            sys.stderr.write("[%d bytes printed by DAG files of this batch left out; the last %d follow]\n" % (self.output_dropped, len(self.output)))
        if self.output:
            sys.stderr.write(self.output.decode("utf-8", "replace"))
            sys.stderr.flush()
        return status


def _batches(jobs, parallelism, isolation):
    if isolation == "file":
        return [[job] for job in jobs]
    # Small batches keep the load balanced between children; each batch pays for one fork.
    size = max(1, min(25, len(jobs) // (parallelism * 4) or 1))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def run_forked(jobs, mode, timeout, parallelism, isolation="batch"):
    """Results by rel path. At most `parallelism` children at once. A file that is not done `timeout`
    seconds after it started is killed with its child; a child that dies takes only its current file with
    it: the rest of its batch goes to a new child."""
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()  # children then leave the parent's objects (and their pages) alone
    results = {}
    pending = _batches(jobs, parallelism, isolation)
    running = {}
    while pending or running:
        while pending and len(running) < parallelism:
            worker = _Worker(pending.pop(0), mode)
            running[worker.fd] = worker
        now = time.monotonic()
        deadlines = [w.current_started + timeout - now for w in running.values() if w.current_started is not None]
        wait = min([1.0] + [max(0.0, d) for d in deadlines])
        outputs = {w.output_fd: w for w in running.values() if not w.output_eof}
        readable, _, _ = select.select(list(running) + list(outputs), [], [], wait)
        for fd in readable:
            if fd in outputs:
                outputs[fd].read_output()
                continue
            if fd not in running:
                continue
            worker = running[fd]
            data = os.read(fd, 1 << 20)
            if data:
                worker.feed(data, results)
                if worker.finished():
                    # Every result is in: the child is exiting. Its result pipe may stay open in a process a DAG
                    # file started, so the end of the batch is not waited for as end-of-file.
                    del running[fd]
                    worker.close()
                continue
            del running[fd]
            status = worker.close()
            job = worker.current()
            if job is not None:
                results[job["rel"]] = _died(job, _status_text(status))
                rest = worker.remaining_after_current()
                if rest:
                    pending.insert(0, rest)
        now = time.monotonic()
        for fd, worker in list(running.items()):
            if worker.current_started is not None and now - worker.current_started >= timeout:
                del running[fd]
                worker.close(kill=True)
                job = worker.current()
                results[job["rel"]] = {
                    "dags": [],
                    "dagIds": [],
                    "errors": [{
                        "type": "AirflowTaskTimeout",
                        "message": "DagBag import timeout for %s after %ss." % (job["rel"], _fmt_seconds(timeout)),
                        "traceback": "The import of %s did not finish within %ss (--file-timeout); it was stopped.\n"
                                     % (job["rel"], _fmt_seconds(timeout)),
                    }],
                    "parseSeconds": float(timeout),
                }
                rest = worker.remaining_after_current()
                if rest:
                    pending.insert(0, rest)
    return results


def _status_text(status):
    if os.WIFSIGNALED(status):
        return "signal %d" % os.WTERMSIG(status)
    return "exit code %d" % os.WEXITSTATUS(status)


def _died(job, how):
    return {
        "dags": [],
        "dagIds": [],
        "errors": [{
            "type": "ImportProcessDied",
            "message": "importing %s ended the process (%s) before it reported its DAGs" % (job["rel"], how),
            "traceback": "",
        }],
        "parseSeconds": 0.0,
    }


def _fmt_seconds(value):
    return ("%d" % value) if float(value).is_integer() else ("%g" % value)


def run_in_process(jobs, mode):
    results = {}
    real_stdout = os.dup(1)
    try:
        os.dup2(2, 1)
        for job in jobs:
            result = import_file_safely(job, mode)
            result["dagIds"] = [spec["dagId"] for spec in result["dags"]]
            result["dags"] = [json.dumps(spec, allow_nan=False, separators=(",", ":")).encode("utf-8") for spec in result["dags"]]
            results[job["rel"]] = result
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
        os.close(real_stdout)
    return results


def default_parallelism():
    env = os.environ.get("DAGBRIDGE_EXPORT_PARALLELISM")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
