"""Python operators (stand-in of airflow.operators.python). Execution lives in dagbridge_shim.execution."""
from airflow.exceptions import AirflowException
from airflow.models.baseoperator import BaseOperator
from airflow.models.taskinstance import _CURRENT_CONTEXT


def is_venv_installed():
    """Whether PythonVirtualenvOperator can create a virtualenv here: Airflow checks for `virtualenv`;
    dagbridge also creates them with the standard library's `venv` (with `ensurepip` for pip)."""
    import importlib.util
    import shutil

    if shutil.which("virtualenv") or importlib.util.find_spec("virtualenv"):
        return True
    return importlib.util.find_spec("venv") is not None and importlib.util.find_spec("ensurepip") is not None


def task(python_callable=None, multiple_outputs=None, **kwargs):
    """Deprecated alias of `airflow.decorators.task` (`@task.python`)."""
    from airflow.decorators.python import python_task

    return python_task(python_callable=python_callable, multiple_outputs=multiple_outputs, **kwargs)


def get_current_context():
    """The context of the task that is running (only valid while a task runs)."""
    if not _CURRENT_CONTEXT:
        raise AirflowException(
            "Current context was requested but no context was found! Are you running within an airflow task?"
        )
    return _CURRENT_CONTEXT[-1]


class PythonOperator(BaseOperator):
    """Calls `python_callable(*op_args, **op_kwargs)`; context keys it names are passed too."""

    template_fields = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"
    shallow_copy_attrs = ("python_callable", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable,
        op_args=None,
        op_kwargs=None,
        templates_dict=None,
        templates_exts=None,
        show_return_value_in_logs=True,
        **kwargs,
    ):
        kwargs.pop("provide_context", None)
        super().__init__(**kwargs)
        if python_callable is not None and not callable(python_callable):
            raise AirflowException("`python_callable` param must be callable")
        self.python_callable = python_callable
        self.op_args = op_args or ()
        self.op_kwargs = op_kwargs or {}
        self.templates_dict = templates_dict
        if templates_exts:
            self.template_ext = templates_exts
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context):
        from dagbridge_shim.execution.python import execute_python

        return execute_python(self, context)


class BranchPythonOperator(PythonOperator):
    """The callable returns the task id(s) to follow; other direct downstream tasks are skipped."""

    def execute(self, context):
        from dagbridge_shim.execution.branch import execute_branch

        return execute_branch(self, context)


class ShortCircuitOperator(PythonOperator):
    """A falsy return value skips the downstream tasks (all of them when ignore_downstream_trigger_rules)."""

    def __init__(self, *, ignore_downstream_trigger_rules=True, **kwargs):
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context):
        from dagbridge_shim.execution.branch import execute_short_circuit

        return execute_short_circuit(self, context)


class _BasePythonVirtualenvOperator(PythonOperator):
    template_fields = ("python", "requirements", "templates_dict", "op_args", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable,
        serializer=None,
        op_args=None,
        op_kwargs=None,
        string_args=None,
        templates_dict=None,
        templates_exts=None,
        expect_airflow=True,
        skip_on_exit_code=None,
        env_vars=None,
        inherit_env=True,
        use_dill=False,
        **kwargs,
    ):
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            **kwargs,
        )
        self.serializer = serializer or ("dill" if use_dill else "pickle")
        self.use_dill = use_dill
        self.string_args = string_args or []
        self.expect_airflow = expect_airflow
        self.skip_on_exit_code = (
            skip_on_exit_code
            if isinstance(skip_on_exit_code, (list, tuple, set))
            else ([skip_on_exit_code] if skip_on_exit_code is not None else [])
        )
        self.env_vars = env_vars
        self.inherit_env = inherit_env

    def execute(self, context):
        from dagbridge_shim.execution.python import execute_external_python

        return execute_external_python(self, context)


class PythonVirtualenvOperator(_BasePythonVirtualenvOperator):
    """Runs the callable in a new virtualenv with `requirements` installed by pip (dagbridge_shim.execution.python
    ``prepare_virtualenv``; `venv_cache_path` is not used: each try creates its own)."""

    def __init__(
        self,
        *,
        python_callable,
        requirements=None,
        python_version=None,
        system_site_packages=True,
        pip_install_options=None,
        index_urls=None,
        venv_cache_path=None,
        **kwargs,
    ):
        super().__init__(python_callable=python_callable, **kwargs)
        self.requirements = [requirements] if isinstance(requirements, str) else list(requirements or [])
        self.python_version = python_version
        self.python = None
        self.system_site_packages = system_site_packages
        self.pip_install_options = pip_install_options
        self.index_urls = index_urls
        self.venv_cache_path = venv_cache_path


class ExternalPythonOperator(_BasePythonVirtualenvOperator):
    """Runs the callable in another Python interpreter, `python`."""

    def __init__(self, *, python, python_callable, expect_pendulum=False, **kwargs):
        if not python:
            raise ValueError("Python Path must be defined in ExternalPythonOperator")
        super().__init__(python_callable=python_callable, **kwargs)
        self.python = python
        self.requirements = []
        self.expect_pendulum = expect_pendulum


class BranchPythonVirtualenvOperator(PythonVirtualenvOperator):
    """The virtualenv's callable returns the task id(s) to follow; other direct downstream tasks are skipped."""

    def execute(self, context):
        from dagbridge_shim.execution.branch import do_branch

        return do_branch(self, context, super().execute(context))


class BranchExternalPythonOperator(ExternalPythonOperator):
    """The external interpreter's callable returns the task id(s) to follow; other direct downstream tasks
    are skipped."""

    def execute(self, context):
        from dagbridge_shim.execution.branch import do_branch

        return do_branch(self, context, super().execute(context))


__all__ = [
    "BranchExternalPythonOperator",
    "BranchPythonVirtualenvOperator",
    "is_venv_installed",
    "task",
    "PythonOperator",
    "BranchPythonOperator",
    "ShortCircuitOperator",
    "PythonVirtualenvOperator",
    "ExternalPythonOperator",
    "get_current_context",
]
