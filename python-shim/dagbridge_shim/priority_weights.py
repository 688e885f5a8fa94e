"""Custom priority weight strategies: a task whose ``weight_rule`` is a ``PriorityWeightStrategy`` other than
Airflow's three (``absolute``, ``downstream``, ``upstream``, which the scheduler computes itself in
src/dag/priority.ts) has its weights evaluated here, at export, by calling the strategy's own ``get_weight``
(docs/scheduling.md, "Priority weights").

What Airflow 2.10.5 passes: ``TaskInstance.insert_mapping`` (and ``expand_mapped_task`` for map indexes it adds
at run time) computes ``task.weight_rule.get_weight(TaskInstance(task=task, run_id=run_id, map_index=i))`` once,
when the task instance is created: ``try_number`` is 0, the instance has no state and no DAG run loaded. The
weight is stored in ``task_instance.priority_weight`` and is not computed again for retries (only a clear, in
``clear_task_instances``, calls ``refresh_from_task`` again). A mapped task whose length is known when the run is
created gets one instance per index; one expanded later keeps the weight of its map index -1 placeholder for
index 0 (the placeholder is renumbered) and gets ``get_weight`` of its own index for 1, 2, ...

So the export evaluates ``get_weight`` with a :class:`CreationTaskInstance` for map index -1 and, for a mapped
task whose strategy reads ``map_index``, for every index up to Airflow's ``max_map_length`` default (1024): the
scheduler then needs no Python when it creates instances. ``run_id`` is None here (a strategy that reads it gets
no run's id; docs/compatibility.md).
"""
#: Airflow's ``[core] max_map_length`` default: the most instances a mapped task expands into.
MAX_MAP_LENGTH = 1024

BUILTIN_CLASS_NAMES = {
    "_AbsolutePriorityWeightStrategy": "absolute",
    "_DownstreamPriorityWeightStrategy": "downstream",
    "_UpstreamPriorityWeightStrategy": "upstream",
}


def qualname(cls):
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def rule_name(weight_rule):
    """The serialized ``weight_rule``: a built-in strategy's name (``encode_priority_weight_strategy``), a custom
    one's class path; a name as given (Airflow before 2.9 and the ``WeightRule`` enum)."""
    if weight_rule is None:
        return "downstream"
    if isinstance(weight_rule, str):
        return str(getattr(weight_rule, "value", weight_rule))
    klass = type(weight_rule)
    if klass.__module__ == "airflow.task.priority_strategy" and klass.__name__ in BUILTIN_CLASS_NAMES:
        return BUILTIN_CLASS_NAMES[klass.__name__]
    return qualname(klass)


def is_custom(weight_rule):
    return callable(getattr(weight_rule, "get_weight", None)) and rule_name(weight_rule) not in BUILTIN_CLASS_NAMES.values()


class CreationTaskInstance:
    """The task instance ``get_weight`` receives when Airflow creates one: the task and its copied settings
    (``refresh_from_task``), ``try_number`` 0, no state. Records which attributes the strategy read."""

    def __init__(self, task, map_index):
        reads = set()
        object.__setattr__(self, "_reads", reads)
        values = {
            "task": task,
            "dag_id": getattr(task, "dag_id", None),
            "task_id": task.task_id,
            "run_id": None,
            "map_index": map_index,
            "try_number": 0,
            "max_tries": int(getattr(task, "retries", 0) or 0),
            "state": None,
            "queue": getattr(task, "queue", None),
            "pool": getattr(task, "pool", None),
            "pool_slots": getattr(task, "pool_slots", 1),
            "priority_weight": None,
            "run_as_user": getattr(task, "run_as_user", None),
            "executor": getattr(task, "executor", None),
            "executor_config": getattr(task, "executor_config", None),
            "operator": getattr(task, "task_type", type(task).__name__),
            "custom_operator_name": getattr(task, "custom_operator_name", None),
            "hostname": "",
            "dag_run": None,
            "execution_date": None,
            "logical_date": None,
            "start_date": None,
            "end_date": None,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def _try_number(self):
        """Airflow 2.10's deprecated alias (Airflow's own example strategy reads it)."""
        return self.try_number

    def __getattribute__(self, name):
        if not name.startswith("__") and name != "_reads":
            object.__getattribute__(self, "_reads").add("try_number" if name == "_try_number" else name)
        return object.__getattribute__(self, name)

    @property
    def reads(self):
        return frozenset(object.__getattribute__(self, "_reads"))

    def __repr__(self):
        return "<TaskInstance: %s.%s map_index=%s [None]>" % (self.dag_id, self.task_id, self.map_index)


def _weight(strategy, task, map_index):
    from airflow.exceptions import AirflowException

    ti = CreationTaskInstance(task, map_index)
    try:
        weight = strategy.get_weight(ti)
    except Exception as exc:
        raise AirflowException("task %s: priority weight strategy %s.get_weight(map_index=%s) raised %s: %s" % (
            task.task_id, rule_name(strategy), map_index, type(exc).__name__, exc)) from exc
    if not isinstance(weight, int) or isinstance(weight, bool):
        raise AirflowException("task %s: priority weight strategy %s.get_weight(map_index=%s) returned %r, not an "
                               "int (task_instance.priority_weight is an integer)" % (
                                   task.task_id, rule_name(strategy), map_index, weight))
    return weight, ti.reads


def _trimmed(weights):
    """A table whose trailing run of equal weights is one entry (the scheduler reads the last entry beyond it)."""
    end = len(weights)
    while end > 1 and weights[end - 1] == weights[end - 2]:
        end -= 1
    return weights[:end]


def custom_weight_spec(task, weight_rule, mapped):
    """``{"strategy", "weight", "byMapIndex"}`` for a custom strategy, or None for a built-in rule. ``weight`` is
    ``get_weight`` at map index -1; ``byMapIndex`` (index 0, 1, ...; the last entry holds for higher indexes) is
    there for a mapped task whose strategy reads ``map_index``. Raises AirflowException naming the task when
    ``get_weight`` raises or returns something other than an int."""
    if not is_custom(weight_rule):
        return None
    weight, reads = _weight(weight_rule, task, -1)
    by_map_index = None
    if mapped and "map_index" in reads:
        by_map_index = _trimmed([_weight(weight_rule, task, index)[0] for index in range(MAX_MAP_LENGTH)])
    return {"strategy": rule_name(weight_rule), "weight": weight, "byMapIndex": by_map_index}
