"""Triggers that wait for other DAGs' tasks (stand-in of airflow.triggers.external_task); their ``run()`` is
dagbridge_shim.execution.external_triggers, Airflow 2.10.5's loops over the supervisor channel."""
from airflow.triggers.base import ArgumentsTrigger


class _ChannelTrigger(ArgumentsTrigger):
    _events = None  # the name of the class whose loop of dagbridge_shim.execution.external_triggers runs

    async def run(self):
        from dagbridge_shim.execution.external_triggers import EVENTS_BY_CLASS

        async for event in EVENTS_BY_CLASS[self._events](self):
            yield event


class WorkflowTrigger(_ChannelTrigger):
    """Fires when the external DAG's tasks (or the DAG) reach one of the given states."""

    _events = "WorkflowTrigger"

    def __init__(self, external_dag_id, run_ids=None, execution_dates=None, external_task_ids=None,
                 external_task_group_id=None, failed_states=None, skipped_states=None, allowed_states=None,
                 poke_interval=2.0, soft_fail=False, **kwargs):
        super().__init__(external_dag_id=external_dag_id, run_ids=run_ids, execution_dates=execution_dates,
                         external_task_ids=external_task_ids, external_task_group_id=external_task_group_id,
                         failed_states=failed_states, skipped_states=skipped_states, allowed_states=allowed_states,
                         poke_interval=poke_interval, soft_fail=soft_fail, **kwargs)


class TaskStateTrigger(_ChannelTrigger):
    """Fires when a task of another DAG reaches one of `states` (deprecated in Airflow 2.10)."""

    _events = "TaskStateTrigger"

    def __init__(self, dag_id, execution_dates, trigger_start_time, states=None, task_id=None, poll_interval=2.0):
        super().__init__(dag_id=dag_id, execution_dates=execution_dates, trigger_start_time=trigger_start_time,
                         states=states, task_id=task_id, poll_interval=poll_interval)


class DagStateTrigger(_ChannelTrigger):
    """Fires when a run of another DAG reaches one of `states`."""

    _events = "DagStateTrigger"

    def __init__(self, dag_id, states, execution_dates=None, run_ids=None, poll_interval=5.0):
        super().__init__(dag_id=dag_id, states=states, execution_dates=execution_dates, run_ids=run_ids,
                         poll_interval=poll_interval)


__all__ = ["DagStateTrigger", "TaskStateTrigger", "WorkflowTrigger"]
