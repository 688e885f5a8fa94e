"""TaskFlow (Airflow 2 `airflow.decorators`): values passed between tasks as XComArgs, multiple_outputs."""
from datetime import datetime
from typing import Dict

from airflow.decorators import dag, task


@dag(schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["example", "taskflow"])
def example_taskflow_etl():
    """Orders summed per customer, with a dict return split into separate XComs."""

    @task()
    def extract():
        return [{"customer": "a", "amount": 10}, {"customer": "b", "amount": 5}, {"customer": "a", "amount": 2}]

    @task(multiple_outputs=True)
    def summarise(orders: list):
        per_customer = {}
        for order in orders:
            per_customer[order["customer"]] = per_customer.get(order["customer"], 0) + order["amount"]
        return {"per_customer": per_customer, "total": sum(per_customer.values())}

    @task
    def stats(total: int) -> Dict[str, int]:
        # A dict return annotation turns multiple_outputs on, as in Airflow.
        return {"total": total, "double": total * 2}

    @task
    def report(per_customer: dict, total: int, double: int):
        assert per_customer == {"a": 12, "b": 5}, per_customer
        assert total == 17 and double == 34, (total, double)
        print("report:", per_customer, total, double)

    summary = summarise(extract())
    numbers = stats(summary["total"])
    report(summary["per_customer"], summary["total"], numbers["double"])


example_taskflow_etl()
