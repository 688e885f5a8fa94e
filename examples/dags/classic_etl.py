"""Classic Airflow 2 style: operators in a `with DAG(...)` block, default_args, `>>` with lists, chain."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator


def extract():
    return {"rows": [1, 2, 3]}


def transform(ti):
    data = ti.xcom_pull(task_ids="extract")
    total = sum(data["rows"])
    print("total of rows:", total)
    return total


def load(ti):
    total = ti.xcom_pull(task_ids="transform")
    if total != 6:
        raise ValueError("expected 6, got %r" % (total,))
    print("loaded", total)


default_args = {
    "owner": "data-eng",
    "retries": 1,
    "retry_delay": timedelta(seconds=5),
}

with DAG(
    dag_id="example_classic_etl",
    description="Extract, transform and load with classic operators",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args=default_args,
    tags=["example", "classic"],
) as dag:
    start = EmptyOperator(task_id="start")
    say_hello = BashOperator(task_id="say_hello", bash_command="echo hello from $(hostname)")
    extract_task = PythonOperator(task_id="extract", python_callable=extract)
    transform_task = PythonOperator(task_id="transform", python_callable=transform)
    load_task = PythonOperator(task_id="load", python_callable=load, retries=2)
    end = EmptyOperator(task_id="end")

    start >> [say_hello, extract_task]
    chain(extract_task, transform_task, load_task)
    [say_hello, load_task] >> end
