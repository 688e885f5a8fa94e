"""TaskFlow decorators (stand-in of airflow.decorators): `@dag`, `@task` and its variants, `@task_group`,
`@setup`, `@teardown`."""
from airflow.decorators.base import DecoratedOperator, TaskDecorator, _TaskDecorator  # noqa: F401
from airflow.decorators.bash import bash_task
from airflow.decorators.branch_external_python import branch_external_python_task
from airflow.decorators.branch_virtualenv import branch_virtualenv_task
from airflow.decorators.condition import run_if, skip_if
from airflow.decorators.branch_python import branch_task
from airflow.decorators.external_python import external_python_task
from airflow.decorators.python import python_task
from airflow.decorators.python_virtualenv import virtualenv_task
from airflow.decorators.sensor import sensor_task
from airflow.decorators.setup_teardown import setup_task, teardown_task
from airflow.decorators.short_circuit import short_circuit_task
from airflow.decorators.provider import provider_task_decorator
from airflow.decorators.task_group import task_group
from airflow.models.dag import dag


class TaskDecoratorCollection:
    """`task` itself: `@task`, `@task(...)`, `@task.bash`, `@task.branch`, ..."""

    python = staticmethod(python_task)
    bash = staticmethod(bash_task)
    branch = staticmethod(branch_task)
    short_circuit = staticmethod(short_circuit_task)
    sensor = staticmethod(sensor_task)
    external_python = staticmethod(external_python_task)
    virtualenv = staticmethod(virtualenv_task)
    branch_external_python = staticmethod(branch_external_python_task)
    branch_virtualenv = staticmethod(branch_virtualenv_task)
    run_if = staticmethod(run_if)
    skip_if = staticmethod(skip_if)

    def __call__(self, *args, **kwargs):
        return python_task(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return provider_task_decorator(name)


task = TaskDecoratorCollection()
setup = setup_task
teardown = teardown_task

__all__ = [
    "TaskDecorator",
    "TaskDecoratorCollection",
    "dag",
    "task",
    "task_group",
    "setup",
    "teardown",
    "python_task",
    "virtualenv_task",
    "external_python_task",
    "branch_task",
    "branch_virtualenv_task",
    "branch_external_python_task",
    "short_circuit_task",
    "sensor_task",
    "bash_task",
    "setup_task",
    "teardown_task",
]
