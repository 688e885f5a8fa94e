"""`@task.<name>` decorators that provider packages register (`@task.docker`, `@task.kubernetes`, ...).

The stand-ins cannot run these: a DAG file using one still loads, its task exports as a provider task
(`requiresProvider`), and running it fails, not retryable, with ProviderNotInstalled naming the distribution
(with Apache Airflow and that provider installed where the task runs, Airflow's own decorator is used).
An unknown name is an AttributeError, as in Airflow.
"""
from airflow.decorators.base import DecoratedOperator, task_decorator_factory
from airflow.exceptions import ProviderNotInstalled

#: Decorator name -> (distribution that registers it, what the task would do).
PROVIDER_TASK_DECORATORS = {
    "docker": ("apache-airflow-providers-docker", "runs the function in a Docker container"),
    "kubernetes": ("apache-airflow-providers-cncf-kubernetes", "runs the function in a Kubernetes pod"),
    "kubernetes_cmd": ("apache-airflow-providers-cncf-kubernetes", "runs a command in a Kubernetes pod"),
    "pyspark": ("apache-airflow-providers-apache-spark", "runs the function with a Spark session"),
    "snowpark": ("apache-airflow-providers-snowflake", "runs the function with a Snowpark session"),
}

#: What a DAG can do instead with the stand-ins alone.
_ALTERNATIVES = {
    "docker": " (without them: run the container from @task.bash or a BashOperator, `docker run IMAGE ...`)",
    "kubernetes": " (without them: run the pod from @task.bash or a BashOperator, `kubectl run ...`)",
}


def _accepted_arguments():
    import inspect

    from airflow.models.baseoperator import BaseOperator

    names = set()
    for klass in (DecoratedOperator, BaseOperator):
        names.update(inspect.signature(klass.__init__).parameters)
    return names


def _operator_class(name, distribution, what):
    accepted = _accepted_arguments()

    def __init__(self, **kwargs):
        # The provider's own arguments (image, namespace, ...) are kept; BaseOperator would refuse them.
        self.provider_arguments = {key: kwargs.pop(key) for key in list(kwargs) if key not in accepted}
        DecoratedOperator.__init__(self, kwargs_to_upstream={}, **kwargs)

    def execute(self, context):
        raise ProviderNotInstalled(
            "@task.%s %s: it needs Apache Airflow and %s installed where the task runs; dagbridge's stand-in "
            "airflow package does not support it%s" % (name, what, distribution, _ALTERNATIVES.get(name, ""))
        )

    return type(
        "_%sDecoratedOperator" % name.title().replace("_", ""),
        (DecoratedOperator,),
        {
            "custom_operator_name": "@task.%s" % name,
            "_dagbridge_provider_package": distribution,
            "__init__": __init__,
            "execute": execute,
            "__module__": __name__,
        },
    )


def provider_task_decorator(name):
    """The `@task.<name>` of a provider package, or AttributeError for a name no provider registers."""
    known = PROVIDER_TASK_DECORATORS.get(name)
    if known is None:
        raise AttributeError(
            "task decorator %r not found (dagbridge's stand-ins know %s and the provider decorators %s)"
            % (name, "python, virtualenv, external_python, branch, branch_virtualenv, branch_external_python, "
               "short_circuit, sensor, bash, run_if, skip_if", ", ".join(sorted(PROVIDER_TASK_DECORATORS)))
        )
    distribution, what = known
    operator_class = _operator_class(name, distribution, what)

    def decorator(python_callable=None, multiple_outputs=None, **kwargs):
        return task_decorator_factory(
            python_callable=python_callable,
            multiple_outputs=multiple_outputs,
            decorated_operator_class=operator_class,
            decorator_name="task.%s" % name,
            **kwargs,
        )

    return decorator
