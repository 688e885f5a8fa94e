"""A BaseOperator subclass from the DAG repo, with a templated field, next to a DAG-file-local operator."""
from datetime import datetime

from airflow import DAG
from airflow.models.baseoperator import BaseOperator

from lib.greeting import GreetingOperator


class CountOperator(BaseOperator):
    """Defined in the DAG file itself."""

    def __init__(self, *, upto, **kwargs):
        super().__init__(**kwargs)
        self.upto = upto

    def execute(self, context):
        return list(range(self.upto))


with DAG(
    dag_id="example_custom_operator",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["example", "custom"],
) as dag:
    count = CountOperator(task_id="count", upto=3)
    greet = GreetingOperator(task_id="greet", greeting="hello", repeat=2)
    count >> greet
