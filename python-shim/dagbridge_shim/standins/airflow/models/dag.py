"""DAG (stand-in of airflow.models.dag): the container of tasks, its schedule and defaults.

Defaults that changed between Airflow 2 and 3 follow the importing file's style (airflow._dagbridge):
style 2 schedules daily and catches up when nothing is said, style 3 has no schedule and no catchup.
"""
import functools
import inspect
import os
import sys
from datetime import timedelta

from airflow import _dagbridge
from airflow._dagbridge import NOTSET
from airflow.configuration import conf
from airflow.exceptions import AirflowException, DuplicateTaskIdFound, ParamValidationError, TaskNotFound


class DagContext:
    """The DAGs opened with `with DAG(...)` (innermost last) and those registered that way while a file
    is imported (Airflow's auto_register)."""

    _context_managed_dags = []
    autoregistered_dags = []
    current_autoregister_module_name = None

    @classmethod
    def push_context_managed_dag(cls, dag):
        cls._context_managed_dags.append(dag)

    @classmethod
    def pop_context_managed_dag(cls):
        dag = cls._context_managed_dags.pop()
        if dag.auto_register and all(d is not dag for d in cls.autoregistered_dags):
            cls.autoregistered_dags.append(dag)
        return dag

    @classmethod
    def get_current_dag(cls):
        return cls._context_managed_dags[-1] if cls._context_managed_dags else None

    get_current = get_current_dag


def _caller_file():
    """The file of the first frame outside the stand-ins: where the DAG was defined."""
    standins = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(standins) and not filename.startswith("<"):
            return filename
        frame = frame.f_back
    return ""


def _default_schedule():
    return None if _dagbridge.airflow_style == 3 else timedelta(days=1)


def _default_catchup():
    if "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT" in os.environ:
        return conf.getboolean("scheduler", "catchup_by_default")
    return _dagbridge.airflow_style != 3


