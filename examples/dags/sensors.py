"""Fast sensors: a PythonSensor done on its 2nd poke (poke_interval 1 s), a TimeDeltaSensor of 3 s after
the data interval end, a FileSensor on this very file, a DateTimeSensor in the past, a BashSensor and a
@task.sensor."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.decorators import task
from airflow.sensors.base import PokeReturnValue
from airflow.sensors.bash import BashSensor
from airflow.sensors.date_time import DateTimeSensor
from airflow.sensors.filesystem import FileSensor
from airflow.sensors.python import PythonSensor
from airflow.sensors.time_delta import TimeDeltaSensor

_pokes = {"count": 0}


def second_poke_succeeds():
    # Poke mode: every poke of one try runs in the same process, so a module-level counter works.
    _pokes["count"] += 1
    print("poke number", _pokes["count"])
    return _pokes["count"] >= 2


with DAG(
    dag_id="example_sensors",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"poke_interval": 1, "timeout": 60, "mode": "poke"},
    tags=["example", "sensors"],
) as dag:
    wait_python = PythonSensor(task_id="wait_python", python_callable=second_poke_succeeds)
    wait_delta = TimeDeltaSensor(task_id="wait_delta", delta=timedelta(seconds=3))
    wait_file = FileSensor(task_id="wait_file", filepath=__file__)
    wait_date = DateTimeSensor(task_id="wait_date", target_time=datetime(2020, 1, 1))
    wait_bash = BashSensor(task_id="wait_bash", bash_command="test -d /")

    @task.sensor(poke_interval=1, timeout=30, mode="poke")
    def wait_value() -> PokeReturnValue:
        return PokeReturnValue(is_done=True, xcom_value="ready")

    @task
    def after(value):
        assert value == "ready", value

    [wait_python, wait_delta, wait_file, wait_date, wait_bash] >> after(wait_value())
