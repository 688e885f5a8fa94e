"""XComArg: a reference to an upstream task's XCom, used as an argument of another task.

Using one as an argument makes the producing task an upstream of the consuming one. Its value is resolved by
dagbridge's task runner from the XComs it receives; `resolve` is not implemented here.
"""
from airflow._dagbridge import NOTSET
from airflow.models.taskmixin import DependencyMixin
from airflow.utils.setup_teardown import SetupTeardownContext, enter_setup_teardown

XCOM_RETURN_KEY = "return_value"


class XComArg(DependencyMixin):
    """Base of XCom references (stand-in of airflow.models.xcom_arg.XComArg)."""

    def __new__(cls, *args, **kwargs):
        if cls is XComArg:
            return super().__new__(PlainXComArg)
        return super().__new__(cls)

    @staticmethod
    def iter_xcom_references(arg):
        """Yields (operator, key) for every XComArg found in nested lists, tuples, sets and dicts."""
        if isinstance(arg, XComArg):
            yield from arg.iter_references()
        elif isinstance(arg, (list, tuple, set, frozenset)):
            for item in arg:
                yield from XComArg.iter_xcom_references(item)
        elif isinstance(arg, dict):
            for item in arg.values():
                yield from XComArg.iter_xcom_references(item)
        elif isinstance(arg, MappedArgument):
            yield from arg.iter_references()

    @staticmethod
    def apply_upstream_relationship(op, arg):
        for operator, _ in XComArg.iter_xcom_references(arg):
            op.set_upstream(operator)

    @property
    def roots(self):
        return [op for op, _ in self.iter_references()]

    @property
    def leaves(self):
        return [op for op, _ in self.iter_references()]

    def set_upstream(self, other, edge_modifier=None):
        for operator, _ in self.iter_references():
            operator.set_upstream(other, edge_modifier)

    def set_downstream(self, other, edge_modifier=None):
        for operator, _ in self.iter_references():
            operator.set_downstream(other, edge_modifier)

    def iter_references(self):
        raise NotImplementedError()

    def map(self, f):
        return MapXComArg(self, [f])

    def zip(self, *others, fillvalue=NOTSET):
        """Pairs the values element by element: as `zip` (the shortest wins), or as `itertools.zip_longest`
        padded with `fillvalue` when one is given."""
        return ZipXComArg([self, *others], fillvalue=fillvalue)

    def concat(self, *others):
        """The values one after the other (lists; a dict contributes its items)."""
        return ConcatXComArg([self, *others])

    def __iter__(self):
        raise TypeError("'XComArg' object is not iterable")

    def as_setup(self):
        for operator, _ in self.iter_references():
            operator.is_setup = True
        return self

    def as_teardown(self, *, setups=None, on_failure_fail_dagrun=None):
        for operator, _ in self.iter_references():
            operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self


class PlainXComArg(XComArg):
    """One task's XCom under `key` (default `return_value`); `arg["k"]` selects another key."""

    def __init__(self, operator, key=XCOM_RETURN_KEY):
        self.operator = operator
        self.key = key

    def __eq__(self, other):
        if not isinstance(other, PlainXComArg):
            return NotImplemented
        return self.operator is other.operator and self.key == other.key

    def __hash__(self):
        return hash((id(self.operator), self.key))

    def __getitem__(self, item):
        if not isinstance(item, str):
            raise ValueError("XComArg only supports str lookup, received %s" % type(item).__name__)
        return PlainXComArg(operator=self.operator, key=item)

    def __repr__(self):
        if self.key == XCOM_RETURN_KEY:
            return "XComArg(%r)" % (self.operator,)
        return "XComArg(%r, %r)" % (self.operator, self.key)

    def __str__(self):
        return "{{ task_instance.xcom_pull(task_ids='%s', dag_id='%s', key='%s') }}" % (
            self.operator.task_id,
            self.operator.dag.dag_id if self.operator.dag else "",
            self.key,
        )

    def iter_references(self):
        yield self.operator, self.key

    @property
    def task_id(self):
        return self.operator.task_id

    def __enter__(self):
        return enter_setup_teardown(self.operator)

    def __exit__(self, exc_type, exc_val, exc_tb):
        SetupTeardownContext.set_work_task_roots_and_leaves()


class MapXComArg(XComArg):
    """`xcom_arg.map(f)`: the upstream list with `f` applied to each element at run time."""

    def __init__(self, arg, callables):
        self.arg = arg
        self.callables = list(callables)

    def map(self, f):
        return MapXComArg(self.arg, [*self.callables, f])

    def iter_references(self):
        yield from self.arg.iter_references()


class ZipXComArg(XComArg):
    """`xcom_arg.zip(other, ...)`; `fillvalue` NOTSET means no padding."""

    def __init__(self, args, *, fillvalue=NOTSET):
        self.args = list(args)
        self.fillvalue = fillvalue

    def iter_references(self):
        for arg in self.args:
            yield from arg.iter_references()


class ConcatXComArg(XComArg):
    """`xcom_arg.concat(other, ...)`."""

    def __init__(self, args):
        self.args = list(args)

    def iter_references(self):
        for arg in self.args:
            yield from arg.iter_references()


class MappedArgument:
    """The argument a function decorated with `@task_group` receives when the group is expanded: element
    `key` of the group's expand input, resolved per map index by the runner."""

    def __init__(self, input, key):  # noqa: A002 - Airflow's parameter name
        self._input = input
        self._key = key

    def __repr__(self):
        return "MappedArgument(%r)" % (self._key,)

    def iter_references(self):
        yield from XComArg.iter_xcom_references(self._input.value)
