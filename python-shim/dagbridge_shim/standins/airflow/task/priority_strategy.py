"""Priority weight strategies (stand-in of airflow.task.priority_strategy): `weight_rule` is a name
(`absolute`, `downstream`, `upstream`) or a PriorityWeightStrategy. dagbridge's scheduler computes the three
built-in rules itself (src/dag/priority.ts); a custom strategy class is exported by name and treated as
`downstream` (docs/compatibility.md)."""
import abc

from airflow.exceptions import AirflowException


class PriorityWeightStrategy(abc.ABC):
    """Base of priority weight strategies: `get_weight(ti)`; stateless, serialised with `serialize()`."""

    @abc.abstractmethod
    def get_weight(self, ti):
        """The priority weight of the task instance."""

    @classmethod
    def deserialize(cls, data):
        return cls(**data)

    def serialize(self):
        return {}

    def __eq__(self, other):
        return type(self) is type(other) and self.serialize() == other.serialize()

    def __hash__(self):
        return hash(type(self).__qualname__)


class _AbsolutePriorityWeightStrategy(PriorityWeightStrategy):
    def get_weight(self, ti):
        return ti.task.priority_weight


def _weight_with_relatives(ti, upstream):
    dag = ti.task.get_dag()
    if dag is None:
        return ti.task.priority_weight
    return ti.task.priority_weight + sum(
        dag.task_dict[task_id].priority_weight for task_id in ti.task.get_flat_relative_ids(upstream=upstream))


class _DownstreamPriorityWeightStrategy(PriorityWeightStrategy):
    def get_weight(self, ti):
        return _weight_with_relatives(ti, upstream=False)


class _UpstreamPriorityWeightStrategy(PriorityWeightStrategy):
    def get_weight(self, ti):
        return _weight_with_relatives(ti, upstream=True)


airflow_priority_weight_strategies = {
    "absolute": _AbsolutePriorityWeightStrategy,
    "downstream": _DownstreamPriorityWeightStrategy,
    "upstream": _UpstreamPriorityWeightStrategy,
}

airflow_priority_weight_strategies_classes = {
    cls: name for name, cls in airflow_priority_weight_strategies.items()
}


def validate_and_load_priority_weight_strategy(priority_weight_strategy):
    """A strategy instance from a rule name, a strategy class or instance (None: absolute)."""
    if priority_weight_strategy is None:
        return _AbsolutePriorityWeightStrategy()
    if isinstance(priority_weight_strategy, str):
        if priority_weight_strategy in airflow_priority_weight_strategies:
            return airflow_priority_weight_strategies[priority_weight_strategy]()
        raise AirflowException("Unknown priority strategy %s" % priority_weight_strategy)
    if isinstance(priority_weight_strategy, PriorityWeightStrategy):
        return priority_weight_strategy
    if isinstance(priority_weight_strategy, type) and issubclass(priority_weight_strategy, PriorityWeightStrategy):
        return priority_weight_strategy()
    raise AirflowException("Unknown priority strategy %r" % (priority_weight_strategy,))


__all__ = ["PriorityWeightStrategy", "airflow_priority_weight_strategies",
           "airflow_priority_weight_strategies_classes", "validate_and_load_priority_weight_strategy"]
