"""BaseOperator (stand-in of airflow.models.baseoperator): the authoring model of a task.

Faithful to Airflow where DAG files and the exported bundle can tell the difference: keyword-only
construction, `default_args` applied per constructor (DAG < task group < the task's own), task ids prefixed by
their TaskGroup, XComArgs in templated fields creating upstream edges, `>>`/`<<` with lists, groups and labels,
`partial()/expand()` mapping. Execution is not here: `execute` of each stand-in operator delegates to
dagbridge_shim.execution, and `render_template_fields` to dagbridge_shim.templating.
"""
import copy
import functools
import inspect
import logging
from datetime import timedelta

from airflow._dagbridge import NOTSET, flatten
from airflow.configuration import conf
from airflow.exceptions import AirflowException, DuplicateTaskIdFound, TaskDeferred
from airflow.models.expandinput import DictOfListsExpandInput, ListOfDictsExpandInput
from airflow.models.taskmixin import DAGNode, DependencyMixin
from airflow.models.xcom_arg import PlainXComArg, XComArg
from airflow.utils.setup_teardown import SetupTeardownContext, enter_setup_teardown
from airflow.utils.trigger_rule import TriggerRule
from airflow.task.priority_strategy import validate_and_load_priority_weight_strategy
from airflow.utils.weight_rule import WeightRule

from dagbridge_shim.airflow_facts import KEY_MAX_LENGTH, TRIGGER_RULE_ALIASES, key_problem

_RENAMED_TRIGGER_RULES = {alias: TriggerRule(rule) for alias, rule in TRIGGER_RULE_ALIASES.items()}


def _default_retries():
    return conf.getint("core", "default_task_retries", fallback=0)


def _dag_context():
    from airflow.models.dag import DagContext

    return DagContext


def _task_group_context():
    from airflow.utils.task_group import TaskGroupContext

    return TaskGroupContext


def get_merged_defaults(dag, task_group, task_params, task_default_args):
    """default_args and params a task sees: DAG's, then its task group's, then its own (Airflow's order)."""
    if dag is not None:
        args = dict(dag.default_args or {})
        params = _param_objects(dag.params)
    else:
        args, params = {}, {}
    if task_group is not None and task_group.default_args:
        if not isinstance(task_group.default_args, dict):
            raise TypeError("default_args must be a dict")
        args.update(task_group.default_args)
    if task_params:
        if not isinstance(task_params, dict):
            raise TypeError("params must be a dict, got %s" % type(task_params).__name__)
        params.update(_param_objects(task_params))
    if task_default_args:
        if not isinstance(task_default_args, dict):
            raise TypeError("default_args must be a dict, got %s" % type(task_default_args).__name__)
        args.update(task_default_args)
        params.update(_param_objects(task_default_args.get("params")))
    return args, params


def _param_objects(params):
    """A plain dict of a params mapping, keeping Param objects (a ParamsDict would resolve them)."""
    if not params:
        return {}
    to_dict = getattr(params, "to_dict", None)
    return dict(to_dict()) if to_dict is not None and not isinstance(params, dict) else dict(params)


class BaseOperatorMeta(type):
    """Wraps each `__init__` so that default_args fill the parameters it declares, like Airflow's
    `apply_defaults`, and records the keyword arguments in `_BaseOperator__init_kwargs`."""

    def __new__(mcs, name, bases, namespace, **kwargs):
        new_cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        init = namespace.get("__init__")
        if init is not None and not getattr(init, "_dagbridge_applies_defaults", False):
            new_cls.__init__ = mcs._apply_defaults(init)
        return new_cls

    @staticmethod
    def _apply_defaults(func):
        signature = inspect.signature(func)
        param_names = [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        takes_var_kwargs = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())

        @functools.wraps(func)
        def apply_defaults(self, *args, **kwargs):
            if args:
                raise AirflowException("Use keyword arguments when initializing operators")
            from_mapped = kwargs.pop("_airflow_from_mapped", False)
            dag = kwargs.get("dag") or _dag_context().get_current_dag()
            task_group = kwargs.get("task_group")
            if task_group is None and dag is not None:
                task_group = _task_group_context().get_current_task_group(dag)
            default_args, merged_params = get_merged_defaults(
                dag, task_group, kwargs.pop("params", None), kwargs.pop("default_args", None)
            )
            for arg in param_names:
                if arg not in kwargs and arg in default_args:
                    kwargs[arg] = default_args[arg]
            if merged_params:
                kwargs["params"] = merged_params
            if "default_args" in param_names or takes_var_kwargs:
                kwargs["default_args"] = default_args
            if not hasattr(self, "_BaseOperator__init_kwargs"):
                self._BaseOperator__init_kwargs = {}
                self._BaseOperator__from_mapped = from_mapped
            result = func(self, **kwargs)
            self._BaseOperator__init_kwargs.update(kwargs)
            # Only the outermost __init__ (the operator's own class) finishes construction.
            if func is type(self).__init__.__wrapped__ and not self._BaseOperator__from_mapped:
                self.set_xcomargs_dependencies()
                self._BaseOperator__instantiated = True
            return result

        apply_defaults._dagbridge_applies_defaults = True
        return apply_defaults


