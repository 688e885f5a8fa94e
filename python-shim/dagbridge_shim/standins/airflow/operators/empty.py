"""EmptyOperator: does nothing (dagbridge's scheduler may mark it success without running it)."""
from airflow.models.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """A task that does nothing; useful to group dependencies."""

    ui_color = "#e8f7e4"

    def execute(self, context):
        pass
