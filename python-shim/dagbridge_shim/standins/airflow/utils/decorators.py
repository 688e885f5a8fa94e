"""Airflow 2's `airflow.utils.decorators` helpers that DAG files occasionally import."""
import functools


def apply_defaults(func):
    """No-op since Airflow 2: defaults are applied by the operator metaclass."""
    return func


def remove_task_decorator(python_source, task_decorator_name):
    lines = python_source.splitlines(True)
    return "".join(line for line in lines if not line.lstrip().startswith(task_decorator_name))


def fixup_decorator_warning_stack(func):
    return functools.wraps(func)(func)
