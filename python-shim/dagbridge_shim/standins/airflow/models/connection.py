"""Connection (stand-in of airflow.models.connection), parsed from an `AIRFLOW_CONN_<ID>` URI or JSON."""
import json
from urllib.parse import parse_qsl, unquote, urlsplit


class Connection:
    def __init__(self, conn_id=None, conn_type=None, description=None, host=None, login=None, password=None,
                 schema=None, port=None, extra=None, uri=None):
        self.conn_id = conn_id
        self.conn_type = conn_type
        self.description = description
        self.host = host
        self.login = login
        self.password = password
        self.schema = schema
        self.port = port
        self.extra = extra if isinstance(extra, str) or extra is None else json.dumps(extra)
        if uri:
            self._parse_from_uri(uri)

    def _parse_from_uri(self, uri):
        parts = urlsplit(uri)
        self.conn_type = parts.scheme.replace("-", "_")
        self.host = unquote(parts.hostname) if parts.hostname else None
        self.schema = unquote(parts.path[1:]) if parts.path else None
        self.login = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.port = parts.port
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.extra = query.get("__extra__") or json.dumps(query)

    @property
    def extra_dejson(self):
        if not self.extra:
            return {}
        try:
            return json.loads(self.extra)
        except ValueError:
            return {}

    @classmethod
    def get_connection_from_secrets(cls, conn_id):
        from airflow.hooks.base import BaseHook

        return BaseHook.get_connection(conn_id)
