"""Real Airflow's operators of the kinds dagbridge models run through this package: Airflow's own implementations
need its metadata database, or put subprocesses outside the task's process group. Custom and provider operators
run their own ``execute``."""
from dagbridge_shim.execution import bash, branch, python, sensor, trigger
from dagbridge_shim.execution.common import class_names, determine_kwargs, is_bash_decorated
from dagbridge_shim.templating import render_template


def operator_callable(task):
    """The function that executes ``task``, an operator of real Airflow: this package's for the kinds
    dagbridge models, else the operator's own ``execute``."""
    names = class_names(task)
    if is_bash_decorated(task):
        return lambda context: _execute_bash_decorated(task, context)
    table = (
        ("BaseSensorOperator", sensor.execute_sensor),
        ("LatestOnlyOperator", branch.execute_latest_only),
        ("BranchPythonOperator", branch.execute_branch),
        ("BaseBranchOperator", branch.execute_branch),
        ("ShortCircuitOperator", branch.execute_short_circuit),
        ("_BasePythonVirtualenvOperator", python.execute_external_python),
        ("PythonOperator", python.execute_python),
        ("BashOperator", bash.execute_bash),
        ("TriggerDagRunOperator", trigger.execute_trigger_dagrun),
    )
    for class_name, function in table:
        if class_name in names:
            return lambda context, function=function: function(task, context)
    if "EmptyOperator" in names:
        return lambda context: None
    return task.execute


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
