"""Helpers the operator kinds share: an operator's class names, a duration in seconds, the keyword arguments a
callable accepts, and a DAG's task groups."""
from datetime import timedelta

_CO_VARKEYWORDS = 0x08


def class_names(op):
    """The names of the classes along ``op``'s MRO: stand-in and real Airflow classes match by name."""
    return [cls.__name__ for cls in type(op).__mro__]


def defining_class(op, name):
    """The class in ``op``'s MRO whose ``name`` attribute ``op`` uses (None when none defines it)."""
    return next((klass for klass in type(op).__mro__ if name in vars(klass)), None)


def seconds(value, default):
    """``value`` (a timedelta or a number of seconds) in seconds; ``default`` when it is None."""
    if value is None:
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def is_bash_decorated(task):
    """Whether ``task`` is a ``@task.bash`` operator (its command is known only once its function ran)."""
    return "_BashDecoratedOperator" in class_names(task)


def _parameters(function):
    """(parameter names, takes **kwargs) without importing ``inspect`` for plain functions and methods."""
    target = function
    drop_first = False
    if getattr(target, "__self__", None) is not None and hasattr(target, "__func__"):
        target, drop_first = target.__func__, True
    code = getattr(target, "__code__", None)
    if code is None or hasattr(target, "__wrapped__") or getattr(target, "__signature__", None) is not None:
        import inspect  # slow to import; plain functions and methods never need it

        signature = inspect.signature(function)
        names = [p.name for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return names, any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    names = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    if drop_first:
        names = names[1:]
    return names, bool(code.co_flags & _CO_VARKEYWORDS)


def determine_kwargs(function, args, kwargs):
    """The part of ``kwargs`` (the context merged with op_kwargs) that ``function`` accepts after the positional
    ``args``: everything when it takes ``**kwargs``, else the names it declares (Airflow's
    ``KeywordParameters.determine``)."""
    names, wildcard = _parameters(function)
    for name in names[:len(args)]:
        if name in kwargs:
            raise ValueError("The key %r in args is a part of kwargs and therefore reserved." % name)
    if wildcard:
        return kwargs
    return {name: kwargs[name] for name in names if name in kwargs}


def find_task_group(dag, group_id):
    """The TaskGroup ``group_id`` of ``dag``, or None."""
    groups = getattr(dag, "task_group_dict", None)
    if isinstance(groups, dict):
        return groups.get(group_id)
    root = getattr(dag, "task_group", None)
    stack = [root] if root is not None else []
    while stack:
        group = stack.pop()
        if getattr(group, "group_id", None) == group_id:
            return group
        children = getattr(group, "children", None) or {}
        stack.extend(child for child in children.values() if hasattr(child, "children"))
    return None


def group_roots(group):
    """The tasks of ``group`` with no upstream inside the group (Airflow's ``TaskGroup.roots``)."""
    roots = getattr(group, "roots", None)
    if roots is not None and not callable(roots):
        return list(roots)
    get_roots = getattr(group, "get_roots", None)
    if callable(get_roots):
        return list(get_roots())
    return []


def task_ids_of(dag):
    ids = getattr(dag, "task_ids", None)
    if ids is None:
        ids = list(getattr(dag, "task_dict", {}).keys())
    return set(ids)


def flat_downstream_ids(task):
    """Every task downstream of ``task``, recursively."""
    relatives = getattr(task, "get_flat_relative_ids", None)
    if callable(relatives):
        return set(relatives(upstream=False))
    dag = task.dag
    found, stack = set(), list(task.downstream_task_ids)
    while stack:
        task_id = stack.pop()
        if task_id not in found:
            found.add(task_id)
            stack.extend(dag.get_task(task_id).downstream_task_ids)
    return found