class DAG:
    """A DAG: tasks and the edges between them, a schedule and DAG-level settings."""

    def __init__(
        self,
        dag_id,
        description=None,
        schedule=NOTSET,
        schedule_interval=NOTSET,
        timetable=None,
        start_date=None,
        end_date=None,
        full_filepath=None,
        template_searchpath=None,
        template_undefined=None,
        user_defined_macros=None,
        user_defined_filters=None,
        default_args=None,
        concurrency=None,
        max_active_tasks=None,
        max_active_runs=None,
        max_consecutive_failed_dag_runs=None,
        dagrun_timeout=None,
        sla_miss_callback=None,
        default_view=None,
        orientation="LR",
        catchup=None,
        on_success_callback=None,
        on_failure_callback=None,
        doc_md=None,
        params=None,
        access_control=None,
        is_paused_upon_creation=None,
        jinja_environment_kwargs=None,
        render_template_as_native_obj=False,
        tags=None,
        owner_links=None,
        auto_register=True,
        fail_stop=False,
        dag_display_name=None,
        deadline=None,
        disable_bundle_versioning=False,
    ):
        from airflow.utils.task_group import TaskGroup

        _validate_dag_id(dag_id)
        self._dag_id = dag_id
        self.description = description
        self.default_args = dict(default_args or {})
        self.airflow_style = _dagbridge.airflow_style
        self.fileloc = full_filepath or _caller_file()
        self.relative_fileloc = None

        given = [v for v in (schedule, schedule_interval) if v is not NOTSET] + ([timetable] if timetable is not None else [])
        if len(given) > 1:
            raise ValueError("At most one allowed for args 'schedule_interval', 'timetable', and 'schedule'.")
        self.schedule = given[0] if given else _default_schedule()
        self.schedule_interval = self.schedule
        self.timetable = timetable

        self.start_date = start_date if start_date is not None else self.default_args.get("start_date")
        self.end_date = end_date if end_date is not None else self.default_args.get("end_date")
        if isinstance(self.start_date, str) or isinstance(self.end_date, str):
            from airflow.utils import timezone

            if isinstance(self.start_date, str):
                self.start_date = timezone.parse(self.start_date)
            if isinstance(self.end_date, str):
                self.end_date = timezone.parse(self.end_date)
        self.timezone = _timezone_of(self.start_date)
        self.template_searchpath = [template_searchpath] if isinstance(template_searchpath, str) else template_searchpath
        #: None means Airflow's default, jinja2.StrictUndefined (imported only when rendering).
        self.template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        if max_active_tasks is None:
            max_active_tasks = concurrency if concurrency is not None else conf.getint("core", "max_active_tasks_per_dag")
        self.max_active_tasks = max_active_tasks
        self.max_active_runs = max_active_runs if max_active_runs is not None else conf.getint("core", "max_active_runs_per_dag")
        if max_consecutive_failed_dag_runs is None:
            max_consecutive_failed_dag_runs = conf.getint("core", "max_consecutive_failed_dag_runs_per_dag")
        self.max_consecutive_failed_dag_runs = max_consecutive_failed_dag_runs
        if dagrun_timeout is not None and not isinstance(dagrun_timeout, timedelta):
            raise AirflowException("Invalid type of dagrun_timeout: expected timedelta, got %s" % type(dagrun_timeout).__name__)
        self.dagrun_timeout = dagrun_timeout
        self.sla_miss_callback = sla_miss_callback
        self.default_view = default_view
        self.orientation = orientation
        self.catchup = _default_catchup() if catchup is None else bool(catchup)
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.doc_md = doc_md
        from airflow.models.baseoperator import _param_objects
        from airflow.models.param import ParamsDict

        merged_params = _param_objects(self.default_args.get("params"))
        merged_params.update(_param_objects(params))
        self.params = ParamsDict(merged_params)
        self.access_control = access_control
        self.is_paused_upon_creation = is_paused_upon_creation
        self.jinja_environment_kwargs = jinja_environment_kwargs
        self.render_template_as_native_obj = render_template_as_native_obj
        self.tags = list(tags or [])
        self.owner_links = owner_links or {}
        self.auto_register = auto_register
        self.fail_stop = fail_stop
        self.dag_display_name = dag_display_name
        self.deadline = deadline
        self.task_dict = {}
        self.edge_info = {}
        self.task_group = TaskGroup.create_root(self)
        self.validate_schedule_and_params()

    def __repr__(self):
        return "<DAG: %s>" % self._dag_id

    def __enter__(self):
        DagContext.push_context_managed_dag(self)
        return self

    def __exit__(self, _type, _value, _tb):
        DagContext.pop_context_managed_dag()

    def __hash__(self):
        return id(self)

    @property
    def dag_id(self):
        return self._dag_id

    @dag_id.setter
    def dag_id(self, value):
        self._dag_id = value

    @property
    def dag_display_name_or_id(self):
        return self.dag_display_name or self._dag_id

    @property
    def tasks(self):
        return list(self.task_dict.values())

    @property
    def task_ids(self):
        return list(self.task_dict)

    @property
    def task_count(self):
        return len(self.task_dict)

    @property
    def owner(self):
        return ", ".join(sorted({t.owner for t in self.task_dict.values()}))

    @property
    def roots(self):
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self):
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    @property
    def folder(self):
        return os.path.dirname(self.fileloc)

    def has_task(self, task_id):
        return task_id in self.task_dict

    def get_task(self, task_id, include_subdags=False):
        if task_id in self.task_dict:
            return self.task_dict[task_id]
        raise TaskNotFound("Task %s not found" % task_id)

    def add_task(self, task):
        """Adds a task (called when a task gets this DAG); a second task with the same id is an error."""
        from airflow.utils.task_group import TaskGroupContext

        existing = self.task_dict.get(task.task_id)
        if existing is not None and existing is not task:
            raise DuplicateTaskIdFound("Task id '%s' has already been added to the DAG" % task.task_id)
        if task._task_group is None:
            group = TaskGroupContext.get_current_task_group(self)
            task.task_id = group.child_id(task.task_id)
            task._task_group = group
            group.add(task)
            if task.task_id in self.task_dict and self.task_dict[task.task_id] is not task:
                raise DuplicateTaskIdFound("Task id '%s' has already been added to the DAG" % task.task_id)
        self.task_dict[task.task_id] = task
        if task._dag is None:
            task._dag = self
        if task.start_date is None:
            task.start_date = self.start_date

    def add_tasks(self, tasks):
        for task in tasks:
            self.add_task(task)

    def set_edge_info(self, upstream_task_id, downstream_task_id, info):
        self.edge_info.setdefault(upstream_task_id, {})[downstream_task_id] = info

    def get_edge_info(self, upstream_task_id, downstream_task_id):
        return self.edge_info.get(upstream_task_id, {}).get(downstream_task_id, {})

    def topological_sort(self):
        from dagbridge_shim.graph import topological_order

        return [self.task_dict[t] for t in topological_order(self.task_dict)]

    def check_cycle(self):
        from dagbridge_shim.graph import check_cycle

        check_cycle(self)

    def validate_schedule_and_params(self):
        """A DAG that can be scheduled must have params that validate without a conf (Airflow 2.10.5
        ``DAG.validate_schedule_and_params``, called by ``DAG.__init__`` and by the DagBag's ``dag.validate()``;
        Airflow 3's params validator, with its own message)."""
        if not _can_be_scheduled(self):
            return
        try:
            self.params.validate()
        except ParamValidationError as error:
            if self.airflow_style == 3:
                raise ValueError(
                    "DAG %r is not allowed to define a Schedule, as there are required params without default values, "
                    "or the default values are not valid." % (self.dag_id,)
                ) from error
            raise AirflowException(
                "DAG is not allowed to define a Schedule, "
                "if there are any required params without default values or default values are not valid."
            ) from error

    def param(self, name, default=NOTSET):
        """A DagParam for `name`; a default also sets `params[name]` (keeping an existing Param's schema)."""
        return DagParam(current_dag=self, name=name, default=default)

    def test(self, *args, **kwargs):
        raise AirflowException("dag.test() is not supported by dagbridge stand-ins; use `dagbridge dags test`")


