"""DummyOperator: Airflow 2's old name of EmptyOperator."""
from airflow.operators.empty import EmptyOperator


class DummyOperator(EmptyOperator):
    """Deprecated alias of EmptyOperator."""
