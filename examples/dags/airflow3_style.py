"""Airflow 3 import paths: `airflow.sdk` and the standard provider. An Airflow 3 style file has no schedule
and no catchup unless it says so; this one says `@daily` and leaves catchup at its default (off)."""
import shared_settings

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Label, TriggerRule, chain_linear, get_current_context, setup, task, teardown

with DAG(
    dag_id="example_airflow3_style",
    schedule="@daily",
    start_date=shared_settings.START,
    tags=["example", "airflow3"],
):

    @setup
    def create_workspace():
        return "/tmp/workspace"

    @task
    def work(workspace):
        context = get_current_context()
        print("working in", workspace, "for run", context["run_id"])
        return len(workspace)

    @teardown
    def remove_workspace(workspace):
        print("removing", workspace)

    workspace = create_workspace()
    result = work(workspace)
    result >> remove_workspace(workspace)

    first = BashOperator(task_id="first", bash_command="echo first")
    second = BashOperator(task_id="second", bash_command="echo second")
    left = EmptyOperator(task_id="left")
    right = EmptyOperator(task_id="right")
    joined = EmptyOperator(task_id="joined", trigger_rule=TriggerRule.ALL_DONE)
    chain_linear([first, second], [left, right])
    [left, right] >> Label("both done") >> joined
