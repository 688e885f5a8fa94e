"""Dynamic task mapping: literal lists, an upstream XCom, expand_kwargs, partial, a classic operator and a
mapped task group."""
from datetime import datetime

from airflow.decorators import dag, task, task_group
from airflow.operators.bash import BashOperator


@dag(schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["example", "mapping"])
def example_mapping():
    @task
    def add(x, y):
        return x + y

    # Literal cross product: 2 x 2 = 4 instances.
    literal = add.expand(x=[1, 2], y=[10, 20])

    @task
    def make_numbers():
        return [1, 2, 3]

    @task
    def double(n, factor):
        return n * factor

    # From an upstream XCom, with a fixed argument.
    doubled = double.partial(factor=2).expand(n=make_numbers())

    @task
    def total(values):
        values = list(values)
        assert sorted(values) == [2, 4, 6], values
        return sum(values)

    total(doubled)

    @task
    def summarise(values):
        assert sorted(values) == [11, 12, 21, 22], values

    summarise(literal)

    # expand_kwargs: one instance per dict.
    @task
    def greet(name, greeting):
        return "%s, %s!" % (greeting, name)

    greet.expand_kwargs([{"name": "Ada", "greeting": "Hello"}, {"name": "Linus", "greeting": "Hi"}])

    # A classic operator mapped over its own argument.
    BashOperator.partial(task_id="echo").expand(bash_command=["echo one", "echo two"])

    # A mapped task group: both tasks run once per file.
    @task_group
    def process(path):
        @task
        def size(p):
            return len(p)

        @task
        def check(n):
            assert n > 0

        check(size(path))

    process.expand(path=["a.csv", "bb.csv", "ccc.csv"])


example_mapping()
