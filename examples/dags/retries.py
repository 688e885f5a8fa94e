"""Retries: a task that fails on its first try and succeeds on the second, read from ti.try_number."""
from datetime import datetime, timedelta

from airflow.decorators import dag, task


@dag(schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["example", "retries"])
def example_retries():
    @task(retries=2, retry_delay=timedelta(seconds=1))
    def flaky(ti=None):
        print("try number", ti.try_number)
        if ti.try_number < 2:
            raise RuntimeError("first try fails on purpose")
        return ti.try_number

    @task
    def confirm(tries):
        assert tries == 2, tries

    confirm(flaky())


example_retries()
