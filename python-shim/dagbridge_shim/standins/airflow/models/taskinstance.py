"""Where the running task's context lives (stand-in of the part of airflow.models.taskinstance that DAG
code touches). dagbridge's task runner pushes the context here while a task runs."""
import contextlib

_CURRENT_CONTEXT = []


@contextlib.contextmanager
def set_current_context(context):
    """Makes `context` what `get_current_context()` returns inside the block."""
    _CURRENT_CONTEXT.append(context)
    try:
        yield context
    finally:
        if _CURRENT_CONTEXT and _CURRENT_CONTEXT[-1] is context:
            _CURRENT_CONTEXT.pop()


class TaskInstance:
    """Placeholder for type hints in DAG files; the runner passes its own task-instance object."""


TaskInstanceKey = tuple
