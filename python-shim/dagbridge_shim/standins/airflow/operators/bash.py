"""BashOperator (stand-in of airflow.operators.bash): runs through dagbridge_shim.execution.bash."""
from airflow.models.baseoperator import BaseOperator


class BashOperator(BaseOperator):
    """Runs `bash_command` with `bash -c`; exit code `skip_on_exit_code` (99) skips the task."""

    template_fields = ("bash_command", "env", "cwd")
    template_fields_renderers = {"bash_command": "bash", "env": "json"}
    template_ext = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        bash_command,
        env=None,
        append_env=False,
        output_encoding="utf-8",
        skip_exit_code=None,
        skip_on_exit_code=99,
        cwd=None,
        output_processor=lambda output: output,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        if skip_exit_code is not None:
            skip_on_exit_code = skip_exit_code
        self.skip_on_exit_code = (
            skip_on_exit_code
            if isinstance(skip_on_exit_code, (list, tuple, set))
            else ([skip_on_exit_code] if skip_on_exit_code is not None else [])
        )
        self.cwd = cwd
        self.append_env = append_env
        self.output_processor = output_processor

    def execute(self, context):
        from dagbridge_shim.execution.bash import execute_bash

        return execute_bash(self, context)
