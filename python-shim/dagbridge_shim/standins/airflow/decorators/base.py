"""TaskFlow: `@task` and its variants build operators from functions (stand-in of airflow.decorators.base)."""
import copy
import functools
import inspect
import re

from airflow.models.baseoperator import BaseOperator, create_mapped_operator
from airflow.models.expandinput import DictOfListsExpandInput, ListOfDictsExpandInput
from airflow.models.xcom_arg import PlainXComArg, XComArg
from airflow.utils.trigger_rule import TriggerRule

#: Context keys a TaskFlow function may declare without a default; they are filled at run time.
KNOWN_CONTEXT_KEYS = frozenset(
    """conf dag dag_run data_interval_end data_interval_start ds ds_nodash execution_date expanded_ti_count
    exception inlets inlet_events logical_date macros map_index_template next_ds next_ds_nodash
    next_execution_date outlets outlet_events params prev_data_interval_start_success
    prev_data_interval_end_success prev_ds prev_ds_nodash prev_end_date_success prev_execution_date
    prev_execution_date_success prev_start_date_success run_id task task_instance task_instance_key_str
    test_mode templates_dict ti tomorrow_ds tomorrow_ds_nodash triggering_dataset_events
    triggering_asset_events ts ts_nodash ts_nodash_with_tz try_number var yesterday_ds
    yesterday_ds_nodash start_date run_after""".split()
)


def get_unique_task_id(task_id, dag=None, task_group=None):
    """`name`, or `name__N` when the DAG already has a task of that id (calling a @task twice)."""
    from airflow.models.dag import DagContext
    from airflow.utils.task_group import TaskGroupContext

    dag = dag or DagContext.get_current_dag()
    if dag is None:
        return task_id
    task_group = task_group or TaskGroupContext.get_current_task_group(dag)
    tg_task_id = task_group.child_id(task_id) if task_group is not None else task_id
    if tg_task_id not in dag.task_dict:
        return task_id
    prefix = re.split(r"__\d+$", tg_task_id)[0]
    pattern = re.compile(r"^%s__(\d+)$" % re.escape(prefix))
    suffixes = [0] + [int(m.group(1)) for m in map(pattern.match, dag.task_dict) if m]
    core = re.split(r"__\d+$", task_id)[0]
    return "%s__%d" % (core, max(suffixes) + 1)


