"""GenericTransfer (stand-in of airflow.operators.generic_transfer): copies rows between two databases
through their providers' DB-API hooks, which need Apache Airflow and those providers where the task runs."""
from airflow.exceptions import NotSupportedByDagbridge
from airflow.models.baseoperator import BaseOperator


class GenericTransfer(BaseOperator):
    template_fields = ("source_conn_id", "destination_conn_id", "sql", "destination_table", "preoperator")
    template_ext = (".sql", ".hql")
    ui_color = "#b0f07c"
    _dagbridge_kind = "custom"

    def __init__(self, *, sql, destination_table, source_conn_id, destination_conn_id, preoperator=None,
                 insert_args=None, **kwargs):
        super().__init__(**kwargs)
        self.sql = sql
        self.destination_table = destination_table
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.preoperator = preoperator
        self.insert_args = insert_args or {}

    def execute(self, context):
        raise NotSupportedByDagbridge(
            "GenericTransfer %r needs the DB-API hooks of the providers for %r and %r: install Apache Airflow "
            "and those providers where the task runs" % (self.task_id, self.source_conn_id, self.destination_conn_id)
        )


__all__ = ["GenericTransfer"]
