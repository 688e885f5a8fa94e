"""Branching: BranchPythonOperator, @task.branch, ShortCircuitOperator, LatestOnlyOperator, edge labels,
and the join after a branch with none_failed_min_one_success."""
from datetime import datetime

from airflow.decorators import task
from airflow.models import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.latest_only import LatestOnlyOperator
from airflow.operators.python import BranchPythonOperator, ShortCircuitOperator
from airflow.utils.edgemodifier import Label
from airflow.utils.trigger_rule import TriggerRule


def choose(**context):
    return "weekday_path" if context["logical_date"].weekday() < 5 else "weekend_path"


with DAG(
    dag_id="example_branching",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["example", "branching"],
) as dag:
    branch = BranchPythonOperator(task_id="branch", python_callable=choose)
    weekday_path = EmptyOperator(task_id="weekday_path")
    weekend_path = EmptyOperator(task_id="weekend_path")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    branch >> Label("Mon-Fri") >> weekday_path >> join
    branch >> Label("Sat-Sun") >> weekend_path >> join

    @task.branch
    def pick_size(items=3):
        return ["small"] if items < 5 else ["large"]

    small = EmptyOperator(task_id="small")
    large = EmptyOperator(task_id="large")
    sized = EmptyOperator(task_id="sized", trigger_rule="none_failed_min_one_success")
    join >> pick_size() >> [small, large] >> sized

    is_enabled = ShortCircuitOperator(task_id="is_enabled", python_callable=lambda: False)
    never_runs = EmptyOperator(task_id="never_runs")
    sized >> is_enabled >> never_runs

    latest_only = LatestOnlyOperator(task_id="latest_only")
    notify = EmptyOperator(task_id="notify")
    sized >> latest_only >> notify
