"""A custom operator kept in the DAG repo (imported by custom_operator.py). This folder is listed in
.airflowignore, so the DAG processor does not import it as a DAG file."""
from airflow.models.baseoperator import BaseOperator


class GreetingOperator(BaseOperator):
    """Prints a templated greeting and returns it."""

    template_fields = ("greeting",)
    ui_color = "#d4f1f9"

    def __init__(self, *, greeting, repeat=1, **kwargs):
        super().__init__(**kwargs)
        self.greeting = greeting
        self.repeat = repeat

    def execute(self, context):
        text = " ".join([self.greeting] * self.repeat)
        print(text)
        return text
