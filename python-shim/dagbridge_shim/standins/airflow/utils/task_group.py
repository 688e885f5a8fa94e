"""TaskGroup (stand-in of airflow.utils.task_group): groups tasks under a prefixed id, with group-level
default_args; `>>` on a group binds to its roots (downstream side) or leaves (upstream side)."""
import copy

from airflow.exceptions import AirflowException, DuplicateTaskIdFound
from airflow.models.taskmixin import DAGNode


class TaskGroupContext:
    """The TaskGroups opened with `with TaskGroup(...)`, innermost last."""

    _context_managed_task_groups = []

    @classmethod
    def push_context_managed_task_group(cls, task_group):
        cls._context_managed_task_groups.append(task_group)

    @classmethod
    def pop_context_managed_task_group(cls):
        return cls._context_managed_task_groups.pop()

    @classmethod
    def get_current_task_group(cls, dag):
        if cls._context_managed_task_groups:
            return cls._context_managed_task_groups[-1]
        return dag.task_group if dag is not None else None

    get_current = get_current_task_group


class TaskGroup(DAGNode):
    """A group of tasks (and groups). The root group of a DAG has group_id None."""

    def __init__(
        self,
        group_id,
        prefix_group_id=True,
        parent_group=None,
        dag=None,
        default_args=None,
        tooltip="",
        ui_color="CornflowerBlue",
        ui_fgcolor="#000",
        add_suffix_on_collision=False,
        group_display_name="",
    ):
        from airflow.models.baseoperator import _validate_key
        from airflow.models.dag import DagContext

        self.prefix_group_id = prefix_group_id
        self.default_args = copy.copy(default_args or {})
        dag = dag or DagContext.get_current_dag()
        if group_id is None:
            if parent_group is not None:
                raise AirflowException("Root TaskGroup cannot have parent_group")
            self._parent_group = None
            self.dag = dag
            self.used_group_ids = set()
        else:
            if not isinstance(group_id, str):
                raise ValueError("group_id must be str")
            if not group_id:
                raise ValueError("group_id must not be empty")
            _validate_key(group_id)
            if parent_group is None and dag is None:
                raise AirflowException("TaskGroup can only be used inside a dag")
            parent_group = parent_group or TaskGroupContext.get_current_task_group(dag)
            if parent_group is None:
                raise AirflowException("TaskGroup can only be used inside a dag")
            self._parent_group = parent_group
            self.dag = parent_group.dag
            self.used_group_ids = parent_group.used_group_ids
        self._group_id = group_id
        self.children = {}
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.group_display_name = group_display_name
        self.upstream_group_ids = set()
        self.downstream_group_ids = set()
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        if group_id is not None:
            self._check_for_group_id_collisions(add_suffix_on_collision)
            parent_group.add(self)
            if parent_group.default_args:
                self.default_args = dict(parent_group.default_args, **self.default_args)
        self.used_group_ids.add(self.group_id)

    def _check_for_group_id_collisions(self, add_suffix_on_collision):
        if self.group_id not in self.used_group_ids:
            return
        if not add_suffix_on_collision:
            raise DuplicateTaskIdFound("group_id '%s' has already been added to the DAG" % self._group_id)
        base = self._group_id.split("__")[0]
        suffixes = sorted(
            int(used.split("__")[-1])
            for used in self.used_group_ids
            if used is not None and used.rsplit(".", 1)[-1].startswith(base + "__") and used.split("__")[-1].isdigit()
        )
        self._group_id = "%s__%d" % (base, suffixes[-1] + 1 if suffixes else 1)

    @classmethod
    def create_root(cls, dag):
        return cls(group_id=None, dag=dag)

    def __repr__(self):
        return "<%s: %s>" % (type(self).__name__, self.group_id)

    @property
    def node_id(self):
        return self.group_id

    @property
    def is_root(self):
        return not self._group_id

    @property
    def parent_group(self):
        return self._parent_group

    @property
    def group_id(self):
        if self._parent_group is not None and self._parent_group.prefix_group_id and self._parent_group._group_id:
            return self._parent_group.child_id(self._group_id)
        return self._group_id

    @property
    def label(self):
        return self._group_id

    def child_id(self, label):
        """`group.label` when this group prefixes its children's ids."""
        if self.prefix_group_id:
            group_id = self.group_id
            if group_id:
                return "%s.%s" % (group_id, label)
        return label

    def add(self, task):
        """Adds a task or a child group; a second child with the same id is an error."""
        key = task.node_id
        if key in self.children:
            node_type = "Task" if hasattr(task, "task_id") else "Task Group"
            raise DuplicateTaskIdFound("%s id '%s' has already been added to the DAG" % (node_type, key))
        if isinstance(task, TaskGroup):
            if self.dag is not None and task.dag is not None and task.dag is not self.dag:
                raise AirflowException("Cannot mix TaskGroups from different DAGs: %s and %s" % (self.dag, task.dag))
        self.children[key] = task

    def __iter__(self):
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child
            else:
                yield child

    def iter_tasks(self):
        return iter(self)

    def iter_mapped_task_groups(self):
        group = self
        while group is not None:
            if isinstance(group, MappedTaskGroup):
                yield group
            group = group._parent_group

    def get_parent_group_ids(self):
        ids, group = [], self._parent_group
        while group is not None and group.group_id is not None:
            ids.append(group.group_id)
            group = group._parent_group
        return ids

    def __enter__(self):
        TaskGroupContext.push_context_managed_task_group(self)
        return self

    def __exit__(self, _type, _value, _tb):
        TaskGroupContext.pop_context_managed_task_group()

    def get_roots(self):
        """Tasks of the group with no upstream task inside the group."""
        tasks = list(self)
        ids = {t.task_id for t in tasks}
        for task in tasks:
            if task.upstream_task_ids.isdisjoint(ids):
                yield task

    def get_leaves(self):
        """Tasks of the group with no downstream task inside the group; a teardown is replaced by the
        work tasks it tears down after (Airflow 2.7+)."""
        tasks = list(self)
        ids = {t.task_id for t in tasks}

        def has_non_teardown_downstream(task, exclude):
            for down_task in task.downstream_list:
                if down_task.node_id == exclude or down_task.task_id not in ids:
                    continue
                if not down_task.is_teardown:
                    return True
            return False

        def recurse_for_first_non_teardown(task):
            for upstream_task in task.upstream_list:
                if upstream_task.task_id not in ids:
                    continue
                if upstream_task.is_teardown:
                    yield from recurse_for_first_non_teardown(upstream_task)
                elif task.is_teardown and upstream_task.is_setup:
                    continue
                elif not has_non_teardown_downstream(upstream_task, exclude=task.node_id):
                    yield upstream_task

        for task in tasks:
            if task.downstream_task_ids.isdisjoint(ids):
                if not task.is_teardown:
                    yield task
                else:
                    yield from recurse_for_first_non_teardown(task)

    @property
    def roots(self):
        return list(self.get_roots())

    @property
    def leaves(self):
        return list(self.get_leaves())

    def set_upstream(self, task_or_task_list, edge_modifier=None):
        self._set_relatives(task_or_task_list, upstream=True, edge_modifier=edge_modifier)

    def set_downstream(self, task_or_task_list, edge_modifier=None):
        self._set_relatives(task_or_task_list, upstream=False, edge_modifier=edge_modifier)

    def _set_relatives(self, task_or_task_list, upstream=False, edge_modifier=None):
        from airflow._dagbridge import flatten

        others = task_or_task_list if isinstance(task_or_task_list, (list, tuple, set)) else [task_or_task_list]
        for other in flatten(others):
            if isinstance(other, TaskGroup):
                (self.upstream_group_ids if upstream else self.downstream_group_ids).add(other.group_id)
            elif hasattr(other, "task_id"):
                (self.upstream_task_ids if upstream else self.downstream_task_ids).add(other.task_id)
        if upstream:
            for task in list(self.get_roots()):
                task.set_upstream(task_or_task_list, edge_modifier)
        else:
            for task in list(self.get_leaves()):
                task.set_downstream(task_or_task_list, edge_modifier)


class MappedTaskGroup(TaskGroup):
    """A task group expanded with `@task_group(...).expand(...)`: every task in it runs once per element
    of `expand_input`; the tasks receive MappedArgument references to the elements."""

    def __init__(self, *, expand_input, **kwargs):
        super().__init__(**kwargs)
        self._expand_input = expand_input

    @property
    def expand_input(self):
        return self._expand_input
