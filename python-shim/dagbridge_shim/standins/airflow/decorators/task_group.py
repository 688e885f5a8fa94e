"""`@task_group`: a function whose tasks form a TaskGroup; `.expand(...)` maps the whole group."""
import functools
import inspect

from airflow.models.expandinput import DictOfListsExpandInput, ListOfDictsExpandInput
from airflow.models.xcom_arg import MappedArgument, XComArg
from airflow.utils.task_group import MappedTaskGroup, TaskGroup


class _TaskGroupFactory:
    """The decorated function; calling it creates the group and runs the function inside it."""

    def __init__(self, function, tg_kwargs, partial_kwargs=None):
        self.function = function
        self.tg_kwargs = dict(tg_kwargs)
        self.tg_kwargs.setdefault("group_id", function.__name__)
        self.tg_kwargs.setdefault("add_suffix_on_collision", True)
        if self.tg_kwargs.get("tooltip") is None and function.__doc__:
            self.tg_kwargs["tooltip"] = inspect.cleandoc(function.__doc__)
        self.partial_kwargs = dict(partial_kwargs or {})
        functools.update_wrapper(self, function)

    def _create_task_group(self, group_class, call_kwargs, **extra):
        with group_class(**self.tg_kwargs, **extra) as task_group:
            retval = self.function(**call_kwargs)
        # A returned task binds `>>` to it (Airflow's behaviour); otherwise the group does.
        if retval is not None:
            return retval
        return task_group

    def __call__(self, *args, **kwargs):
        if args:
            bound = inspect.signature(self.function).bind_partial(*args)
            kwargs = dict(bound.arguments, **kwargs)
        return self._create_task_group(TaskGroup, dict(self.partial_kwargs, **kwargs))

    def override(self, **kwargs):
        return _TaskGroupFactory(self.function, dict(self.tg_kwargs, **kwargs), self.partial_kwargs)

    def partial(self, **kwargs):
        return _TaskGroupFactory(self.function, self.tg_kwargs, dict(self.partial_kwargs, **kwargs))

    def expand(self, **kwargs):
        if not kwargs:
            raise TypeError("no arguments to expand against")
        for name, value in kwargs.items():
            if not isinstance(value, (list, tuple, dict, XComArg)):
                raise ValueError("Cannot map over %s for argument %r" % (type(value).__name__, name))
        expand_input = DictOfListsExpandInput(kwargs)
        call_kwargs = dict(self.partial_kwargs)
        call_kwargs.update({k: MappedArgument(input=expand_input, key=k) for k in kwargs})
        return self._create_task_group(MappedTaskGroup, call_kwargs, expand_input=expand_input)

    def expand_kwargs(self, kwargs):
        if isinstance(kwargs, (list, tuple)):
            names = set()
            for item in kwargs:
                if not isinstance(item, dict):
                    raise TypeError("expected XComArg or list[dict], not list[%s]" % type(item).__name__)
                names.update(item)
        elif isinstance(kwargs, XComArg):
            names = {
                p.name
                for p in inspect.signature(self.function).parameters.values()
                if p.name not in self.partial_kwargs and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            }
        else:
            raise TypeError("expected XComArg or list[dict], not %s" % type(kwargs).__name__)
        expand_input = ListOfDictsExpandInput(kwargs)
        call_kwargs = dict(self.partial_kwargs)
        call_kwargs.update({k: MappedArgument(input=expand_input, key=k) for k in sorted(names)})
        return self._create_task_group(MappedTaskGroup, call_kwargs, expand_input=expand_input)


def task_group(python_callable=None, **tg_kwargs):
    """`@task_group` or `@task_group(group_id=..., prefix_group_id=..., default_args=..., tooltip=...)`."""
    if callable(python_callable) and not tg_kwargs:
        return _TaskGroupFactory(python_callable, {})

    def wrapper(function):
        return _TaskGroupFactory(function, tg_kwargs)

    if python_callable is not None and not callable(python_callable):
        tg_kwargs["group_id"] = python_callable
    return wrapper
