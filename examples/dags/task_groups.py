"""Task groups: nested groups, group default_args, prefix_group_id=False, `>>` between groups, @task_group."""
from datetime import datetime

from airflow import DAG
from airflow.decorators import task, task_group
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG(
    dag_id="example_task_groups",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["example", "groups"],
) as dag:
    start = EmptyOperator(task_id="start")

    with TaskGroup("ingest", tooltip="Fetch the sources", default_args={"retries": 2}) as ingest:
        with TaskGroup("api") as api:
            users = BashOperator(task_id="users", bash_command="echo users")
            orders = BashOperator(task_id="orders", bash_command="echo orders")
            users >> orders
        files = BashOperator(task_id="files", bash_command="echo files")

    with TaskGroup("checks", prefix_group_id=False) as checks:
        row_count = EmptyOperator(task_id="row_count")
        freshness = EmptyOperator(task_id="freshness")

    @task_group(group_id="publish")
    def publish(target: str):
        @task
        def render(name):
            return "report for %s" % name

        @task
        def upload(report):
            print("uploading", report)

        upload(render(target))

    end = EmptyOperator(task_id="end")

    start >> ingest >> checks >> publish("warehouse") >> end
