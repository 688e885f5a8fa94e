"""Airflow Connections as a task sees them, in Airflow's secrets order: ``AIRFLOW_CONN_<ID>`` of the task's
environment (a URI, or JSON when it starts with ``{``) first, then the worker over the supervisor channel
(``connection.get``), which answers from its own chain (the local secrets file, then the metadata table) or
null. A process without a channel (a bare ``run`` in a test) has the environment only.

The stand-in ``Connection`` builds its objects from what :func:`lookup_connection` finds; this module does not
import ``airflow``.
"""
import os

from dagbridge_shim.runtime import channel

ENV_PREFIX = "AIRFLOW_CONN_"

#: ``ConnectionRecord`` fields (the channel's answer) -> ``Connection`` keyword arguments.
RECORD_FIELDS = (("connType", "conn_type"), ("description", "description"), ("host", "host"),
                 ("schema", "schema"), ("login", "login"), ("password", "password"), ("port", "port"),
                 ("extra", "extra"))


class Source:
    """Where a connection was found: ``name`` as Airflow names the backend, ``value`` the environment's text or
    the store's fields (``Connection`` keyword arguments)."""

    def __init__(self, name, value):
        self.name = name
        self.value = value


def env_value(conn_id):
    """``AIRFLOW_CONN_<CONN_ID>``, or None (Airflow's ``EnvironmentVariablesBackend.get_conn_value``)."""
    return os.environ.get(ENV_PREFIX + str(conn_id).upper())


def sources(conn_id):
    """The lookups of Airflow's secrets order, each a function returning a :class:`Source` or None."""
    def from_environment():
        value = env_value(conn_id)
        return None if value is None else Source("EnvironmentVariablesBackend", value)

    def from_worker():
        if not channel.available():
            return None
        record = channel.request("connection.get", {"connId": str(conn_id)})
        if record is None:
            return None
        return Source("MetastoreBackend", {field: record.get(key) for key, field in RECORD_FIELDS})

    return (("EnvironmentVariablesBackend", from_environment), ("MetastoreBackend", from_worker))


class ConnectionAccessor:
    """``conn`` in templates: ``{{ conn.my_id.host }}``, ``{{ conn.get('my_id', default) }}`` (Airflow's
    ``ConnectionAccessor``), resolved with the ``Connection`` class of the ``airflow`` the task runs with."""

    def __init__(self):
        self.var = None

    @staticmethod
    def _connection_class():
        # The stand-ins or real Airflow, whichever the task imported.
        from airflow.models.connection import Connection

        return Connection

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        self.var = self._connection_class().get_connection_from_secrets(key)
        return self.var

    def get(self, key, default_conn=None):
        from airflow.exceptions import AirflowNotFoundException

        try:
            return self._connection_class().get_connection_from_secrets(key)
        except AirflowNotFoundException:
            return default_conn

    def __repr__(self):
        return str(self.var)
