"""BashOperator: ``bash -c <bash_command>``, as Airflow's ``BashOperator.execute`` and ``SubprocessHook``.

- Environment: ``env`` replaces the task's environment unless ``append_env``; the ``AIRFLOW_CTX_*`` variables
  are always added. Without ``env`` the command sees exactly the environment the worker gave the task.
- Working directory: ``cwd``, else a fresh temporary directory (removed afterwards).
- Exit code in ``skip_on_exit_code`` (default 99) -> skipped; any other non-zero -> AirflowException
  "Bash command failed. The command returned a non-zero exit code N.".
- Return value: the last line of stdout (after ``output_processor``), pushed as XCom by the runner when
  ``do_xcom_push``. stdout passes through to the task log line by line; stderr is the task's own.
- The command stays in the task's process group (no ``setsid``), so the worker's timeout kill reaches it.
"""
import os
import sys

from dagbridge_shim import log
from dagbridge_shim.airflow_errors import raise_airflow
from dagbridge_shim.runtime.airflow_vars import context_to_airflow_vars


def _skip_codes(op):
    codes = getattr(op, "skip_on_exit_code", 99)
    if codes is None:
        return ()
    if isinstance(codes, (list, tuple, set, frozenset, range)):
        return codes
    return (codes,)


def bash_env(op, context):
    """The environment the command runs with (Airflow's ``BashOperator.get_env``)."""
    system_env = os.environ.copy()
    env = getattr(op, "env", None)
    if env is None:
        env = system_env
    else:
        env = {str(key): str(value) for key, value in env.items()}
        if getattr(op, "append_env", False):
            system_env.update(env)
            env = system_env
    airflow_style = _airflow_style(context)
    env.update(context_to_airflow_vars(context, airflow_style))
    return env


def _airflow_style(context):
    ti = context.get("ti")
    return getattr(ti, "_airflow_style", 2)


def run_command(command, env, cwd, output_encoding="utf-8"):
    """Runs ``command``; copies its stdout through line by line. Returns (exit code, last stdout line)."""
    import subprocess  # with its own imports, loaded only by a task that runs a command

    log.info("Running command: %s", command)
    sys.stdout.flush()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=cwd, env=env)
    log.info("Output:")
    line = ""
    out = getattr(sys.stdout, "buffer", None)
    for raw_line in iter(process.stdout.readline, b""):
        if out is not None:
            out.write(raw_line)
            out.flush()
        else:
            sys.stdout.write(raw_line.decode(output_encoding, errors="backslashreplace"))
            sys.stdout.flush()
        line = raw_line.decode(output_encoding, errors="backslashreplace").rstrip()
    process.stdout.close()
    process.wait()
    log.info("Command exited with return code %s", process.returncode)
    return process.returncode, line


def execute_bash(op, context):
    """Runs ``op.bash_command`` and returns the processed last line of its output."""
    import shutil

    bash_command = getattr(op, "bash_command", None)
    if not isinstance(bash_command, str) or not bash_command.strip():
        raise_airflow("AirflowException", "bash_command of task %r is empty; it must be a shell command"
                      % getattr(op, "task_id", "?"))
    cwd = getattr(op, "cwd", None)
    if cwd is not None:
        if not os.path.exists(cwd):
            raise_airflow("AirflowException", "Can not find the cwd: %s" % cwd)
        if not os.path.isdir(cwd):
            raise_airflow("AirflowException", "The cwd %s must be a directory" % cwd)
    env = bash_env(op, context)
    command = [shutil.which("bash") or "bash", "-c", bash_command]
    encoding = getattr(op, "output_encoding", None) or "utf-8"
    if cwd is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="airflowtmp") as folder:
            exit_code, output = run_command(command, env, folder, encoding)
    else:
        exit_code, output = run_command(command, env, cwd, encoding)
    if exit_code in _skip_codes(op):
        raise_airflow("AirflowSkipException", "Bash command returned exit code %s. Skipping." % exit_code)
    if exit_code != 0:
        raise_airflow("AirflowException",
                      "Bash command failed. The command returned a non-zero exit code %s." % exit_code)
    processor = getattr(op, "output_processor", None)
    return processor(output) if callable(processor) else output
