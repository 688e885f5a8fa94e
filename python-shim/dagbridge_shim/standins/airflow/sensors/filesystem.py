"""FileSensor: waits for a file or folder (glob) to exist."""
import os
from datetime import timedelta
from glob import glob

from airflow.exceptions import AirflowException
from airflow.sensors.base import BaseSensorOperator


class FileSensor(BaseSensorOperator):
    """Done when `filepath` (a glob, relative to the connection's path) matches a file, or a folder that
    contains files."""

    template_fields = ("filepath",)
    ui_color = "#91818a"

    def __init__(self, *, filepath, fs_conn_id="fs_default", recursive=False, deferrable=False, start_from_trigger=False, **kwargs):
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive
        self.deferrable = deferrable
        self.start_from_trigger = start_from_trigger

    @property
    def path(self):
        return os.path.join(self._base_path(), self.filepath)

    def _base_path(self):
        # The fs_default connection's `path` extra; Airflow's default connection has none.
        import json

        raw = os.environ.get("AIRFLOW_CONN_%s" % self.fs_conn_id.upper())
        if raw and raw.lstrip().startswith("{"):
            try:
                return (json.loads(raw).get("extra") or {}).get("path", "")
            except ValueError:
                return ""
        return ""

    def poke(self, context):
        self.log.info("Poking for file %s", self.path)
        for path in glob(self.path, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            for _, _, files in os.walk(path):
                if files:
                    return True
        return False

    def execute(self, context):
        """As Airflow 2.10.5's: without `deferrable`, the poke loop; then, if the file is not there, a deferral on
        FileTrigger bounded by `timeout`."""
        if not self.deferrable:
            super().execute(context=context)
        if not self.poke(context=context):
            from airflow.triggers.file import FileTrigger

            self.defer(timeout=timedelta(seconds=self.timeout),
                       trigger=FileTrigger(filepath=self.path, recursive=self.recursive,
                                           poke_interval=self.poke_interval),
                       method_name="execute_complete")

    def execute_complete(self, context, event=None):
        if not event:
            raise AirflowException("%s task failed as %s not found." % (self.task_id, self.filepath))
        self.log.info("%s completed successfully as %s found.", self.task_id, self.filepath)
