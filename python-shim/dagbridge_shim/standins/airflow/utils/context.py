"""The task context type and helpers (stand-in of airflow/utils/context.py). The context itself is built by
dagbridge's task runner."""
from airflow.models.taskinstance import _CURRENT_CONTEXT  # noqa: F401 - re-exported for callers
from airflow.operators.python import get_current_context  # noqa: F401

Context = dict


def context_merge(context, *args, **kwargs):
    """Merges keys into a context in place (Airflow's helper)."""
    context.update(*args, **kwargs)


def context_copy_partial(source, keys):
    return {k: v for k, v in source.items() if k in keys}
