"""Real Airflow's operators of the kinds dagbridge models run through this package: Airflow's own implementations
need its metadata database, or put subprocesses outside the task's process group. Custom and provider operators
run their own ``execute``."""
from dagbridge_shim.airflow_facts import operator_kind
from dagbridge_shim.execution import bash, branch, python, sensor, trigger
from dagbridge_shim.execution.common import determine_kwargs, is_bash_decorated
from dagbridge_shim.templating import render_template

#: How each kind of the facts table runs (the kind is the one the bundle carries: convert.task_kind).
EXECUTE_BY_KIND = {
    "sensor": sensor.execute_sensor,
    "latest_only": branch.execute_latest_only,
    "branch": branch.execute_branch,
    "short_circuit": branch.execute_short_circuit,
    "external_python": python.execute_external_python,
    "virtualenv": python.execute_external_python,
    "python": python.execute_python,
    "bash": bash.execute_bash,
    "trigger_dagrun": trigger.execute_trigger_dagrun,
    "empty": lambda task, context: None,
}


def operator_callable(task):
    """The function that executes ``task``, an operator of real Airflow: this package's for the kinds
    dagbridge models, else the operator's own ``execute``."""
    if is_bash_decorated(task):
        return lambda context: _execute_bash_decorated(task, context)
    function = EXECUTE_BY_KIND.get(operator_kind(type(task)))
    if function is None:
        return task.execute
    return lambda context: function(task, context)


def _execute_bash_decorated(task, context):
    # @task.bash under real Airflow: the callable returns the command, which is then rendered and run.
    context.update(getattr(task, "op_kwargs", None) or {})
    args = list(getattr(task, "op_args", None) or [])
    command = task.python_callable(*args, **determine_kwargs(task.python_callable, args, context))
    if not isinstance(command, str) or not command.strip():
        raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
    task.bash_command = command
    task.bash_command = render_template(task, command, context)
    return bash.execute_bash(task, context)
