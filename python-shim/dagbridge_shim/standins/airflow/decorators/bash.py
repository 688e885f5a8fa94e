"""`@task.bash`: the function returns the command to run."""
from airflow.decorators.base import DecoratedOperator, task_decorator_factory
from airflow.operators.bash import BashOperator
from airflow.utils.operator_helpers import determine_kwargs


class _BashDecoratedOperator(DecoratedOperator, BashOperator):
    """Calls the function for the command, then runs it like BashOperator."""

    template_fields = ("op_args", "op_kwargs", "bash_command", "env", "cwd")
    custom_operator_name = "@task.bash"

    def __init__(self, *, python_callable, op_args=None, op_kwargs=None, **kwargs):
        kwargs.pop("multiple_outputs", None)
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            kwargs_to_upstream={"bash_command": None},
            **kwargs,
        )

    def execute(self, context):
        # Airflow's own logic: the callable's return value is the command (then rendered and run).
        context.update(self.op_kwargs)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        self.bash_command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(self.bash_command, str) or self.bash_command.strip() == "":
            raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
        self.render_template_fields(context)
        return BashOperator.execute(self, context)


def bash_task(python_callable=None, **kwargs):
    return task_decorator_factory(python_callable=python_callable, decorated_operator_class=_BashDecoratedOperator, **kwargs)
