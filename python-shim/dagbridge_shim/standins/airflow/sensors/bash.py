"""BashSensor: done when a bash command exits 0."""
import os
import subprocess
import tempfile

from airflow.exceptions import AirflowFailException
from airflow.sensors.base import BaseSensorOperator


class BashSensor(BaseSensorOperator):
    """Runs `bash_command` in a temporary folder at each poke; exit 0 is done. With `retry_exit_code`, that
    code means "not yet" and any other non-zero code fails the task."""

    template_fields = ("bash_command", "env")

    def __init__(self, *, bash_command, env=None, output_encoding="utf-8", retry_exit_code=None, **kwargs):
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context):
        with tempfile.TemporaryDirectory(prefix="airflowtmp") as tmp_dir:
            self.log.info("Running command: %s", self.bash_command)
            process = subprocess.Popen(
                ["bash", "-c", self.bash_command],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                close_fds=True,
                cwd=tmp_dir,
                env=self.env if self.env is not None else dict(os.environ),
                start_new_session=True,
            )
            for raw_line in iter(process.stdout.readline, b""):
                print(raw_line.decode(self.output_encoding, "replace").rstrip("\n"))
            process.wait()
            resp = process.returncode
            if resp == 0:
                return True
            if self.retry_exit_code is not None:
                if resp == self.retry_exit_code:
                    return False
                raise AirflowFailException("Command exited with return code %d" % resp)
            return False
