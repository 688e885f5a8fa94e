"""The runtime ``DagRun`` and ``TaskInstance`` of the task context: the attributes Airflow's models offer task
code, built from the task run input (contract 3). What the metadata store knows beyond that input (the run's
task instances, the previous run, this instance's state now) is read over the supervisor channel when asked
(``dagbridge_shim.runtime.stored``)."""
from dagbridge_shim.runtime import stored
from dagbridge_shim.runtime.current_context import get_current_context
from dagbridge_shim.runtime.datetimes import utcnow
from dagbridge_shim.runtime.mapped_groups import relevant_upstream_map_indexes
from dagbridge_shim.runtime.xcom import NOT_SET


class DagRun:
    """The ``dag_run`` of the context: the attributes Airflow's DagRun offers to task code."""

    def __init__(self, run_input, dag):
        self.dag_id = run_input.dag_id
        self.run_id = run_input.run_id
        self.run_type = run_input.run_type
        self.conf = dict(run_input.conf)
        self.logical_date = run_input.logical_date
        self.execution_date = run_input.logical_date
        self.data_interval_start = run_input.data_interval_start
        self.data_interval_end = run_input.data_interval_end
        self.run_after = run_input.run_after
        self.start_date = run_input.dag_run_start_date
        self.queued_at = getattr(run_input, "dag_run_queued_at", None)
        self.end_date = getattr(run_input, "dag_run_end_date", None)
        self.dag_hash = getattr(run_input, "dag_hash", None)
        self.external_trigger = run_input.external_trigger
        # LatestOnlyOperator's window: the next run's data interval, when the runner input carries it.
        self._next_data_interval_known = getattr(run_input, "next_data_interval_known", False)
        self._next_data_interval = getattr(run_input, "next_data_interval", None)
        self.state = "running"
        self.dag = dag

    def get_dag(self):
        return self.dag

    def get_task_instances(self, state=None, session=None):
        """This run's task instances as stored now (Airflow's ``DagRun.get_task_instances``)."""
        return stored.task_instances_of_run(state)

    def get_task_instance(self, task_id, session=None, *, map_index=-1):
        for ti in stored.task_instances_of_run(None):
            if ti.task_id == task_id and ti.map_index == map_index:
                return ti
        return None

    def refresh_from_db(self, session=None):
        """Reads this run's state and dates again."""
        current = stored.this_run()
        if current is not None:
            self.state, self.start_date, self.end_date = current.state, current.start_date, current.end_date

    def __repr__(self):
        return "<DagRun %s @ %s: %s, state:%s, queued_at: %s. externally triggered: %s>" % (
            self.dag_id, self.logical_date, self.run_id, self.state, self.queued_at, self.external_trigger)


class TaskInstance:
    """The ``ti`` / ``task_instance`` of the context: identity, try numbers, XCom push/pull (over the channel
    when the task has one), and the previous run's instance and run, read when asked."""

    def __init__(self, task, run_input, xcom_store, airflow_style):
        self.task = task
        self.task_id = run_input.task_id
        self.dag_id = run_input.dag_id
        self.run_id = run_input.run_id
        self.map_index = run_input.map_index
        self.try_number = run_input.try_number
        self.max_tries = run_input.max_tries
        self.logical_date = run_input.logical_date
        self.execution_date = run_input.logical_date
        self.start_date = utcnow()
        self.state = "running"
        self.operator = type(task).__name__
        self.queue = getattr(task, "queue", "default")
        self.pool = getattr(task, "pool", "default_pool")
        self.test_mode = run_input.test_mode
        self._sensor_first_poke_at = run_input.sensor_first_poke_at
        self._xcoms = xcom_store
        self._airflow_style = airflow_style
        self._dag_run = None

    @property
    def key(self):
        return (self.dag_id, self.task_id, self.run_id, self.try_number, self.map_index)

    def xcom_push(self, key, value, execution_date=None, session=None):
        """Stores ``value`` (JSON only) under ``key`` for this task instance."""
        self._xcoms.push(key, value, self.task_id)

    def xcom_pull(self, task_ids=None, dag_id=None, key="return_value", include_prior_dates=False, session=None,
                  map_indexes=NOT_SET, default=None, run_id=None):
        """Airflow's ``xcom_pull`` with its return shapes (``XComStore.pull``, or ``pull_v3`` for Airflow 3
        files), read when called: any task, another DAG (``dag_id``, same run id as in Airflow), another run
        (``run_id``) and prior runs (``include_prior_dates``)."""
        if self._airflow_style == 3:
            return self._xcoms.pull_v3(self.task_id, task_ids, key, map_indexes, default, dag_id, include_prior_dates,
                                       run_id)
        return self._xcoms.pull(task_ids, key, None if map_indexes is NOT_SET else map_indexes, default, dag_id,
                                include_prior_dates, run_id)

    def get_dagrun(self, session=None):
        return self._dag_run

    def get_previous_dagrun(self, state=None, session=None):
        """The run of this DAG before this one, of ``state`` when given (Airflow 2.10.5's
        ``DagRun.get_previous_dagrun``: the latest with an earlier logical date)."""
        return stored.previous_dag_run(state)

    def get_previous_ti(self, state=None, session=None):
        """This task in the previous run (``state`` filters the run, as in Airflow), or None."""
        return stored.previous_task_instance(state)

    def get_previous_execution_date(self, state=None, session=None):
        run = stored.previous_dag_run(state)
        return run.logical_date if run else None

    def get_previous_start_date(self, state=None, session=None):
        previous = stored.previous_task_instance(state)
        return previous.start_date if previous else None

    def refresh_from_db(self, session=None, lock_for_update=False):
        """Reads this instance's state and try number again (``ti.heartbeat``): a cleared try reads
        ``restarting``."""
        current = stored.heartbeat()
        if current.get("state") is not None:
            self.state = None if current["state"] == "none" else current["state"]
            self.try_number = current.get("tryNumber", self.try_number)

    def get_template_context(self, session=None, ignore_param_exceptions=True):
        return get_current_context()

    def get_relevant_upstream_map_indexes(self, upstream, ti_count, session=None):
        return relevant_upstream_map_indexes(self.task, upstream, self.map_index)

    @property
    def hostname(self):
        # socket is one of the slower standard modules to import; only a task that asks for its host pays.
        import socket

        try:
            return socket.getfqdn()
        except OSError:
            return "localhost"

    @property
    def log_url(self):
        return ""

    def __repr__(self):
        suffix = "" if self.map_index < 0 else " map_index=%d" % self.map_index
        return "<TaskInstance: %s.%s %s%s [%s]>" % (self.dag_id, self.task_id, self.run_id, suffix, self.state)


