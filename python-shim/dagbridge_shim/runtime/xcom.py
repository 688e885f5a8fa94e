"""XComs of one task run: the upstream values the run input carries, this attempt's pushes, and pulls with
Airflow's return shapes.

Only JSON values may be pushed (contract 3): a value ``json`` cannot encode fails the push at once, with a
message naming the key and the value's type, so the task's traceback points at the offending line.
"""
import json

RETURN_KEY = "return_value"


class _NotSet:
    def __repr__(self):
        return "NOTSET"

    def __bool__(self):
        return False


#: "Argument not given" (Airflow's NOTSET): Airflow 3's xcom_pull tells it apart from ``map_indexes=None``.
NOT_SET = _NotSet()


class XComNotJsonError(TypeError):
    """A pushed XCom value that is not JSON (contract 3 carries JSON only)."""


class XComNotFound(KeyError):
    """An XComArg whose upstream value is missing (Airflow's ``XComNotFound``)."""

    def __init__(self, dag_id, task_id, key):
        super().__init__(dag_id, task_id, key)
        self.dag_id, self.task_id, self.key = dag_id, task_id, key

    def __str__(self):
        return 'XComArg result from %s at %s with key="%s" is not found!' % (self.task_id, self.dag_id, self.key)


def check_json(key, value, task_id=None):
    """Raises ``XComNotJsonError`` unless ``value`` is JSON (no NaN/Infinity, string keys or int/float/bool)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        owner = " of task %r" % task_id if task_id else ""
        raise XComNotJsonError(
            "XCom %r%s is not JSON-serialisable: got a value of type %s (%s). XComs must be JSON "
            "(str, int, float, bool, None, list, dict with string keys); convert the value before returning "
            "or pushing it" % (key, owner, _type_name(value), error)
        ) from None


def _type_name(value):
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else "%s.%s" % (cls.__module__, cls.__qualname__)


class _Entry:
    __slots__ = ("task_id", "map_index", "key", "value", "order")

    def __init__(self, task_id, map_index, key, value, order):
        self.task_id, self.map_index, self.key, self.value, self.order = task_id, map_index, key, value, order


class XComStore:
    """Upstream XComs (from the run input) plus this attempt's pushes, queried like Airflow's XCom table."""

    def __init__(self, upstream, own_map_index):
        self._entries = []
        self._own_map_index = own_map_index
        self._pushed = {}
        for raw in upstream or []:
            self._entries.append(_Entry(raw["taskId"], int(raw.get("mapIndex", -1)), raw["key"], raw.get("value"),
                                        len(self._entries)))

    def push(self, key, value, task_id):
        """Records ``value`` under ``key``; a second push of the same key replaces the first (as XCom.set)."""
        if not isinstance(key, str) or not key:
            raise ValueError("XCom key must be a non-empty string, got %r" % (key,))
        check_json(key, value, task_id)
        self._entries = [e for e in self._entries
                         if not (e.task_id == task_id and e.map_index == self._own_map_index and e.key == key)]
        self._entries.append(_Entry(task_id, self._own_map_index, key, value, len(self._entries) + 1_000_000))
        self._pushed.pop(key, None)
        self._pushed[key] = value

    def pushed(self):
        """This attempt's pushes, in push order: ``[{key, value}]``."""
        return [{"key": key, "value": value} for key, value in self._pushed.items()]

    def pushed_value(self, key, default=None):
        return self._pushed.get(key, default)

    def _select(self, task_ids, key, map_indexes):
        selected = []
        for entry in self._entries:
            if key is not None and entry.key != key:
                continue
            if task_ids is not None:
                if isinstance(task_ids, str):
                    if entry.task_id != task_ids:
                        continue
                elif entry.task_id not in task_ids:
                    continue
            if map_indexes is not None:
                if isinstance(map_indexes, int):
                    if entry.map_index != map_indexes:
                        continue
                elif entry.map_index not in map_indexes:
                    continue
            selected.append(entry)
        return selected

    def pull(self, task_ids, key, map_indexes, default):
        """Airflow 2's ``TaskInstance.xcom_pull`` shapes.

        - one task (``task_ids`` None or a string) and ``map_indexes`` not a list: the value; when that task is
          mapped (and ``map_indexes`` is None), the list of all its map indexes' values in map-index order;
          ``default`` when nothing matches. ``task_ids=None`` means any task: the latest value wins.
        - several tasks or map indexes: the list of values ordered by ``task_ids`` then ``map_indexes``
          (missing ones left out).
        """
        if isinstance(task_ids, (list, tuple, set, frozenset)) or not isinstance(task_ids, (str, type(None))):
            task_ids = list(task_ids)
        if map_indexes is not None and not isinstance(map_indexes, int):
            map_indexes = list(map_indexes)
        selected = self._select(task_ids, key, map_indexes)
        single = (task_ids is None or isinstance(task_ids, str)) and not isinstance(map_indexes, list)
        if single:
            if not selected:
                return default
            first = max(selected, key=lambda e: e.order)
            if map_indexes is not None or first.map_index < 0:
                return first.value
            mapped = [e for e in selected if e.task_id == first.task_id and e.map_index >= 0]
            return [e.value for e in sorted(mapped, key=lambda e: e.map_index)]
        task_rank = {tid: i for i, tid in enumerate(task_ids)} if isinstance(task_ids, list) else None
        index_rank = {mi: i for i, mi in enumerate(map_indexes)} if isinstance(map_indexes, list) else None

        def ordering(entry):
            return (task_rank[entry.task_id] if task_rank is not None else entry.task_id,
                    index_rank[entry.map_index] if index_rank is not None else entry.map_index)

        return [e.value for e in sorted(selected, key=ordering)]

    def pull_v3(self, own_task_id, task_ids, key, map_indexes, default):
        """Airflow 3's ``RuntimeTaskInstance.xcom_pull`` shapes: ``task_ids=None`` means this task; without
        ``map_indexes`` (NOT_SET) every map index of each task is returned (a single value for one unmapped
        task, None when it has none); ``map_indexes=None`` means the unmapped instance (-1)."""
        single_task = task_ids is None or isinstance(task_ids, str)
        if task_ids is None:
            task_ids = [own_task_id]
        elif isinstance(task_ids, str):
            task_ids = [task_ids]
        else:
            task_ids = list(task_ids)
        if map_indexes is NOT_SET:
            values = []
            for task_id in task_ids:
                found = sorted(self._select(task_id, key, None), key=lambda e: e.map_index)
                if found:
                    values.extend(e.value for e in found)
                else:
                    values.append(None)
            if single_task and len(values) == 1:
                return values[0]
            return values
        if map_indexes is None:
            map_indexes = -1
        single_index = isinstance(map_indexes, int)
        indexes = [map_indexes] if single_index else list(map_indexes)
        values = []
        for task_id in task_ids:
            for index in indexes:
                found = self._select(task_id, key, index)
                values.append(found[-1].value if found else default)
        if single_task and single_index:
            return values[0]
        return values
