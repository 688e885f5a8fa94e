"""`@task.sensor`: the function is the sensor's poke."""
from airflow.decorators.base import DecoratedOperator, task_decorator_factory
from airflow.sensors.base import BaseSensorOperator, PokeReturnValue
from airflow.utils.operator_helpers import determine_kwargs


class DecoratedSensorOperator(BaseSensorOperator):
    """A sensor whose poke calls the decorated function (True/False or a PokeReturnValue)."""

    template_fields = ("op_args", "op_kwargs")
    custom_operator_name = "@task.sensor"
    shallow_copy_attrs = ("python_callable",)

    def __init__(self, *, task_id, python_callable, op_args=None, op_kwargs=None, **kwargs):
        from airflow.decorators.base import _check_arguments, get_unique_task_id

        kwargs.pop("multiple_outputs", None)
        skip_check = kwargs.pop("_dagbridge_mapped", False)
        task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        if not skip_check:
            _check_arguments(type(self).__name__, task_id, python_callable, self.op_args, self.op_kwargs)
        super().__init__(task_id=task_id, **kwargs)

    def poke(self, context):
        context.update(self.op_kwargs)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        return_value = self.python_callable(*self.op_args, **kwargs)
        if isinstance(return_value, PokeReturnValue):
            return return_value
        return PokeReturnValue(bool(return_value))

    unmap = DecoratedOperator.unmap


DecoratedSensorOperator._dagbridge_accepts_multiple_outputs = False


def sensor_task(python_callable=None, **kwargs):
    return task_decorator_factory(python_callable=python_callable, decorated_operator_class=DecoratedSensorOperator, **kwargs)
