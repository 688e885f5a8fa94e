"""PythonOperator / ``@task`` and ExternalPythonOperator / PythonVirtualenvOperator (``@task.external_python``,
``@task.virtualenv``).

The callable gets ``op_args`` and, as keyword arguments, the context merged with ``op_kwargs`` and
``templates_dict``, filtered to the names it declares unless it takes ``**kwargs`` (Airflow's
``determine_kwargs``). Its return value is the task's ``return_value`` XCom (pushed by the runner).

External Python: the callable's source runs in another interpreter (``python``) as a script; arguments and the
return value travel as JSON files (Airflow pickles them; dagbridge's XComs are JSON anyway), datetimes as
tagged ISO strings turned back into ``datetime`` objects in the child. The child's stdout/stderr are the task's.
PythonVirtualenvOperator: as Airflow 2.10.5's ``prepare_virtualenv``, a virtualenv is created for the try in its
temporary folder (``python -m venv``, of ``python{python_version}`` when set, with the system site packages unless
``system_site_packages=False``), ``index_urls`` written to its ``pip.conf``, then ``pip install
*pip_install_options -r requirements.txt``; pip reads the worker's index settings (``PIP_INDEX_URL``, ...) from the
task's environment. A requirement pip cannot install fails the try with pip's error, naming the requirements.
"""
import sys

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import raise_airflow
from dagbridge_shim.execution.common import determine_kwargs
from dagbridge_shim.runtime.dataset_events import run_callable


def _op_args(op):
    return list(getattr(op, "op_args", None) or [])


def _merged_context(op, context):
    # Airflow's context_merge(context, op_kwargs, templates_dict=...): the context itself is updated.
    context.update(getattr(op, "op_kwargs", None) or {})
    context["templates_dict"] = getattr(op, "templates_dict", None)
    return context


def execute_python(op, context):
    """Runs ``op.python_callable`` like ``PythonOperator.execute`` and returns its value."""
    python_callable = getattr(op, "python_callable", None)
    if not callable(python_callable):
        raise_airflow("AirflowException", "`python_callable` param must be callable")
    args = _op_args(op)
    kwargs = determine_kwargs(python_callable, args, _merged_context(op, context))
    # A generator function's `yield Metadata(...)` go to outlet_events (Airflow's ExecutionCallableRunner).
    return_value = run_callable(python_callable, args, kwargs, context["outlet_events"])
    if getattr(op, "show_return_value_in_logs", True):
        log.info("Done. Returned value was: %s", return_value)
    else:
        log.info("Done. Returned value not shown")
    return return_value


# Context keys a callable in another interpreter can receive (Airflow's BASE_ and PENDULUM_SERIALIZABLE_
# CONTEXT_KEYS), plus params (JSON here).
_SERIALIZABLE_CONTEXT_KEYS = (
    "ds", "ds_nodash", "expanded_ti_count", "inlets", "map_index_template", "next_ds", "next_ds_nodash", "outlets",
    "prev_ds", "prev_ds_nodash", "run_id", "task_instance_key_str", "test_mode", "tomorrow_ds",
    "tomorrow_ds_nodash", "ts", "ts_nodash", "ts_nodash_with_tz", "yesterday_ds", "yesterday_ds_nodash",
    "data_interval_end", "data_interval_start", "execution_date", "logical_date", "next_execution_date",
    "prev_data_interval_end_success", "prev_data_interval_start_success", "prev_execution_date",
    "prev_execution_date_success", "params", "map_index", "try_number", "templates_dict",
)

_SCRIPT = '''import json
import sys
from datetime import datetime


def _decode(obj):
    if len(obj) == 1 and "$datetime" in obj:
        return datetime.fromisoformat(obj["$datetime"])
    return obj


with open(sys.argv[1], encoding="utf-8") as _handle:
    _payload = json.load(_handle, object_hook=_decode)

%(source)s

_result = %(name)s(*_payload["args"], **_payload["kwargs"])
with open(sys.argv[2], "w", encoding="utf-8") as _handle:
    try:
        json.dump({"value": _result}, _handle)
    except (TypeError, ValueError) as _error:
        raise TypeError("the return value of %(name)s() must be JSON to leave the external Python interpreter: "
                        "got %%s (%%s)" %% (type(_result).__name__, _error)) from None
'''


