"""`@task.run_if(condition)` and `@task.skip_if(condition)` (stand-in of airflow.decorators.condition).

Each adds a `pre_execute` hook to a TaskFlow task: `condition(context)` returns a bool, or `(bool, message)`;
when the task should not run it raises AirflowSkipException with the message (Airflow 2.10
airflow/decorators/condition.py).
"""
from airflow.decorators.base import _TaskDecorator
from airflow.exceptions import AirflowSkipException

_DEFAULT_MESSAGE = "Task was skipped due to condition."


def _skip_hook(condition, skip_message, run_when):
    def hook(context):
        result = condition(context)
        if isinstance(result, tuple):
            result, message = result
        else:
            message = None
        if bool(result) != run_when:
            raise AirflowSkipException(message or skip_message)

    return hook


def _chained(first, second):
    if first is None:
        return second

    def hook(context):
        first(context)
        second(context)

    return hook


def _condition_decorator(name, condition, skip_message, run_when):
    hook = _skip_hook(condition, skip_message or _DEFAULT_MESSAGE, run_when)

    def decorator(task):
        if not isinstance(task, _TaskDecorator):
            raise TypeError("%s can only be used with task. decorate with @task before @%s." % (name, name))
        task.kwargs["pre_execute"] = _chained(task.kwargs.get("pre_execute"), hook)
        return task

    return decorator


def run_if(condition, skip_message=None):
    """Runs the task only when `condition(context)` is true."""
    return _condition_decorator("run_if", condition, skip_message, run_when=True)


def skip_if(condition, skip_message=None):
    """Skips the task when `condition(context)` is true."""
    return _condition_decorator("skip_if", condition, skip_message, run_when=False)


__all__ = ["run_if", "skip_if"]
