"""BaseHook (stand-in of airflow.hooks.base): connections come from `AIRFLOW_CONN_<ID>` variables."""
import json
import os

from airflow.exceptions import AirflowNotFoundException
from airflow.utils.log.logging_mixin import LoggingMixin


class BaseHook(LoggingMixin):
    """Base of hooks; `get_connection(conn_id)` reads `AIRFLOW_CONN_<CONN_ID>` (URI or JSON)."""

    conn_name_attr = None
    default_conn_name = None
    conn_type = None
    hook_name = None

    def __init__(self, logger_name=None):
        self._logger_name = logger_name

    @classmethod
    def get_connection(cls, conn_id):
        from airflow.models.connection import Connection

        raw = os.environ.get("AIRFLOW_CONN_%s" % conn_id.upper())
        if raw is None:
            raise AirflowNotFoundException("The conn_id `%s` isn't defined" % conn_id)
        if raw.lstrip().startswith("{"):
            data = json.loads(raw)
            return Connection(conn_id=conn_id, **{k: v for k, v in data.items() if k != "conn_id"})
        return Connection(conn_id=conn_id, uri=raw)

    @classmethod
    def get_hook(cls, conn_id):
        raise AirflowNotFoundException("hooks for %s are not available in dagbridge's stand-ins" % conn_id)

    def get_conn(self):
        raise NotImplementedError()
