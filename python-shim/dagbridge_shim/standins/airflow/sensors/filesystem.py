"""FileSensor: waits for a file or folder (glob) to exist."""
import os
from glob import glob

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
        full_path = os.path.join(self._base_path(), self.filepath)
        self.log.info("Poking for file %s", full_path)
        for path in glob(full_path, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            for _, _, files in os.walk(path):
                if files:
                    return True
        return False
