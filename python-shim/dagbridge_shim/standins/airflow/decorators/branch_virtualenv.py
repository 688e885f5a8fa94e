"""`@task.branch_virtualenv(requirements=...)`."""
from airflow.decorators.base import DecoratedOperator, task_decorator_factory
from airflow.operators.python import BranchPythonVirtualenvOperator


class _BranchPythonVirtualenvDecoratedOperator(DecoratedOperator, BranchPythonVirtualenvOperator):
    template_fields = BranchPythonVirtualenvOperator.template_fields
    custom_operator_name = "@task.branch_virtualenv"


def branch_virtualenv_task(python_callable=None, multiple_outputs=None, **kwargs):
    return task_decorator_factory(
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=_BranchPythonVirtualenvDecoratedOperator,
        **kwargs,
    )
