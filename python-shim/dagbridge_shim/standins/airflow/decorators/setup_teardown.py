"""`@setup` and `@teardown`."""
from airflow.decorators.base import _TaskDecorator
from airflow.models.xcom_arg import XComArg
from airflow.utils.setup_teardown import SetupTeardownContext, enter_setup_teardown


def _mark(decorated, **flags):
    if isinstance(decorated, _TaskDecorator):
        for name, value in flags.items():
            setattr(decorated, name, value)
        return decorated
    if callable(decorated):
        from airflow.decorators import task

        return _mark(task(decorated), **flags)
    raise TypeError("setup/teardown decorators apply to functions or @task functions")


def setup_task(func):
    """Marks a TaskFlow task as a setup task."""
    return _mark(func, is_setup=True)


def teardown_task(_func=None, *, on_failure_fail_dagrun=False):
    """Marks a TaskFlow task as a teardown task (trigger rule all_done_setup_success)."""

    def teardown(func):
        return _mark(func, is_teardown=True, on_failure_fail_dagrun=on_failure_fail_dagrun)

    if _func is None:
        return teardown
    return teardown(_func)


class ContextWrapper(list):
    """`with context_wrapper([setup_a, setup_b]):` a list of setup (or teardown) tasks as one block."""

    def __init__(self, tasks):
        self.tasks = tasks
        super().__init__(tasks)

    def __enter__(self):
        operators = [getattr(task, "operator", task) for task in self.tasks]
        return enter_setup_teardown(operators)

    def __exit__(self, exc_type, exc_val, exc_tb):
        SetupTeardownContext.set_work_task_roots_and_leaves()


context_wrapper = ContextWrapper

__all__ = ["setup_task", "teardown_task", "context_wrapper", "ContextWrapper", "XComArg"]
