"""ExternalTaskSensor and ExternalTaskMarker (Airflow 2.10.5's arguments and checks). The sensor's poke asks the
worker for the other DAG's states over the supervisor channel (dagbridge_shim.execution.external_task)."""
from airflow.exceptions import AirflowException, AirflowSkipException
from airflow.models.baseoperator import BaseOperator
from airflow.sensors.base import BaseSensorOperator
from airflow.utils.state import State


class ExternalTaskSensor(BaseSensorOperator):
    """Waits for a task (or task group, or the whole DAG run) of another DAG at the matching logical date."""

    template_fields = ("external_dag_id", "external_task_id", "external_task_ids", "external_task_group_id")
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id,
        external_task_id=None,
        external_task_ids=None,
        external_task_group_id=None,
        allowed_states=None,
        skipped_states=None,
        failed_states=None,
        execution_delta=None,
        execution_date_fn=None,
        check_existence=False,
        poll_interval=2.0,
        deferrable=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.allowed_states = list(allowed_states) if allowed_states else [str(State.SUCCESS)]
        self.skipped_states = list(skipped_states) if skipped_states else []
        self.failed_states = list(failed_states) if failed_states else []
        total_states = set(self.allowed_states + self.skipped_states + self.failed_states)
        if len(total_states) != len(self.allowed_states) + len(self.skipped_states) + len(self.failed_states):
            raise AirflowException(
                "Duplicate values provided across allowed_states, skipped_states and failed_states.")
        if not external_task_ids:
            external_task_ids = None
        if external_task_id is not None and external_task_ids is not None:
            raise ValueError(
                "Only one of `external_task_id` or `external_task_ids` may be provided to ExternalTaskSensor; "
                "use external_task_id or external_task_ids or external_task_group_id."
            )
        if external_task_id is not None:
            external_task_ids = [external_task_id]
        if external_task_group_id is not None and external_task_ids is not None:
            raise ValueError(
                "Only one of `external_task_group_id` or `external_task_ids` may be provided to ExternalTaskSensor; "
                "use external_task_id or external_task_ids or external_task_group_id."
            )
        if external_task_ids or external_task_group_id:
            if not total_states <= set(State.task_states):
                raise ValueError(
                    "Valid values for `allowed_states`, `skipped_states` and `failed_states` when `external_task_id` "
                    "or `external_task_ids` or `external_task_group_id` is not `None`: %s" % (State.task_states,))
        elif not total_states <= set(State.dag_states):
            raise ValueError(
                "Valid values for `allowed_states`, `skipped_states` and `failed_states` when `external_task_id` and "
                "`external_task_group_id` is `None`: %s" % (State.dag_states,))
        if execution_delta is not None and execution_date_fn is not None:
            raise ValueError(
                "Only one of `execution_delta` or `execution_date_fn` may be provided to ExternalTaskSensor; not both."
            )
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = external_task_ids
        self.external_task_group_id = external_task_group_id
        self.check_existence = check_existence
        self._has_checked_existence = False
        self.poll_interval = poll_interval
        self.deferrable = deferrable

    def poke(self, context):
        from dagbridge_shim.execution.external_task import poke_external_task

        return poke_external_task(self, context)

    def execute(self, context):
        """As Airflow 2.10.5's: poke, or with ``deferrable`` defer on a WorkflowTrigger watching the allowed
        states only (its failed and skipped states are not passed), bounded by ``execution_timeout``."""
        if not self.deferrable:
            return super().execute(context)
        from airflow.triggers.external_task import WorkflowTrigger
        from dagbridge_shim.execution.external_task import logical_dates

        self.defer(
            timeout=self.execution_timeout,
            trigger=WorkflowTrigger(
                external_dag_id=self.external_dag_id,
                external_task_group_id=self.external_task_group_id,
                external_task_ids=self.external_task_ids,
                execution_dates=logical_dates(self, context),
                allowed_states=self.allowed_states,
                poke_interval=self.poll_interval,
                soft_fail=self.soft_fail,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context, event=None):
        """Airflow 2.10.5's: ``success`` returns, ``skipped`` skips, anything else fails (skips with soft_fail)."""
        if event["status"] == "success":
            self.log.info("External tasks %s has executed successfully.", self.external_task_ids)
        elif event["status"] == "skipped":
            raise AirflowSkipException("External job has skipped skipping.")
        elif self.soft_fail:
            raise AirflowSkipException("External job has failed skipping.")
        else:
            raise AirflowException("Error occurred while trying to retrieve task status. Please, check the "
                                   "name of executed task and Dag.")


class ExternalTaskMarker(BaseOperator):
    """Marks a dependency of another DAG on this task (used when clearing); it does nothing when run."""

    template_fields = ("external_dag_id", "external_task_id", "execution_date", "logical_date")
    ui_color = "#4db7db"
    # Core Airflow, not a provider: it runs (doing nothing) wherever the shim runs.
    _dagbridge_kind = "custom"

    def __init__(self, *, external_dag_id, external_task_id, execution_date="{{ logical_date.isoformat() }}",
                 logical_date=None, recursion_depth=10, **kwargs):
        super().__init__(**kwargs)
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.execution_date = execution_date
        self.logical_date = logical_date or execution_date
        self.recursion_depth = recursion_depth

    def execute(self, context):
        pass