def _can_be_scheduled(dag):
    """``timetable.can_be_scheduled``: False for NullTimetable (``schedule=None``), True for every other timetable
    unless it says otherwise (a custom timetable's ``can_be_scheduled``)."""
    schedule = dag.timetable if dag.timetable is not None else dag.schedule
    if schedule is None:
        return False
    if isinstance(schedule, str):
        return True
    return bool(getattr(schedule, "can_be_scheduled", True))


def _validate_dag_id(dag_id):
    from airflow.models.baseoperator import _validate_key

    _validate_key(dag_id)


def _timezone_of(start_date):
    tzinfo = getattr(start_date, "tzinfo", None)
    if tzinfo is not None and start_date.utcoffset() is not None:
        return tzinfo
    from airflow.utils.timezone import default_timezone

    return default_timezone()


class DagFactory:
    """What `@dag(...)` returns: calling it builds the DAG (the function's body defines the tasks).

    As Airflow's `dag` decorator: the call's arguments are bound to the function's signature (a missing
    required argument is a TypeError), defaults applied, and each parameter becomes a DAG param with that value
    (`dag.param(name, value)`); the function is then called with the DagParam references.
    """

    def __init__(self, function, dag_kwargs):
        self.function = function
        self.dag_kwargs = dag_kwargs
        functools.update_wrapper(self, function)

    def __call__(self, *args, **kwargs):
        signature = inspect.signature(self.function)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        dag_kwargs = dict(self.dag_kwargs)
        dag_id = dag_kwargs.pop("dag_id", None) or self.function.__name__
        if dag_kwargs.get("doc_md") is None and self.function.__doc__:
            dag_kwargs["doc_md"] = self.function.__doc__
        dag_kwargs.setdefault("full_filepath", inspect.getsourcefile(self.function) or "")
        dag_obj = DAG(dag_id, **dag_kwargs)
        with dag_obj:
            call_kwargs = {}
            for name, parameter in signature.parameters.items():
                if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                    continue
                call_kwargs[name] = dag_obj.param(name, bound.arguments[name])
            self.function(**call_kwargs)
        return dag_obj


class DagParam:
    """A DAG param passed into an `@dag` function body, or made by `dag.param(name, default)` (Airflow's
    DagParam). Used as a templated task argument it resolves, at run time, to the run's value: the DAG run's
    `conf[name]`, else `default`, else `params[name]` (`resolve`, called by dagbridge_shim.runtime.resolve).
    In a string it renders as `{{ params.NAME }}`."""

    def __init__(self, current_dag, name, default=NOTSET):
        if default is not NOTSET:
            current_dag.params[name] = default
        self._name = name
        self._default = default
        self.current_dag = current_dag

    def iter_references(self):
        return ()

    def resolve(self, context):
        from dagbridge_shim.runtime.resolve import resolve_dag_param

        return resolve_dag_param(self, context)

    def __str__(self):
        return "{{ params.%s }}" % self._name

    def __repr__(self):
        return "DagParam(%r)" % self._name


def dag(dag_id="", **kwargs):
    """`@dag` / `@dag(...)`: the decorated function defines the DAG's tasks when called."""
    if callable(dag_id) and not kwargs:
        return DagFactory(dag_id, {})

    def wrapper(function):
        dag_kwargs = dict(kwargs)
        if dag_id:
            dag_kwargs["dag_id"] = dag_id
        return DagFactory(function, dag_kwargs)

    return wrapper


ScheduleArg = object
ScheduleIntervalArg = object
