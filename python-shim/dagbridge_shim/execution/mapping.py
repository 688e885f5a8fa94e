"""Dynamic task mapping at run time: the arguments of one map index, as Airflow's expand inputs compute them.

``expand(a=[1, 2], b=["x", "y", "z"])`` makes the cross product in argument order with the last argument varying
fastest (map index 1 is ``a=1, b="y"``); a dict is mapped as its ``(key, value)`` items; an XComArg input is the
upstream value, or the list of every map index's value when the upstream is itself mapped.
``expand_kwargs(list_of_dicts)`` takes the ``map_index``-th dict. A task inside a mapped task group receives
the group's arguments through ``MappedArgument`` values, resolved the same way.
"""
from dagbridge_shim.execution.resolve import is_resolvable, resolve


def _is_mappable(value):
    return isinstance(value, dict) or (hasattr(value, "__getitem__") and hasattr(value, "__len__")
                                       and not isinstance(value, (str, bytes, bytearray)))


def _element(value, index, key):
    if isinstance(value, dict):
        for position, item in enumerate(value.items()):
            if position == index:
                return item
        raise IndexError("map index %d is over the mapped length of %r" % (index, key))
    return value[index]


def resolve_expand_input(expand_input, map_index, context, oids=None):
    """``{argument: value}`` for ``map_index`` of ``expand_input`` (DictOfLists or ListOfDicts).

    ``oids``, when a set, receives the ids of values that came from XComs: Airflow does not render those as
    templates.
    """
    if map_index < 0:
        raise RuntimeError("can't resolve task-mapping argument without expanding (map index %d)" % map_index)
    kind = getattr(expand_input, "kind", None) or (
        "expand_kwargs" if type(expand_input).__name__ == "ListOfDictsExpandInput" else "expand")
    if kind == "expand_kwargs":
        return _resolve_list_of_dicts(expand_input.value, map_index, context, oids)
    return _resolve_dict_of_lists(expand_input.value, map_index, context, oids)


def _resolve_dict_of_lists(inputs, map_index, context, oids):
    resolved = {}
    for key, value in inputs.items():
        if is_resolvable(value):
            value = resolve(value, context)
            if not _is_mappable(value):
                raise ValueError(
                    "expand() argument %r got %s from its upstream XCom; it needs a list or dict to map over"
                    % (key, type(value).__name__)
                )
            resolved[key] = (value, True)
        else:
            resolved[key] = (value, False)
    total = 1
    for key, (value, _) in resolved.items():
        if len(value) < 1:
            raise RuntimeError("cannot expand field %r mapped to length %d" % (key, len(value)))
        total *= len(value)
    if map_index >= total:
        raise IndexError("map index %d is over the mapped length %d" % (map_index, total))
    kwargs = {}
    index = map_index
    for key in reversed(list(resolved)):
        value, from_xcom = resolved[key]
        element = _element(value, index % len(value), key)
        index //= len(value)
        kwargs[key] = element
        if from_xcom and oids is not None:
            oids.add(id(element))
    return {key: kwargs[key] for key in resolved}


def _resolve_list_of_dicts(value, map_index, context, oids):
    from_xcom = is_resolvable(value)
    if from_xcom:
        value = resolve(value, context)
    if not _is_mappable(value) or isinstance(value, dict):
        raise ValueError("expand_kwargs() expects a list[dict], not %s" % type(value).__name__)
    if map_index >= len(value):
        raise IndexError("map index %d is over the mapped length %d" % (map_index, len(value)))
    mapping = value[map_index]
    if is_resolvable(mapping):
        mapping = resolve(mapping, context)
        from_xcom = True
    if not isinstance(mapping, dict):
        raise ValueError("expand_kwargs() expects a list[dict], not list[%s]" % type(mapping).__name__)
    kwargs = {}
    for key, element in mapping.items():
        if not isinstance(key, str):
            raise ValueError("expand_kwargs() input dict keys must all be str, but %r is of type %s"
                             % (key, type(key).__name__))
        if is_resolvable(element):
            element = resolve(element, context)
            if oids is not None:
                oids.add(id(element))
        elif from_xcom and oids is not None:
            oids.add(id(element))
        kwargs[key] = element
    return kwargs


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
