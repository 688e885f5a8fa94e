"""Priority weight strategies (stand-in of airflow.task.priority_strategy): `weight_rule` is a name
(`absolute`, `downstream`, `upstream`), a registered class's path, or a PriorityWeightStrategy instance.
dagbridge's scheduler computes the three built-in rules itself (src/dag/priority.ts); the export evaluates a
custom strategy's `get_weight` (dagbridge_shim.priority_weights, docs/scheduling.md). A custom class must be in
a plugin's `priority_weight_strategies`, as Airflow 2.10.5's `validate_and_load_priority_weight_strategy`
requires."""
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


def _registered_priority_weight_strategy(importable_string):
    """Airflow's `_get_registered_priority_weight_strategy`: a built-in by name, else a plugin's class by its
    path (`plugins_manager.priority_weight_strategy_classes` holds the built-ins by name and the plugins' classes
    by `qualname`)."""
    if importable_string in airflow_priority_weight_strategies:
        return airflow_priority_weight_strategies[importable_string]
    from dagbridge_shim import plugins

    for plugin in plugins.dag_code_plugins():
        for klass in getattr(plugin, "priority_weight_strategies", None) or []:
            if "%s.%s" % (klass.__module__, klass.__qualname__) == importable_string:
                return klass
    return None


def validate_and_load_priority_weight_strategy(priority_weight_strategy):
    """A fresh instance of the registered strategy class named by `priority_weight_strategy` (a name, or the
    path of an instance's or a class's class); None is `absolute`. Anything not registered raises
    `AirflowException("Unknown priority strategy <path>")`, Airflow's error, a DAG file's import error."""
    if priority_weight_strategy is None:
        return _AbsolutePriorityWeightStrategy()
    if isinstance(priority_weight_strategy, str):
        name = str(getattr(priority_weight_strategy, "value", priority_weight_strategy))
        if name in airflow_priority_weight_strategies:
            return airflow_priority_weight_strategies[name]()
    else:
        klass = priority_weight_strategy if isinstance(priority_weight_strategy, type) else type(priority_weight_strategy)
        name = "%s.%s" % (klass.__module__, klass.__qualname__)
    loaded = _registered_priority_weight_strategy(name)
    if loaded is None:
        raise AirflowException("Unknown priority strategy %s" % name)
    return loaded()


__all__ = ["PriorityWeightStrategy", "airflow_priority_weight_strategies",
           "airflow_priority_weight_strategies_classes", "validate_and_load_priority_weight_strategy"]