def _coerce_timedelta(value, name):
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    raise AirflowException("%s must be a timedelta or a number of seconds, got %r" % (name, value))


class BaseOperator(DAGNode, metaclass=BaseOperatorMeta):
    """A task of a DAG. Subclasses implement `execute(context)`."""

    template_fields = ()
    template_ext = ()
    template_fields_renderers = {}
    ui_color = "#fff"
    ui_fgcolor = "#000"
    shallow_copy_attrs = ()
    custom_operator_name = None
    partial_kwargs = None
    expand_input = None
    is_mapped = False
    _dagbridge_kind = None

    def __init__(
        self,
        task_id,
        owner=NOTSET,
        email=None,
        email_on_retry=True,
        email_on_failure=True,
        retries=NOTSET,
        retry_delay=NOTSET,
        retry_exponential_backoff=False,
        max_retry_delay=None,
        start_date=None,
        end_date=None,
        depends_on_past=False,
        ignore_first_depends_on_past=False,
        wait_for_past_depends_before_skipping=False,
        wait_for_downstream=False,
        dag=None,
        params=None,
        default_args=None,
        priority_weight=1,
        weight_rule=NOTSET,
        queue=NOTSET,
        pool=None,
        pool_slots=1,
        sla=None,
        execution_timeout=NOTSET,
        on_execute_callback=None,
        on_failure_callback=None,
        on_success_callback=None,
        on_retry_callback=None,
        on_skipped_callback=None,
        pre_execute=None,
        post_execute=None,
        trigger_rule=TriggerRule.ALL_SUCCESS,
        resources=None,
        run_as_user=None,
        task_concurrency=None,
        map_index_template=None,
        max_active_tis_per_dag=None,
        max_active_tis_per_dagrun=None,
        executor=None,
        executor_config=None,
        do_xcom_push=True,
        multiple_outputs=False,
        inlets=None,
        outlets=None,
        task_group=None,
        doc=None,
        doc_md=None,
        doc_json=None,
        doc_yaml=None,
        doc_rst=None,
        task_display_name=None,
        logger_name=None,
        allow_nested_operators=True,
        deferrable=False,
        is_setup=False,
        is_teardown=False,
        on_failure_fail_dagrun=False,
        **kwargs,
    ):
        kwargs.pop("_airflow_mapped_validation_only", None)
        if kwargs:
            raise AirflowException(
                "Invalid arguments were passed to %s (task_id: %s). Invalid arguments were:\n**kwargs: %s"
                % (type(self).__name__, task_id, kwargs)
            )
        _validate_key(task_id)
        dag = dag or _dag_context().get_current_dag()
        if task_group is None and dag is not None:
            task_group = _task_group_context().get_current_task_group(dag)
        self._task_group = task_group
        self.task_id = task_group.child_id(task_id) if task_group is not None else task_id
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        self._dag = None

        self.owner = conf.get("operators", "default_owner") if owner is NOTSET else owner
        self.email = email
        self.email_on_retry = email_on_retry
        self.email_on_failure = email_on_failure
        self.retries = _default_retries() if retries is NOTSET or retries is None else int(retries)
        if retry_delay is NOTSET:
            retry_delay = timedelta(seconds=conf.getint("core", "default_task_retry_delay", fallback=300))
        self.retry_delay = _coerce_timedelta(retry_delay, "retry_delay")
        self.retry_exponential_backoff = retry_exponential_backoff
        self.max_retry_delay = _coerce_timedelta(max_retry_delay, "max_retry_delay")
        self.start_date = start_date
        self.end_date = end_date
        self.depends_on_past = depends_on_past
        self.ignore_first_depends_on_past = ignore_first_depends_on_past
        self.wait_for_past_depends_before_skipping = wait_for_past_depends_before_skipping
        self.wait_for_downstream = wait_for_downstream
        if wait_for_downstream:
            self.depends_on_past = True
        from airflow.models.param import ParamsDict

        self.params = ParamsDict(_param_objects(params))
        self.default_args = default_args
        self.priority_weight = priority_weight
        if weight_rule is NOTSET:
            weight_rule = conf.get("core", "default_task_weight_rule", fallback=WeightRule.DOWNSTREAM)
        if priority_weight is not None and not isinstance(priority_weight, int):
            raise AirflowException(
                "`priority_weight` for task '%s' only accepts integers, received '%s'." % (task_id, type(priority_weight)))
        # Airflow 2.9+: a strategy instance (a built-in, or a plugin's registered class), never the name.
        self.weight_rule = validate_and_load_priority_weight_strategy(weight_rule)
        self.queue = conf.get("operators", "default_queue") if queue is NOTSET or not queue else queue
        self.pool = "default_pool" if pool is None else pool
        if pool_slots < 1:
            raise ValueError("pool slots for %s%s cannot be less than 1" % (task_id, " in dag " + dag.dag_id if dag else ""))
        self.pool_slots = pool_slots
        self.sla = sla
        if execution_timeout is NOTSET:
            default_timeout = conf.get("core", "default_task_execution_timeout", fallback="")
            execution_timeout = timedelta(seconds=int(default_timeout)) if default_timeout else None
        self.execution_timeout = _coerce_timedelta(execution_timeout, "execution_timeout")
        self.on_execute_callback = on_execute_callback
        self.on_failure_callback = on_failure_callback
        self.on_success_callback = on_success_callback
        self.on_retry_callback = on_retry_callback
        self.on_skipped_callback = on_skipped_callback
        self._pre_execute_hook = pre_execute
        self._post_execute_hook = post_execute
        trigger_rule = _RENAMED_TRIGGER_RULES.get(str(trigger_rule), trigger_rule)
        if not TriggerRule.is_valid(trigger_rule):
            raise AirflowException(
                "The trigger_rule must be one of %s,'%s'; received '%s'."
                % (sorted(r.value for r in TriggerRule.all_triggers()), self.task_id, trigger_rule)
            )
        self.trigger_rule = TriggerRule(trigger_rule)
        self.resources = resources
        self.run_as_user = run_as_user
        self.map_index_template = map_index_template
        self.max_active_tis_per_dag = max_active_tis_per_dag if max_active_tis_per_dag is not None else task_concurrency
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        self.executor = executor
        self.executor_config = executor_config or {}
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.inlets = list(inlets) if isinstance(inlets, (list, tuple)) else ([inlets] if inlets else [])
        self.outlets = list(outlets) if isinstance(outlets, (list, tuple)) else ([outlets] if outlets else [])
        self.doc = doc
        self.doc_md = doc_md
        self.doc_json = doc_json
        self.doc_yaml = doc_yaml
        self.doc_rst = doc_rst
        self.task_display_name = task_display_name
        self.logger_name = logger_name
        self.allow_nested_operators = allow_nested_operators
        self.deferrable = deferrable
        self._is_setup = bool(is_setup)
        self._is_teardown = bool(is_teardown)
        self._on_failure_fail_dagrun = bool(on_failure_fail_dagrun)
        if is_teardown:
            self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS

        if task_group is not None and not getattr(self, "_BaseOperator__from_mapped", False):
            task_group.add(self)
        if dag is not None:
            self.dag = dag
        if SetupTeardownContext.active:
            SetupTeardownContext.update_context_map(self)

    # -- identity -----------------------------------------------------------------------------------------

    def __repr__(self):
        return "<Task(%s): %s>" % (self.task_type, self.task_id)

    @property
    def task_type(self):
        return type(self).__name__

    @property
    def operator_name(self):
        return self.custom_operator_name or type(self).__name__

    @property
    def node_id(self):
        return self.task_id

    @property
    def label(self):
        group = self._task_group
        if group is not None and group.prefix_group_id and group.group_id:
            prefix = group.group_id + "."
            if self.task_id.startswith(prefix):
                return self.task_id[len(prefix):]
        return self.task_id

    @property
    def task_group(self):
        return self._task_group

    @task_group.setter
    def task_group(self, value):
        self._task_group = value

    @property
    def log(self):
        return logging.getLogger("airflow.task.operators.%s.%s" % (type(self).__module__, type(self).__name__))

    @property
    def output(self):
        """The task's return value as an XComArg."""
        return PlainXComArg(self)

    @property
    def inherits_from_empty_operator(self):
        return any(c.__name__ == "EmptyOperator" for c in type(self).__mro__)

    # -- DAG membership -----------------------------------------------------------------------------------

    @property
    def dag(self):
        if self._dag is None:
            raise AirflowException("Operator %s has not been assigned to a DAG yet" % self)
        return self._dag

    @dag.setter
    def dag(self, dag):
        if dag is None or dag is self._dag:
            return
        if self._dag is not None:
            raise AirflowException("The DAG assigned to %s can not be changed." % self)
        from airflow.models.dag import DAG

        if not isinstance(dag, DAG):
            raise TypeError("Expected DAG; received %s" % dag.__class__.__name__)
        self._dag = dag
        dag.add_task(self)

    def has_dag(self):
        return self._dag is not None

    @property
    def dag_id(self):
        return self._dag.dag_id if self._dag is not None else "adhoc_" + self.owner

    # -- relations ----------------------------------------------------------------------------------------

    @property
    def upstream_list(self):
        return [self.dag.get_task(tid) for tid in sorted(self.upstream_task_ids)]

    @property
    def downstream_list(self):
        return [self.dag.get_task(tid) for tid in sorted(self.downstream_task_ids)]

    @property
    def roots(self):
        return [self]

    @property
    def leaves(self):
        return [self]

    def get_direct_relative_ids(self, upstream=False):
        return self.upstream_task_ids if upstream else self.downstream_task_ids

    def get_direct_relatives(self, upstream=False):
        return self.upstream_list if upstream else self.downstream_list

    def get_flat_relative_ids(self, upstream=False):
        found, stack = set(), list(self.get_direct_relative_ids(upstream))
        while stack:
            task_id = stack.pop()
            if task_id not in found:
                found.add(task_id)
                stack.extend(self.dag.get_task(task_id).get_direct_relative_ids(upstream))
        return found

    def get_flat_relatives(self, upstream=False):
        return [self.dag.get_task(tid) for tid in sorted(self.get_flat_relative_ids(upstream))]

    def set_upstream(self, task_or_task_list, edge_modifier=None):
        _set_relatives(self, task_or_task_list, upstream=True, edge_modifier=edge_modifier)

    def set_downstream(self, task_or_task_list, edge_modifier=None):
        _set_relatives(self, task_or_task_list, upstream=False, edge_modifier=edge_modifier)

    def set_xcomargs_dependencies(self):
        """Makes the producer of every XComArg in a templated field an upstream of this task."""
        for field in self.template_fields:
            value = getattr(self, field, None)
            if value is not None:
                XComArg.apply_upstream_relationship(self, value)

    # -- setup / teardown ---------------------------------------------------------------------------------

    @property
    def is_setup(self):
        return self._is_setup

    @is_setup.setter
    def is_setup(self, value):
        self._is_setup = bool(value)

    @property
    def is_teardown(self):
        return self._is_teardown

    @is_teardown.setter
    def is_teardown(self, value):
        self._is_teardown = bool(value)

    @property
    def on_failure_fail_dagrun(self):
        return self._on_failure_fail_dagrun

    @on_failure_fail_dagrun.setter
    def on_failure_fail_dagrun(self, value):
        if value and not self._is_teardown:
            raise ValueError("Cannot set task on_failure_fail_dagrun for '%s' because it is not a teardown task." % self.task_id)
        self._on_failure_fail_dagrun = bool(value)

    def __enter__(self):
        return enter_setup_teardown(self)

    def __exit__(self, exc_type, exc_val, exc_tb):
        SetupTeardownContext.set_work_task_roots_and_leaves()

    def as_setup(self):
        self.is_setup = True
        return self

    def as_teardown(self, *, setups=None, on_failure_fail_dagrun=None):
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for setup in flatten(setups if isinstance(setups, (list, tuple)) else [setups]):
                setup.as_setup()
                setup.set_downstream(self)
        return self

    # -- mapping ------------------------------------------------------------------------------------------

    @classmethod
    def partial(cls, **kwargs):
        """Starts a mapped task: `Op.partial(task_id=..., fixed=1).expand(mapped=[...])`."""
        if "task_id" not in kwargs:
            raise TypeError("partial() missing required keyword argument: 'task_id'")
        return OperatorPartial(cls, kwargs)

    def unmap(self, mapped_kwargs):
        """A copy of this mapped task with the arguments of one map index set (used by the task runner)."""
        op = copy.copy(self)
        for name, value in mapped_kwargs.items():
            setattr(op, name, value)
        op.is_mapped = False
        return op

    # -- execution hooks (implemented by dagbridge_shim) ---------------------------------------------------

    def render_template_fields(self, context, jinja_env=None):
        """Renders every templated field in place (Airflow's hook)."""
        from dagbridge_shim.templating import render_template_fields

        return render_template_fields(self, context, jinja_env)

    def pre_execute(self, context):
        if self._pre_execute_hook is not None:
            self._pre_execute_hook(context)

    def post_execute(self, context, result=None):
        if self._post_execute_hook is not None:
            self._post_execute_hook(context, result)

    def execute(self, context):
        raise NotImplementedError()

    def on_kill(self):
        """Called when the task is killed; operators with external resources override it."""

    def defer(self, *, trigger, method_name, kwargs=None, timeout=None):
        raise TaskDeferred(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    def resume_execution(self, next_method, next_kwargs, context):
        """Called when a deferred task resumes (Airflow's; see dagbridge_shim.execution.deferral)."""
        from dagbridge_shim.execution.deferral import resume_execution

        return resume_execution(self, next_method, next_kwargs, context)

    def xcom_push(self, context, key, value, execution_date=None):
        context["ti"].xcom_push(key=key, value=value)

    @staticmethod
    def xcom_pull(context, task_ids=None, dag_id=None, key="return_value", include_prior_dates=None):
        return context["ti"].xcom_pull(key=key, task_ids=task_ids, dag_id=dag_id, include_prior_dates=include_prior_dates)

    def prepare_for_execution(self):
        return copy.copy(self)




class OperatorPartial:
    """The result of `Op.partial(...)`: call `expand(...)` or `expand_kwargs(...)` on it."""

    def __init__(self, operator_class, kwargs):
        self.operator_class = operator_class
        self.kwargs = kwargs

    def __repr__(self):
        return "%s.partial(%s)" % (self.operator_class.__name__, ", ".join("%s=%r" % kv for kv in self.kwargs.items()))

    def expand(self, **mapped_kwargs):
        if not mapped_kwargs:
            raise TypeError("no arguments to expand against")
        _validate_expand_names(self.operator_class, self.kwargs, mapped_kwargs)
        return create_mapped_operator(self.operator_class, self.kwargs, DictOfListsExpandInput(mapped_kwargs))

    def expand_kwargs(self, kwargs, *, strict=True):
        if not isinstance(kwargs, (list, tuple, XComArg)):
            raise TypeError("expected XComArg or list[dict], not %s" % type(kwargs).__name__)
        return create_mapped_operator(self.operator_class, self.kwargs, ListOfDictsExpandInput(kwargs))


def _validate_expand_names(operator_class, partial_kwargs, mapped_kwargs):
    duplicated = set(partial_kwargs) & set(mapped_kwargs)
    if duplicated:
        raise TypeError("%s got multiple values for argument(s) %s" % (operator_class.__name__, ", ".join(sorted(duplicated))))
    for name, value in mapped_kwargs.items():
        if not isinstance(value, (list, tuple, dict, XComArg)):
            raise ValueError("Cannot map over %s for argument %r: expected a list, dict or XComArg" % (type(value).__name__, name))


def _required_params(operator_class):
    """Keyword parameters without a default across the constructor chain."""
    required = set()
    for klass in operator_class.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.name != "self" and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                required.add(p.name)
    return required


def create_mapped_operator(operator_class, partial_kwargs, expand_input, init_kwargs=None):
    """Builds the task that stands for every instance of a mapped task.

    It is a real instance of `operator_class`, constructed with the partial arguments and, for `expand`, the
    raw mapped values (lists or XComArgs) in their own arguments; required arguments that only the mapping
    provides are None until `unmap`. `is_mapped`, `partial_kwargs` and `expand_input` describe the mapping.
    A TaskFlow task passes `init_kwargs`: its mapped values are the function's arguments (in `op_kwargs`), and
    its constructor gets what it needs from the decorator, as when it is not mapped.
    """
    kwargs = dict(init_kwargs if init_kwargs is not None else partial_kwargs)
    if init_kwargs is None:
        if isinstance(expand_input, DictOfListsExpandInput):
            kwargs.update(expand_input.value)
        for name in _required_params(operator_class):
            if name not in kwargs and name != "task_id":
                kwargs[name] = None
    op = operator_class(**kwargs)
    op.is_mapped = True
    op.partial_kwargs = dict(partial_kwargs)
    op.expand_input = expand_input
    XComArg.apply_upstream_relationship(op, expand_input.value)
    return op


def _validate_key(key, max_length=KEY_MAX_LENGTH):
    """Airflow's ``validate_key``: the key rule of schemas/airflow-facts.json."""
    if not isinstance(key, str):
        raise TypeError("The key has to be a string and is %s:%s" % (type(key), key))
    problem = key_problem(key, max_length)
    if problem is not None:
        raise AirflowException(problem)


def _nodes(item, as_downstream):
    """The operators an item of a relation stands for: a group's roots when it is downstream, its leaves
    when it is upstream."""
    from airflow.utils.task_group import TaskGroup

    if isinstance(item, BaseOperator):
        return [item]
    if isinstance(item, XComArg):
        return [op for op, _ in item.iter_references()]
    if isinstance(item, TaskGroup):
        return list(item.get_roots() if as_downstream else item.get_leaves())
    raise TypeError("Relationships can only be set between Operators; received %s" % type(item).__name__)


def _set_relatives(task, task_or_task_list, upstream, edge_modifier=None):
    from airflow.utils.edgemodifier import EdgeModifier

    items = list(flatten(task_or_task_list if isinstance(task_or_task_list, (list, tuple, set)) else [task_or_task_list]))
    for item in items:
        if isinstance(item, EdgeModifier):
            if upstream:
                item.set_downstream(task)
            else:
                item.set_upstream(task)
            continue
        for other in _nodes(item, as_downstream=not upstream):
            if upstream:
                link(other, task, edge_modifier)
            else:
                link(task, other, edge_modifier)


def link(up, down, edge_modifier=None):
    """Adds the edge up -> down, bringing a task without a DAG into the other's DAG."""
    if up is down:
        raise AirflowException("Relationships can only be set between different tasks; %s" % up)
    dags = {id(t._dag): t._dag for t in (up, down) if t._dag is not None}
    if len(dags) > 1:
        raise AirflowException("Tried to set relationships between tasks in more than one DAG: %s" % sorted(d.dag_id for d in dags.values()))
    if dags:
        dag = next(iter(dags.values()))
        for t in (up, down):
            if t._dag is None:
                t.dag = dag
    up.downstream_task_ids.add(down.task_id)
    down.upstream_task_ids.add(up.task_id)
    if edge_modifier is not None and dags:
        edge_modifier.add_edge_info(next(iter(dags.values())), up.task_id, down.task_id)


def chain(*tasks):
    """`chain(a, [b, c], [d, e], f)`: consecutive elements in order; two lists pair up element by element."""
    for up_task, down_task in zip(tasks, tasks[1:]):
        if isinstance(up_task, DependencyMixin):
            up_task.set_downstream(down_task)
            continue
        if isinstance(down_task, DependencyMixin):
            down_task.set_upstream(up_task)
            continue
        if not isinstance(up_task, (list, tuple)) or not isinstance(down_task, (list, tuple)):
            raise TypeError("Chain not supported between instances of %s and %s" % (type(up_task), type(down_task)))
        if len(up_task) != len(down_task):
            raise AirflowException(
                "Chain not supported for different length Iterable. Got %d and %d." % (len(up_task), len(down_task))
            )
        for up_t, down_t in zip(up_task, down_task):
            up_t.set_downstream(down_t)


def cross_downstream(from_tasks, to_tasks):
    """Every task of `from_tasks` upstream of every task of `to_tasks`."""
    for task in from_tasks:
        task.set_downstream(to_tasks)


def chain_linear(*elements):
    """Like chain, but every element of a list is upstream of every element of the next."""
    from airflow.utils.edgemodifier import EdgeModifier

    if len(elements) < 2:
        raise ValueError("Expecting at least two elements to chain")
    prev_elem = None
    deps_set = False
    for curr_elem in elements:
        if isinstance(curr_elem, EdgeModifier):
            raise ValueError("Labels are not supported by chain_linear")
        if prev_elem is not None:
            for task in prev_elem:
                task >> curr_elem
                deps_set = True
        prev_elem = [curr_elem] if isinstance(curr_elem, DependencyMixin) else curr_elem
    if not deps_set:
        raise ValueError("No dependencies were set. Did you forget to expand with `*`?")


__all__ = [
    "BaseOperator",
    "BaseOperatorMeta",
    "OperatorPartial",
    "chain",
    "chain_linear",
    "cross_downstream",
    "DuplicateTaskIdFound",
    "NOTSET",
]
