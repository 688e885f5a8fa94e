"""The shim's own task-log lines: ``LEVEL - message`` on stderr, like Airflow's task log without the
timestamp and source location (the worker stamps each line). The task's own output is never touched."""
import sys


def log(level, message, *args):
    """Writes one line (``message % args`` when args are given) to stderr and flushes it."""
    text = message % args if args else message
    sys.stderr.write("%s - %s\n" % (level, text))
    sys.stderr.flush()


def info(message, *args):
    log("INFO", message, *args)


def warning(message, *args):
    log("WARNING", message, *args)


def error(message, *args):
    log("ERROR", message, *args)
