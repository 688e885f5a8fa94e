"""BaseHook (stand-in of airflow.hooks.base and airflow.sdk's BaseHook): `get_connection(conn_id)` in Airflow's
secrets order, `AIRFLOW_CONN_<ID>` first, then the worker (its secrets file, then the metadata table)."""
import logging

from airflow.exceptions import AirflowNotFoundException
from airflow.utils.log.logging_mixin import LoggingMixin

log = logging.getLogger(__name__)


class BaseHook(LoggingMixin):
    """Base of hooks; `get_connection(conn_id)` is `Connection.get_connection_from_secrets(conn_id)`."""

    conn_name_attr = None
    default_conn_name = None
    conn_type = None
    hook_name = None

    def __init__(self, logger_name=None):
        self._logger_name = logger_name

    @classmethod
    def get_connection(cls, conn_id):
        from airflow.models.connection import Connection

        conn = Connection.get_connection_from_secrets(conn_id)
        log.info("Retrieving connection '%s'", conn.conn_id)
        return conn

    @classmethod
    def get_connections(cls, conn_id):
        return [cls.get_connection(conn_id)]

    @classmethod
    def get_hook(cls, conn_id):
        raise AirflowNotFoundException("hooks for %s are not available in dagbridge's stand-ins" % conn_id)

    def get_conn(self):
        raise NotImplementedError()