class DecoratedOperator(BaseOperator):
    """Base of the operators TaskFlow decorators create; the decorated function is `python_callable`."""

    template_fields = ("op_args", "op_kwargs")
    template_fields_renderers = {"op_args": "py", "op_kwargs": "py"}
    custom_operator_name = "@task"
    shallow_copy_attrs = ("python_callable",)

    def __init__(self, *, python_callable, task_id, op_args=None, op_kwargs=None, kwargs_to_upstream=None, **kwargs):
        skip_check = kwargs.pop("_dagbridge_mapped", False)
        task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        self.python_callable = python_callable
        op_args = list(op_args or [])
        op_kwargs = dict(op_kwargs or {})
        if not skip_check:
            _check_arguments(type(self).__name__, task_id, python_callable, op_args, op_kwargs)
        self.op_args = op_args
        self.op_kwargs = op_kwargs
        if kwargs_to_upstream is None:
            upstream = {"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs}
        else:
            upstream = dict(kwargs_to_upstream)
        super().__init__(task_id=task_id, **upstream, **kwargs)

    def unmap(self, mapped_kwargs):
        """A copy with one map index's function arguments merged into op_kwargs (used by the runner)."""
        op = copy.copy(self)
        op.op_kwargs = dict(self.op_kwargs, **mapped_kwargs)
        op.is_mapped = False
        return op


def _check_arguments(class_name, task_id, function, op_args, op_kwargs):
    signature = inspect.signature(function)
    parameters = [
        p.replace(default=None) if p.name in KNOWN_CONTEXT_KEYS and p.default is p.empty else p
        for p in signature.parameters.values()
    ]
    try:
        signature.replace(parameters=parameters).bind(*op_args, **op_kwargs)
    except TypeError as err:
        raise TypeError(
            "Invalid arguments were passed to %s (task_id: %s). %s" % (class_name, task_id, err)
        ) from None


def _infer_multiple_outputs(function):
    try:
        return_type = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return False
    if return_type is inspect.Signature.empty:
        return False
    if isinstance(return_type, str):
        text = return_type.replace(" ", "")
        return text in ("dict", "Dict") or text.startswith(("dict[", "Dict[", "typing.Dict"))
    origin = getattr(return_type, "__origin__", None)
    return return_type is dict or origin is dict


class _TaskDecorator:
    """A decorated function: calling it adds a task to the current DAG and returns its XComArg."""

    def __init__(
        self,
        function,
        operator_class,
        multiple_outputs=None,
        kwargs=None,
        decorator_name="task",
        is_setup=False,
        is_teardown=False,
        on_failure_fail_dagrun=False,
        partial_kwargs=None,
    ):
        self.function = function
        self.operator_class = operator_class
        self.multiple_outputs = _infer_multiple_outputs(function) if multiple_outputs is None else multiple_outputs
        self.kwargs = dict(kwargs or {})
        self.kwargs.setdefault("task_id", function.__name__)
        self.decorator_name = decorator_name
        self.is_setup = is_setup
        self.is_teardown = is_teardown
        self.on_failure_fail_dagrun = on_failure_fail_dagrun
        self.partial_kwargs = dict(partial_kwargs or {})
        functools.update_wrapper(self, function)

    def __repr__(self):
        return "<%s %s>" % (self.decorator_name, self.function.__name__)

    def _operator_kwargs(self):
        if self.is_teardown and "trigger_rule" in self.kwargs:
            raise ValueError("Trigger rule not configurable for teardown tasks.")
        kwargs = dict(self.kwargs)
        if self.operator_class_accepts_multiple_outputs():
            kwargs["multiple_outputs"] = self.multiple_outputs
        return kwargs

    def operator_class_accepts_multiple_outputs(self):
        return getattr(self.operator_class, "_dagbridge_accepts_multiple_outputs", True)

    def _finish(self, op):
        if self.is_setup:
            op.is_setup = True
        if self.is_teardown:
            op.is_teardown = True
            op.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
            if self.on_failure_fail_dagrun:
                op.on_failure_fail_dagrun = True
        if op.doc_md is None and self.function.__doc__ and not any(
            op.__dict__.get(k) for k in ("doc", "doc_json", "doc_yaml", "doc_rst")
        ):
            op.doc_md = inspect.cleandoc(self.function.__doc__)
        return PlainXComArg(op)

    def __call__(self, *args, **kwargs):
        if self.partial_kwargs:
            kwargs = dict(self.partial_kwargs, **kwargs)
        op = self.operator_class(
            python_callable=self.function, op_args=args, op_kwargs=kwargs, **self._operator_kwargs()
        )
        return self._finish(op)

    def override(self, **kwargs):
        """The same decorated function with other operator arguments (task_id, retries, ...)."""
        result = copy.copy(self)
        result.kwargs = dict(self.kwargs, **kwargs)
        if "multiple_outputs" in kwargs:
            result.multiple_outputs = result.kwargs.pop("multiple_outputs")
        return result

    def partial(self, **kwargs):
        """Fixed function arguments of a mapped task: `f.partial(a=1).expand(b=[...])`."""
        result = copy.copy(self)
        result.partial_kwargs = dict(self.partial_kwargs, **kwargs)
        return result

    def expand(self, **map_kwargs):
        if not map_kwargs:
            raise TypeError("no arguments to expand against")
        duplicated = set(self.partial_kwargs) & set(map_kwargs)
        if duplicated:
            raise TypeError("%s got multiple values for argument(s) %s" % (self.function.__name__, ", ".join(sorted(duplicated))))
        for name, value in map_kwargs.items():
            if not isinstance(value, (list, tuple, dict, XComArg)):
                raise ValueError(
                    "Cannot map over %s for argument %r: expected a list, dict or XComArg" % (type(value).__name__, name)
                )
        return self._expand(DictOfListsExpandInput(map_kwargs), dict(self.partial_kwargs, **map_kwargs))

    def expand_kwargs(self, kwargs, *, strict=True):
        if not isinstance(kwargs, (list, tuple, XComArg)):
            raise TypeError("expected XComArg or list[dict], not %s" % type(kwargs).__name__)
        return self._expand(ListOfDictsExpandInput(kwargs), dict(self.partial_kwargs))

    def _expand(self, expand_input, op_kwargs):
        init_kwargs = dict(self._operator_kwargs())
        init_kwargs.update(python_callable=self.function, op_args=(), op_kwargs=op_kwargs, _dagbridge_mapped=True)
        op = create_mapped_operator(self.operator_class, dict(self.partial_kwargs), expand_input, init_kwargs=init_kwargs)
        return self._finish(op)


def task_decorator_factory(
    python_callable=None,
    *,
    multiple_outputs=None,
    decorated_operator_class,
    decorator_name="task",
    **kwargs,
):
    """`@decorator` and `@decorator(...)` for a decorated operator class."""

    def make(function):
        return _TaskDecorator(
            function,
            decorated_operator_class,
            multiple_outputs=multiple_outputs,
            kwargs=kwargs,
            decorator_name=decorator_name,
        )

    if python_callable is not None:
        if not callable(python_callable):
            raise TypeError("`python_callable` param must be callable")
        return make(python_callable)
    return make


def get_unique_task_id_for(function, dag=None, task_group=None):
    return get_unique_task_id(function.__name__, dag, task_group)


#: Airflow types these as Protocols of decorated functions; here they are the class that implements them.
TaskDecorator = _TaskDecorator
Task = _TaskDecorator
