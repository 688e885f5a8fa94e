"""`@task.branch_external_python(python=...)`."""
from airflow.decorators.base import DecoratedOperator, task_decorator_factory
from airflow.operators.python import BranchExternalPythonOperator


class _BranchExternalPythonDecoratedOperator(DecoratedOperator, BranchExternalPythonOperator):
    template_fields = BranchExternalPythonOperator.template_fields
    custom_operator_name = "@task.branch_external_python"


def branch_external_python_task(python=None, python_callable=None, multiple_outputs=None, **kwargs):
    return task_decorator_factory(
        python=python,
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=_BranchExternalPythonDecoratedOperator,
        **kwargs,
    )
