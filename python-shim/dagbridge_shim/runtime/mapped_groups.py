"""Mapped task groups: which task groups of a task are mapped, and which map indexes of an upstream an XComArg
in a mapped task refers to (Airflow's ``get_relevant_upstream_map_indexes``)."""


def parent_group(group):
    for name in ("parent_group", "_parent_group"):
        parent = getattr(group, name, None)
        if parent is not None and not callable(parent):
            return parent
    return None


def is_mapped_group(group):
    return bool(getattr(group, "is_mapped", False)) or getattr(group, "_expand_input", None) is not None \
        or type(group).__name__ == "MappedTaskGroup"


def mapped_groups(node):
    """The mapped task groups ``node`` sits in, innermost first."""
    groups = []
    group = getattr(node, "task_group", None)
    while group is not None:
        if is_mapped_group(group):
            groups.append(group)
        group = parent_group(group)
    return groups


def relevant_upstream_map_indexes(task, upstream, map_index):
    """Which map indexes of ``upstream`` an XComArg in ``task`` (at ``map_index``) refers to: this task's own
    index when both sit in the same mapped task group (and the upstream is not mapped again inside it), else
    all of them (None), as Airflow's ``get_relevant_upstream_map_indexes``."""
    if map_index is None or map_index < 0 or task is None:
        return None
    theirs = {id(group) for group in mapped_groups(upstream)}
    if not any(id(group) in theirs for group in mapped_groups(task)):
        return None
    if getattr(upstream, "is_mapped", False):
        return None
    return map_index
