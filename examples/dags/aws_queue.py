"""A task on the `aws` queue that needs boto3. boto3 is imported inside the task, so exporting this file
works anywhere; where boto3 is missing the task skips itself (a skipped leaf keeps the run successful).
A worker that serves the `aws` queue declares boto3 in its dependency manifest."""
from datetime import datetime

from airflow.decorators import dag, task
from airflow.exceptions import AirflowSkipException


@dag(schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["example", "aws"])
def example_aws_queue():
    @task
    def prepare():
        return "dagbridge-example-bucket"

    @task(queue="aws")
    def list_buckets(bucket_hint):
        try:
            import boto3
        except ImportError:
            raise AirflowSkipException("boto3 is not installed in this worker's interpreter") from None
        try:
            names = [b["Name"] for b in boto3.client("s3").list_buckets().get("Buckets", [])]
        except Exception as exc:  # no credentials or no network on this worker
            raise AirflowSkipException("S3 is not reachable from this worker: %s" % exc) from None
        print("buckets:", names, "looking for", bucket_hint)
        return names

    list_buckets(prepare())


example_aws_queue()
