"""Ends a task whose worker died.

A worker that is killed (SIGKILL, OOM, machine trouble) cannot stop its task subprocesses; the task would run
on unattended while the scheduler hands its task instance to another worker, so it would run twice. This guard
watches the parent process: when the task is re-parented (its worker is gone), it kills the task's whole
process group (the task and everything it started). Opt-in by the caller, who names the parent pid to watch.
"""
import os
import signal
import threading

POLL_SECONDS = 0.25


def _watch(parent_pid):
    event = threading.Event()
    while not event.wait(POLL_SECONDS):
        if os.getppid() != parent_pid:
            try:
                os.killpg(os.getpgid(0), signal.SIGKILL)
            except OSError:
                os._exit(137)


def start(parent_pid):
    """Starts the watch when `parent_pid` is still this process's parent (a daemon thread; costs no start time)."""
    if not hasattr(os, "getppid") or not hasattr(os, "killpg"):
        return False
    if os.getppid() != parent_pid:
        # Already orphaned before the guard could start: the worker is gone.
        os.killpg(os.getpgid(0), signal.SIGKILL)
    thread = threading.Thread(target=_watch, args=(parent_pid,), name="dagbridge-orphan-guard", daemon=True)
    thread.start()
    return True
