"""TriggerDagRunOperator: asks the scheduler to create a run of another DAG."""
import datetime

from airflow.models.baseoperator import BaseOperator


class TriggerDagRunOperator(BaseOperator):
    """Triggers a run of `trigger_dag_id` with `conf` (run by dagbridge_shim.execution.trigger)."""

    template_fields = ("trigger_dag_id", "trigger_run_id", "logical_date", "conf")
    template_fields_renderers = {"conf": "py"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        trigger_dag_id,
        trigger_run_id=None,
        conf=None,
        logical_date=None,
        execution_date=None,
        reset_dag_run=False,
        wait_for_completion=False,
        poke_interval=60,
        allowed_states=None,
        failed_states=None,
        skip_when_already_exists=False,
        deferrable=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = poke_interval
        self.allowed_states = list(allowed_states) if allowed_states else ["success"]
        # As Airflow 2.10.5: failed_states=[] means none fails the wait (None: failed).
        self.failed_states = ["failed"] if failed_states is None else list(failed_states)
        self.skip_when_already_exists = skip_when_already_exists
        self.deferrable = deferrable
        date = logical_date if logical_date is not None else execution_date
        if isinstance(date, datetime.datetime):
            date = date.isoformat()
        elif date is not None and not isinstance(date, str):
            raise TypeError("Expected str or datetime.datetime type for logical_date. Got %s" % type(date))
        self.logical_date = date
        self.execution_date = date

    def execute(self, context):
        from dagbridge_shim.execution.trigger import execute_trigger_dagrun

        return execute_trigger_dagrun(self, context)

    def execute_complete(self, context, event=None):
        """Resumes a deferred wait_for_completion (dagbridge_shim.execution.trigger.complete_trigger_dagrun)."""
        from dagbridge_shim.execution.trigger import complete_trigger_dagrun

        return complete_trigger_dagrun(self, context, event)
