"""Edge labels: `a >> Label("when ok") >> b` (stand-in of airflow.utils.edgemodifier)."""
from airflow._dagbridge import flatten
from airflow.models.taskmixin import DependencyMixin


class EdgeModifier(DependencyMixin):
    """Sits between tasks in a `>>` chain and labels the edges that pass through it."""

    def __init__(self, label=None):
        self.label = label
        self._upstream = []
        self._downstream = []

    def __repr__(self):
        return "Label(%r)" % (self.label,)

    @staticmethod
    def _operators(other, as_downstream):
        from airflow.models.baseoperator import _nodes

        items = other if isinstance(other, (list, tuple, set)) else [other]
        found = []
        for item in flatten(items):
            found.extend(_nodes(item, as_downstream))
        return found

    def set_upstream(self, other, edge_modifier=None):
        from airflow.models.baseoperator import link

        for up in self._operators(other, as_downstream=False):
            self._upstream.append(up)
            for down in self._downstream:
                link(up, down, self)

    def set_downstream(self, other, edge_modifier=None):
        from airflow.models.baseoperator import link

        for down in self._operators(other, as_downstream=True):
            self._downstream.append(down)
            for up in self._upstream:
                link(up, down, self)

    def add_edge_info(self, dag, upstream_id, downstream_id):
        dag.set_edge_info(upstream_id, downstream_id, {"label": self.label})


def Label(label):  # noqa: N802 - Airflow's public name
    """An edge label."""
    return EdgeModifier(label)
