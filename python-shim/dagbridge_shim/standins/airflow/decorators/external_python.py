"""`@task.external_python(python=...)`."""
from airflow.decorators.base import DecoratedOperator, task_decorator_factory
from airflow.operators.python import ExternalPythonOperator


class _PythonExternalDecoratedOperator(DecoratedOperator, ExternalPythonOperator):
    template_fields = ExternalPythonOperator.template_fields
    custom_operator_name = "@task.external_python"


def external_python_task(python=None, python_callable=None, multiple_outputs=None, **kwargs):
    return task_decorator_factory(
        python=python,
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=_PythonExternalDecoratedOperator,
        **kwargs,
    )
