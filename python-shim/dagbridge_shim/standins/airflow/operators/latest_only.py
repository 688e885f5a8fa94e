"""LatestOnlyOperator: skips its downstream tasks unless the run is the latest one."""
from airflow.operators.branch import BaseBranchOperator


class LatestOnlyOperator(BaseBranchOperator):
    """Downstream tasks run only for the most recent scheduled interval (decided by the runner)."""

    ui_color = "#e9ffdb"

    def execute(self, context):
        from dagbridge_shim.execution.branch import execute_latest_only

        return execute_latest_only(self, context)
