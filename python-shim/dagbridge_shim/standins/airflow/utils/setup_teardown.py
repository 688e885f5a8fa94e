"""Setup and teardown tasks used as context managers (stand-in of airflow.utils.setup_teardown).

    with teardown_task(setup_task()):        # or: with setup_op >> teardown_op:
        work()

Follows Airflow 2.10.5 airflow/utils/setup_teardown.py: while a setup or teardown task is "entered", every
task created is recorded against it; on exit the recorded work tasks without upstream get the setup (or the
setup found upstream of the entered teardown) upstream, those without downstream get the teardown (or the
teardown found downstream of the entered setup) downstream. Nested blocks chain outer setup >> inner setup
and inner teardown >> outer teardown. As in Airflow, leaving any block ends recording (`active` is False)
until the next block is entered.
"""
from airflow.exceptions import AirflowException


class _Slot:
    """The task (or list of tasks) a block set, with the values it replaced, restored on pop."""

    def __init__(self):
        self.current = []
        self.previous = []

    def push(self, value):
        if self.current and self.current != value:
            self.previous.append(self.current)
        self.current = value

    def pop(self, link):
        """Restores the previous value and calls `link(popped, restored)` when both are set."""
        popped = self.current
        if self.previous:
            self.current = self.previous.pop()
            if self.current and popped:
                link(popped, self.current)
        else:
            self.current = []
        return popped


def _each(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _key(value):
    return tuple(value) if isinstance(value, list) else value


def _runs_before(first, then):
    """Every task of `first` upstream of every task of `then` (each may be a task or a list)."""
    for task in _each(then):
        task.set_upstream(first)


def _nearest(start, wanted):
    """The tasks satisfying `wanted` nearest to `start`'s neighbours, walking the graph both ways
    breadth-first (Airflow walks the same way; a visited set keeps a graph without any from looping)."""
    frontier = list(start)
    seen = set()
    while frontier:
        found = [task for task in frontier if wanted(task)]
        if found:
            return found
        seen.update(id(task) for task in frontier)
        frontier = [
            neighbour
            for task in frontier
            for neighbour in list(task.downstream_list) + list(task.upstream_list)
            if id(neighbour) not in seen
        ]
    return []


class SetupTeardownContext:
    """The state of the setup/teardown blocks being defined (class-level, like Airflow's)."""

    active = False
    context_map = {}
    _setup = _Slot()
    _teardown = _Slot()
    _teardown_downstream_of_setup = _Slot()
    _setup_upstream_of_teardown = _Slot()

    @classmethod
    def reset(cls):
        """Forgets every block (a DAG file that failed inside one must not leak it into the next file)."""
        cls.active = False
        cls.context_map = {}
        cls._setup = _Slot()
        cls._teardown = _Slot()
        cls._teardown_downstream_of_setup = _Slot()
        cls._setup_upstream_of_teardown = _Slot()

    @classmethod
    def push_setup_teardown_task(cls, operator):
        operators = _each(operator)
        if any(task.is_setup != operators[0].is_setup for task in operators):
            cls.reset()
            raise ValueError("All tasks in the list must be either setup or teardown tasks")
        first = operators[0]
        if first.is_teardown:
            cls._teardown.push(operator)
            cls._setup_upstream_of_teardown.push(
                _nearest(list(first.upstream_list), lambda task: task.is_setup) if first.upstream_list else [])
        elif first.is_setup:
            cls._setup.push(operator)
            cls._teardown_downstream_of_setup.push(
                _nearest(list(first.downstream_list), lambda task: task.is_teardown) if first.downstream_list else [])
        cls.active = True

    @classmethod
    def update_context_map(cls, task):
        """Records a task created inside the current block(s)."""
        if task.is_setup or task.is_teardown:
            return
        for owner in (cls._setup.current, cls._teardown.current):
            if owner:
                cls.context_map.setdefault(_key(owner), []).append(task)

    @classmethod
    def add_task(cls, task):
        """Adds a task created elsewhere to the current block."""
        if not cls.active:
            raise AirflowException("Cannot add task to context outside the context manager.")
        cls.update_context_map(getattr(task, "operator", task))

    @classmethod
    def _work_in(cls, owner):
        return [task for task in cls.context_map.get(_key(owner), []) if not task.is_setup and not task.is_teardown]

    @classmethod
    def set_work_task_roots_and_leaves(cls):
        """Called when a block ends: wires its work tasks between its setup and teardown."""
        setup = cls._setup.current
        work = cls._work_in(setup) if setup else []
        if work:
            roots = [task for task in work if not task.upstream_list] or [work[0]]
            _runs_before(setup, roots)
            leaves = [task for task in work if not task.downstream_list] or [work[-1]]
            _runs_before(cls._teardown.current or leaves, cls._teardown_downstream_of_setup.current)
        teardown = cls._teardown.current
        work = cls._work_in(teardown) if teardown else []
        if work:
            leaves = [task for task in work if not task.downstream_list] or [work[-1]]
            _runs_before(leaves, teardown)
            roots = [task for task in work if not task.upstream_list] or [work[0]]
            for upstream_setup in _each(cls._setup_upstream_of_teardown.current):
                upstream_setup.set_downstream(cls._setup.current or roots)
        cls._end_block()

    @classmethod
    def _end_block(cls):
        setup = cls._setup.pop(lambda inner, outer: _runs_before(outer, inner))
        teardown = cls._teardown.pop(lambda inner, outer: _runs_before(inner, outer))
        cls._teardown_downstream_of_setup.pop(lambda inner, outer: _runs_before(inner, outer))
        cls._setup_upstream_of_teardown.pop(lambda inner, outer: _runs_before(outer, inner))
        cls.context_map.pop(_key(setup), None)
        cls.context_map.pop(_key(teardown), None)
        cls.active = False


def enter_setup_teardown(operators):
    """`__enter__` of a setup or teardown task (or a list of them)."""
    if not all(task.is_setup or task.is_teardown for task in _each(operators)):
        raise AirflowException("Only setup/teardown tasks can be used as context managers.")
    SetupTeardownContext.push_setup_teardown_task(operators)
    return SetupTeardownContext
