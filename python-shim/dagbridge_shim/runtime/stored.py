"""Task instances and DAG runs as the metadata store holds them, read over the supervisor channel when task code
asks (``dag_run.get_task_instances()``, ``ti.get_previous_ti()``, ``ti.get_previous_dagrun()``,
``refresh_from_db()``): plain objects with the attributes of Airflow's models, datetimes as UTC ``DateTime``.
Nothing is read until asked."""
from dagbridge_shim.runtime import channel
from dagbridge_shim.runtime.datetimes import parse_instant


class StoredTaskInstance:
    """A task instance row (``dagrun.task_instances``, ``ti.previous``)."""

    def __init__(self, row):
        self.dag_id = row["dagId"]
        self.run_id = row["runId"]
        self.task_id = row["taskId"]
        self.map_index = int(row.get("mapIndex", -1))
        # dagbridge stores "no state" as `none`; Airflow's models say None.
        state = row.get("state")
        self.state = None if state in (None, "none") else state
        self.try_number = row.get("tryNumber")
        self.max_tries = row.get("maxTries")
        self.queue = row.get("queue")
        self.pool = row.get("pool")
        self.priority_weight = row.get("priorityWeight")
        self.start_date = parse_instant(row.get("startDate"))
        self.end_date = parse_instant(row.get("endDate"))
        self.hostname = row.get("hostname")
        run = row.get("run")
        self._dag_run = StoredDagRun(run) if run else None

    def get_dagrun(self, session=None):
        return self._dag_run

    def __repr__(self):
        suffix = "" if self.map_index < 0 else " map_index=%d" % self.map_index
        return "<TaskInstance: %s.%s %s%s [%s]>" % (self.dag_id, self.task_id, self.run_id, suffix, self.state)


class StoredDagRun:
    """A DAG run row (``dagrun.get``, ``dagrun.previous``)."""

    def __init__(self, row):
        self.dag_id = row["dagId"]
        self.run_id = row["runId"]
        self.run_type = row.get("runType")
        self.state = row.get("state")
        self.logical_date = parse_instant(row.get("logicalDate"))
        self.execution_date = self.logical_date
        self.data_interval_start = parse_instant(row.get("dataIntervalStart"))
        self.data_interval_end = parse_instant(row.get("dataIntervalEnd"))
        self.run_after = parse_instant(row.get("runAfter"))
        self.conf = row.get("conf") or {}
        self.start_date = parse_instant(row.get("startDate"))
        self.end_date = parse_instant(row.get("endDate"))
        self.external_trigger = self.run_type == "manual"

    def __repr__(self):
        return "<DagRun %s @ %s: %s, state:%s>" % (self.dag_id, self.logical_date, self.run_id, self.state)


def states_filter(state):
    """Airflow's ``state`` argument of ``get_task_instances``: None or empty means every state, a string one
    state, an iterable several (None in it matches instances without a state)."""
    if not state:
        return None
    if isinstance(state, str):
        return [str(state)]
    return [None if s is None else str(s) for s in state]


def task_instances_of_run(state):
    """This task's own run's instances (``dagrun.task_instances``), in the given states."""
    rows = channel.request("dagrun.task_instances", {"states": states_filter(state)}) or []
    return [StoredTaskInstance(row) for row in rows]


def previous_task_instance(state):
    """This task in the run before this one (of ``state`` when given), or None (``ti.previous``)."""
    row = channel.request("ti.previous", {"state": None if state is None else str(state)})
    return StoredTaskInstance(row) if row else None


def previous_dag_run(state):
    """The run of this DAG before this one (of ``state`` when given), or None (``dagrun.previous``)."""
    row = channel.request("dagrun.previous", {"state": None if state is None else str(state)})
    return StoredDagRun(row) if row else None


def this_run():
    """This task's run as stored now (``dagrun.get``)."""
    row = channel.request("dagrun.get", {})
    return StoredDagRun(row) if row else None


def heartbeat():
    """``ti.heartbeat``: ``{state, tryNumber, stillOwned}`` of this task instance as stored now."""
    return channel.request("ti.heartbeat", {}) or {}
