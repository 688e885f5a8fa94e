"""Every trigger rule, each on a task whose upstream states make it run.

`ok` succeeds, `fail` fails on purpose (retries=0) and `skip` skips itself. No task downstream of `fail`
uses all_success, and `fail` is not a leaf, so the DAG run still succeeds: its leaves all succeed.
"""
from datetime import datetime

from airflow import DAG
from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.utils.trigger_rule import TriggerRule


def _fail():
    raise AirflowFailException("failing on purpose to exercise the trigger rules")


def _skip():
    raise AirflowSkipException("skipping on purpose to exercise the trigger rules")


with DAG(
    dag_id="example_trigger_rules",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 0},
    tags=["example", "trigger_rules"],
) as dag:
    ok = EmptyOperator(task_id="ok")
    fail = PythonOperator(task_id="fail", python_callable=_fail)
    skip = PythonOperator(task_id="skip", python_callable=_skip)

    def rule(rule_name, upstream):
        task = EmptyOperator(task_id="rule_" + rule_name, trigger_rule=rule_name)
        upstream >> task
        return task

    rule(TriggerRule.ALL_SUCCESS, [ok])
    rule(TriggerRule.ALL_FAILED, [fail])
    rule(TriggerRule.ALL_DONE, [ok, fail, skip])
    rule(TriggerRule.ALL_SKIPPED, [skip])
    rule(TriggerRule.ONE_SUCCESS, [ok, fail])
    rule(TriggerRule.ONE_FAILED, [ok, fail])
    rule(TriggerRule.ONE_DONE, [ok, fail])
    rule(TriggerRule.NONE_FAILED, [ok, skip])
    rule(TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS, [ok, skip])
    rule(TriggerRule.NONE_SKIPPED, [ok, fail])
    rule(TriggerRule.ALWAYS, [fail])

    create = EmptyOperator(task_id="create_resource").as_setup()
    use = EmptyOperator(task_id="use_resource")
    delete = EmptyOperator(task_id="delete_resource").as_teardown(setups=create)
    create >> use >> delete
