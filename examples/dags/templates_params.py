"""Templates and params: ds, macros, params (with a schema), dag_run.conf, templates_dict.

Rendering needs Jinja2 in the worker's interpreter (Airflow itself depends on it)."""
from datetime import datetime

from airflow import DAG
from airflow.models.param import Param
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def check_rendered(templates_dict, params, **context):
    print("templates_dict:", templates_dict)
    assert templates_dict["day"] == context["ds"], templates_dict
    assert templates_dict["next_day"] == context["macros"].ds_add(context["ds"], 1), templates_dict
    assert params["region"] in ("eu", "us"), params


with DAG(
    dag_id="example_templates_params",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={
        "region": Param("eu", type="string", enum=["eu", "us"], description="Where to load"),
        "limit": Param(10, type="integer", minimum=1),
    },
    user_defined_macros={"project": "dagbridge"},
    tags=["example", "templates"],
) as dag:
    show = BashOperator(
        task_id="show",
        bash_command=(
            "echo ds={{ ds }} tomorrow={{ macros.ds_add(ds, 1) }} region={{ params.region }} "
            "limit={{ params.limit }} who={{ dag_run.conf.get('who', 'nobody') }} project={{ project }}"
        ),
        env={"RUN_ID": "{{ run_id }}", "TS": "{{ ts_nodash }}"},
        append_env=True,
    )
    check = PythonOperator(
        task_id="check",
        python_callable=check_rendered,
        templates_dict={"day": "{{ ds }}", "next_day": "{{ macros.ds_add(ds, 1) }}"},
    )
    show >> check
