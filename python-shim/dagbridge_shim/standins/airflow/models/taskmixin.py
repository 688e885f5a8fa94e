"""The `>>`/`<<` protocol shared by operators, XComArgs, task groups and edge labels."""


class DependencyMixin:
    """Anything that can be on either side of `>>` and `<<` (stand-in of airflow.models.taskmixin)."""

    def set_upstream(self, other, edge_modifier=None):
        raise NotImplementedError()

    def set_downstream(self, other, edge_modifier=None):
        raise NotImplementedError()

    def update_relative(self, other, upstream=True, edge_modifier=None):
        """Called on the other side of a relation; only edge labels care."""

    def __lshift__(self, other):
        """`self << other`: other runs first."""
        self.set_upstream(other)
        return other

    def __rshift__(self, other):
        """`self >> other`: self runs first."""
        self.set_downstream(other)
        return other

    def __rrshift__(self, other):
        """`[a, b] >> self`."""
        self.__lshift__(other)
        return self

    def __rlshift__(self, other):
        """`[a, b] << self`."""
        self.__rshift__(other)
        return self


class DAGNode(DependencyMixin):
    """A node of the DAG graph: an operator or a task group."""


TaskMixin = DependencyMixin