def _callable_source(function):
    # Slow-to-import modules, needed only by a callable that runs in another interpreter.
    import ast
    import inspect
    import textwrap

    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as error:
        raise_airflow("AirflowException", "the source of %r is needed to run it in another interpreter: %s"
                      % (function, error))
    tree = ast.parse(source)
    definition = next(node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
    # Drop the decorators (@task.external_python(...)): the child has no Airflow to run them.
    lines = source.splitlines()[definition.lineno - 1:]
    return "\n".join(lines), definition.name


def _encode(value, what):
    import datetime
    import json

    def default(obj):
        if isinstance(obj, datetime.datetime):
            return {"$datetime": obj.isoformat()}
        if isinstance(obj, (tuple, set, frozenset)):
            return list(obj)
        raise TypeError("%s of type %s is not JSON" % (what, type(obj).__name__))

    return json.dumps(value, default=default)


def _interpreter(op):
    python = getattr(op, "python", None)
    is_virtualenv = any(cls.__name__ == "PythonVirtualenvOperator" for cls in type(op).__mro__) or (
        not python and hasattr(op, "requirements"))
    if python:
        python = str(python)
        import os

        if not os.path.exists(python):
            raise_airflow("AirflowException", "Python Path '%s' must exists" % python)
        return python
    if is_virtualenv:
        return None
    raise_airflow("AirflowException", "ExternalPythonOperator needs `python`: the path of the interpreter to run in")


def _requirement_list(op):
    requirements = getattr(op, "requirements", None) or []
    requirements = [requirements] if isinstance(requirements, str) else list(requirements)
    return sorted(str(requirement) for requirement in requirements)


def _run_setup_step(command, what):
    # Output goes to the task log; the failure message carries pip's own ERROR lines (they name the requirement).
    import subprocess

    log.info("Executing cmd: %s", " ".join(command))
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, errors="replace")
    output = completed.stdout or ""
    if output:
        sys.stderr.write(output if output.endswith("\n") else output + "\n")
    if completed.returncode != 0:
        errors = [line.strip() for line in output.splitlines() if line.startswith("ERROR")]
        raise_airflow("AirflowException", "%s failed (exit status %d)%s" % (
            what, completed.returncode, (": " + " ".join(errors)) if errors else ""))


def prepare_virtualenv(op, folder):
    """The python of a new virtualenv in ``folder`` with the operator's requirements installed."""
    import os

    venv = os.path.join(folder, "venv")
    index_urls = getattr(op, "index_urls", None)
    if isinstance(index_urls, str):
        index_urls = [index_urls]
    os.mkdir(venv)
    if index_urls is not None:
        # Airflow's _generate_pip_conf: the venv's own pip.conf (pip reads sys.prefix/pip.conf).
        lines = ["index-url = %s" % index_urls[0]] if index_urls else ["no-index = true"]
        if len(index_urls) > 1:
            lines.append("extra-index-url = %s" % " ".join(index_urls[1:]))
        with open(os.path.join(venv, "pip.conf"), "w", encoding="utf-8") as handle:
            handle.write("[global]\n" + "\n".join(lines))
    version = getattr(op, "python_version", None)
    base = "python%s" % version if version else sys.executable
    command = [base, "-m", "venv", venv]
    if getattr(op, "system_site_packages", True):
        command.append("--system-site-packages")
    _run_setup_step(command, "Creating the virtualenv with %s -m venv" % base)
    python = os.path.join(venv, "bin", "python")
    requirements = _requirement_list(op)
    if requirements:
        requirements_file = os.path.join(venv, "requirements.txt")
        with open(requirements_file, "w", encoding="utf-8") as handle:
            handle.write("\n".join(requirements))
        options = [str(option) for option in getattr(op, "pip_install_options", None) or []]
        _run_setup_step([python, "-m", "pip", "install", *options, "-r", requirements_file],
                        "Installing the requirements %s into the task's virtualenv with pip" % requirements)
    return python


def execute_external_python(op, context):
    """Runs the callable in another interpreter (ExternalPythonOperator, PythonVirtualenvOperator)."""
    import json
    import os
    import subprocess
    import tempfile

    python_callable = getattr(op, "python_callable", None)
    if not callable(python_callable):
        raise_airflow("AirflowException", "`python_callable` param must be callable")
    python = _interpreter(op)
    source, name = _callable_source(python_callable)
    serializable = {key: context[key] for key in _SERIALIZABLE_CONTEXT_KEYS if key in context}
    serializable.update(getattr(op, "op_kwargs", None) or {})
    serializable["templates_dict"] = getattr(op, "templates_dict", None)
    args = _op_args(op)
    kwargs = determine_kwargs(python_callable, args, serializable)
    payload = _encode({"args": args, "kwargs": kwargs}, "an argument of %s()" % name)
    env = None
    env_vars = getattr(op, "env_vars", None)
    if env_vars:
        env = dict(os.environ) if getattr(op, "inherit_env", True) else {}
        env.update({str(k): str(v) for k, v in env_vars.items()})
    with tempfile.TemporaryDirectory(prefix="dagbridge-venv-") as folder:
        if python is None:
            python = prepare_virtualenv(op, folder)
        script = os.path.join(folder, "script.py")
        input_path = os.path.join(folder, "script.in")
        output_path = os.path.join(folder, "script.out")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(_SCRIPT % {"source": source, "name": name})
        with open(input_path, "w", encoding="utf-8") as handle:
            handle.write(payload)
        command = [python, script, input_path, output_path]
        log.info("Executing cmd: %s", " ".join(command))
        sys.stdout.flush()
        sys.stderr.flush()
        returncode = subprocess.call(command, env=env, cwd=folder, stdin=subprocess.DEVNULL)
        skip_codes = getattr(op, "skip_on_exit_code", None)
        if skip_codes is not None:
            skip_codes = skip_codes if isinstance(skip_codes, (list, tuple, set, frozenset)) else [skip_codes]
            if returncode in skip_codes:
                raise_airflow("AirflowSkipException", "Process exited with code %d. Skipping." % returncode)
        if returncode != 0:
            raise_airflow("AirflowException", "Process returned non-zero exit status %d." % returncode)
        with open(output_path, encoding="utf-8") as handle:
            return_value = json.load(handle)["value"]
    if getattr(op, "show_return_value_in_logs", True):
        log.info("Done. Returned value was: %s", return_value)
    else:
        log.info("Done. Returned value not shown")
    return return_value
