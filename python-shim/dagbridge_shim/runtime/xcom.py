"""XComs of one task run: pulls with Airflow's return shapes, read over the supervisor channel when they are made
(or, without a channel, from the upstream values the run input carries), and pushes.

Only JSON values may be pushed (contract 3): a value ``json`` cannot encode fails the push at once, with a
message naming the key and the value's type, so the task's traceback points at the offending line.
"""
import json

from dagbridge_shim.runtime import channel

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
    """XComs as Airflow's XCom table answers a task: over the supervisor channel when the task has one (read when
    pulled, written when pushed), else the run input's upstream XComs plus this attempt's pushes.

    ``_query`` is Airflow's ``XCom.get_many``: the entries of the DAG(s) and run (or, with
    ``include_prior_dates``, every run up to this one's logical date), newest run first, then most recent first.
    """

    def __init__(self, upstream, own_map_index, own=None, use_channel=None):
        self._entries = []
        self._own_map_index = own_map_index
        self._own = own or {}
        self._pushed = {}
        self._channel = channel.available() if use_channel is None else use_channel
        for raw in upstream or []:
            self._entries.append(_Entry(raw["taskId"], int(raw.get("mapIndex", -1)), raw["key"], raw.get("value"),
                                        len(self._entries)))

    def push(self, key, value, task_id):
        """Records ``value`` under ``key``; a second push of the same key replaces the first (as XCom.set)."""
        if not isinstance(key, str) or not key:
            raise ValueError("XCom key must be a non-empty string, got %r" % (key,))
        check_json(key, value, task_id)
        if self._channel:
            channel.request("xcom.push", {"key": key, "value": value})
            return
        self._entries = [e for e in self._entries
                         if not (e.task_id == task_id and e.map_index == self._own_map_index and e.key == key)]
        self._entries.append(_Entry(task_id, self._own_map_index, key, value, len(self._entries) + 1_000_000))
        self._pushed.pop(key, None)
        self._pushed[key] = value

    def pushed(self):
        """This attempt's pushes not already stored through the channel, in push order: ``[{key, value}]``."""
        return [{"key": key, "value": value} for key, value in self._pushed.items()]

    def _query(self, task_ids, key, map_indexes, dag_id=None, include_prior_dates=False, limit=None, run_id=None):
        if isinstance(task_ids, str):
            task_ids = [task_ids]
        if isinstance(map_indexes, int):
            map_indexes = [map_indexes]
        if self._channel:
            payload = {"taskIds": None if task_ids is None else [str(t) for t in task_ids], "key": key or None,
                       "mapIndexes": None if map_indexes is None else [int(i) for i in map_indexes],
                       "includePriorDates": bool(include_prior_dates), "limit": limit}
            if dag_id is not None:
                payload["dagId"] = dag_id
            if run_id is not None:
                payload["runId"] = run_id
            rows = channel.request("xcom.pull", payload) or []
            return [_Entry(r["taskId"], int(r["mapIndex"]), r["key"], r.get("value"), i) for i, r in enumerate(rows)]
        own_dag = self._own.get("dag_id")
        if dag_id is not None and own_dag is not None and dag_id != own_dag:
            return []
        own_run = self._own.get("run_id")
        if run_id is not None and own_run is not None and run_id != own_run:
            return []
        selected = [e for e in self._entries
                    if (not key or e.key == key)
                    and (task_ids is None or e.task_id in task_ids)
                    and (map_indexes is None or e.map_index in map_indexes)]
        selected.sort(key=lambda e: -e.order)
        return selected[:limit] if limit else selected

    def pull(self, task_ids, key, map_indexes, default, dag_id=None, include_prior_dates=False, run_id=None):
        """Airflow 2.10.5's ``TaskInstance.xcom_pull`` shapes.

        - one task (``task_ids`` None or a string) and ``map_indexes`` not a list: the most recent matching value;
          when it is of a mapped instance (and ``map_indexes`` is None), the list of every matching value in
          map-index order; ``default`` when nothing matches. ``task_ids=None`` means any task.
        - several tasks or map indexes: the list of values ordered by ``task_ids`` then ``map_indexes``
          (missing ones left out).
        """
        if task_ids is not None and not isinstance(task_ids, str):
            task_ids = list(task_ids)
        if map_indexes is not None and not isinstance(map_indexes, int):
            map_indexes = list(map_indexes)
        single = (task_ids is None or isinstance(task_ids, str)) and not isinstance(map_indexes, list)
        if single:
            first = self._query(task_ids, key, map_indexes, dag_id, include_prior_dates, limit=1, run_id=run_id)
            if not first:
                return default
            if map_indexes is not None or first[0].map_index < 0:
                return first[0].value
            every = self._query(task_ids, key, map_indexes, dag_id, include_prior_dates, run_id=run_id)
            return [e.value for e in sorted(every, key=lambda e: e.map_index)]
        selected = self._query(task_ids, key, map_indexes, dag_id, include_prior_dates, run_id=run_id)
        task_rank = {tid: i for i, tid in enumerate(task_ids)} if isinstance(task_ids, list) else None
        index_rank = {mi: i for i, mi in enumerate(map_indexes)} if isinstance(map_indexes, list) else None

        def ordering(entry):
            return (task_rank[entry.task_id] if task_rank else entry.task_id,
                    index_rank[entry.map_index] if index_rank else entry.map_index)

        return [e.value for e in sorted(selected, key=ordering)]

    def pull_v3(self, own_task_id, task_ids, key, map_indexes, default, dag_id=None, include_prior_dates=False,
                run_id=None):
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
                found = sorted(self._query(task_id, key, None, dag_id, include_prior_dates, run_id=run_id), key=lambda e: e.map_index)
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
                found = self._query(task_id, key, index, dag_id, include_prior_dates, limit=1, run_id=run_id)
                values.append(found[0].value if found else default)
        if single_task and single_index:
            return values[0]
        return values
