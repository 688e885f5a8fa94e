"""Connection (stand-in of airflow.models.connection and airflow.sdk's Connection), with the fields and methods
DAG code uses as Airflow 2.10.5 has them: URI parsing and ``get_uri``, ``extra_dejson``, ``to_dict``,
``from_json``, ``as_json``, and ``get_connection_from_secrets`` (Airflow 3: ``Connection.get``) in Airflow's
secrets order (``dagbridge_shim.runtime.connections``). A password is masked in the task log from the moment a
Connection holds it, and so are the values of its extra under sensitive keys once it is fetched.
"""
import json
import logging
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from airflow.exceptions import AirflowException, AirflowNotFoundException
from airflow.utils.log.logging_mixin import LoggingMixin
from dagbridge_shim.runtime import connections as _connections
from dagbridge_shim.runtime import secrets_masker as _masker

log = logging.getLogger(__name__)
#: Airflow's ``RE_SANITIZE_CONN_ID`` (RE2's ``\w`` is ASCII).
RE_SANITIZE_CONN_ID = re.compile(r"^[\w\#\!\(\)\-\.\:\/\\]{1,}$", re.ASCII)
CONN_ID_MAX_LEN = 250


def sanitize_conn_id(conn_id, max_length=CONN_ID_MAX_LEN):
    """The connection id when it is at most ``max_length`` characters of ``\\w#!()-.:/\\``, else None."""
    if not isinstance(conn_id, str) or len(conn_id) > max_length:
        return None
    match = RE_SANITIZE_CONN_ID.match(conn_id)
    return None if match is None else match.group(0)


def _parse_netloc_to_hostname(uri_parts):
    # urlsplit lowercases the hostname and stops it at "/"; a host with a path keeps the netloc's text.
    hostname = unquote(uri_parts.hostname or "")
    if "/" in hostname:
        hostname = uri_parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


class Connection(LoggingMixin):
    """An Airflow Connection: ``conn_id``, ``conn_type``, ``description``, ``host``, ``schema``, ``login``,
    ``password``, ``port``, ``extra`` (JSON text), or all of them from ``uri``."""

    EXTRA_KEY = "__extra__"

    def __init__(self, conn_id=None, conn_type=None, description=None, host=None, login=None, password=None,
                 schema=None, port=None, extra=None, uri=None):
        self.conn_id = sanitize_conn_id(conn_id)
        self.description = description
        if extra and not isinstance(extra, str):
            extra = json.dumps(extra)
        if uri and (conn_type or host or login or password or schema or port or extra):
            raise AirflowException(
                "You must create an object using the URI or individual values "
                "(conn_type, host, login, password, schema, port or extra)."
                "You can't mix these two ways to create this object."
            )
        self.conn_type = self.host = self.login = self.password = self.schema = self.port = self.extra = None
        if uri:
            self._parse_from_uri(uri)
        else:
            self.conn_type = conn_type
            self.host = host
            self.login = login
            self.password = password
            self.schema = schema
            self.port = port
            self.extra = extra
        if self.password:
            _masker.add_mask(self.password)
            _masker.add_mask(quote(self.password))

    @staticmethod
    def _normalize_conn_type(conn_type):
        if conn_type == "postgresql":
            return "postgres"
        if "-" in conn_type:
            return conn_type.replace("-", "_")
        return conn_type

    def _parse_from_uri(self, uri):
        schemes = uri.count("://")
        if schemes > 2:
            raise AirflowException("Invalid connection string: %s." % uri)
        host_with_protocol = schemes == 2
        conn_type = urlsplit(uri).scheme
        self.conn_type = self._normalize_conn_type(conn_type)
        rest = uri.replace("%s://" % conn_type, "" if host_with_protocol else "//")
        if host_with_protocol:
            head = rest.split("://", 1)[0]
            if "@" in head or ":" in head:
                raise AirflowException("Invalid connection string: %s." % uri)
        parts = urlsplit(rest)
        protocol = parts.scheme if host_with_protocol else None
        host = _parse_netloc_to_hostname(parts)
        self.host = ("%s://%s" % (protocol, host) if protocol else host) if host else host
        quoted_schema = parts.path[1:]
        self.schema = unquote(quoted_schema) if quoted_schema else quoted_schema
        self.login = unquote(parts.username) if parts.username else parts.username
        self.password = unquote(parts.password) if parts.password else parts.password
        self.port = parts.port
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.extra = query[self.EXTRA_KEY] if self.EXTRA_KEY in query else json.dumps(query)

    def get_uri(self):
        """The connection as a URI (Airflow's ``Connection.get_uri``)."""
        if self.conn_type and "_" in self.conn_type:
            self.log.warning("Connection schemes (type: %s) shall not contain '_' according to RFC3986.",
                             self.conn_type)
        uri = "%s://" % self.conn_type.lower().replace("_", "-") if self.conn_type else "//"
        if self.host and "://" in self.host:
            protocol, host = self.host.split("://", 1)
        else:
            protocol, host = None, self.host
        if protocol:
            uri += "%s://" % protocol
        authority = ""
        if self.login is not None:
            authority += quote(self.login, safe="")
        if self.password is not None:
            authority += ":" + quote(self.password, safe="")
        if authority:
            authority += "@"
            uri += authority
        host_block = quote(host, safe="") if host else ""
        if self.port:
            host_block += ("@:%s" if host_block == "" and authority == "" else ":%s") % self.port
        if self.schema:
            host_block += "/%s" % quote(self.schema, safe="")
        uri += host_block
        if self.extra:
            try:
                query = urlencode(self.extra_dejson)
            except TypeError:
                query = None
            separator = "?" if self.schema else "/?"
            if query and self.extra_dejson == dict(parse_qsl(query, keep_blank_values=True)):
                uri += separator + query
            else:
                uri += separator + urlencode({self.EXTRA_KEY: self.extra})
        return uri

    def get_password(self):
        return self.password

    def set_password(self, value):
        self.password = value

    def get_extra(self):
        return self.extra

    def set_extra(self, value):
        self.extra = value

    def get_extra_dejson(self, nested=False):
        """``extra`` as a dict (``nested``: string values that are JSON decoded too); its sensitive values are
        masked in the task log."""
        extra = {}
        if self.extra:
            try:
                if nested:
                    for key, value in json.loads(self.extra).items():
                        extra[key] = value
                        if isinstance(value, str):
                            try:
                                extra[key] = json.loads(value)
                            except ValueError:
                                pass  # a plain string stays as it is
                else:
                    extra = json.loads(self.extra)
            except ValueError:
                self.log.exception("Failed parsing the json for conn_id %s", self.conn_id)
            _masker.add_mask(extra)
        return extra

    @property
    def extra_dejson(self):
        return self.get_extra_dejson()

    def get_hook(self, *, hook_params=None):
        raise AirflowException(
            'Unknown hook type "%s": dagbridge\'s stand-ins have no provider hooks; construct the provider\'s '
            "hook class with conn_id=%r (its provider package installed on the worker)" % (self.conn_type, self.conn_id))

    def test_connection(self):
        """(False, why): testing a connection needs its provider's hook, which the stand-ins do not have."""
        return False, ("test_connection is not supported by dagbridge's stand-ins: it needs the hook of connection "
                       "type %r from its provider package and Apache Airflow; test it with the provider's hook "
                       "in a task instead" % self.conn_type)

    def to_dict(self, *, prune_empty=False, validate=True):
        conn = {"conn_id": self.conn_id, "conn_type": self.conn_type, "description": self.description,
                "host": self.host, "login": self.login, "password": self.password, "schema": self.schema,
                "port": self.port}
        if prune_empty:
            conn = _prune_dict(conn)
        extra = self.extra_dejson
        if extra or not prune_empty:
            conn["extra"] = extra
        if validate:
            json.dumps(conn)
        return conn

    @classmethod
    def from_json(cls, value, conn_id=None):
        kwargs = json.loads(value)
        extra = kwargs.pop("extra", None)
        if extra:
            kwargs["extra"] = extra if isinstance(extra, str) else json.dumps(extra)
        conn_type = kwargs.pop("conn_type", None)
        if conn_type:
            kwargs["conn_type"] = cls._normalize_conn_type(conn_type)
        port = kwargs.pop("port", None)
        if port:
            try:
                kwargs["port"] = int(port)
            except ValueError:
                raise ValueError("Expected integer value for `port`, but got %r instead." % (port,)) from None
        return cls(conn_id=conn_id, **kwargs)

    def as_json(self):
        conn = self.to_dict(prune_empty=True, validate=False)
        conn.pop("conn_id", None)
        return json.dumps(conn)

    @classmethod
    def get_connection_from_secrets(cls, conn_id):
        """The connection ``conn_id`` from ``AIRFLOW_CONN_<ID>``, else from the worker (its secrets file, then
        the metadata table); AirflowNotFoundException when none has it. A source that fails is logged and the
        next one tried, as Airflow does with its secrets backends."""
        for backend, lookup in _connections.sources(conn_id):
            try:
                found = lookup()
                if found is None:
                    continue
                if isinstance(found.value, dict):
                    conn = cls(conn_id=conn_id, **found.value)
                else:
                    value = found.value.strip()
                    conn = cls.from_json(value, conn_id=conn_id) if value[:1] == "{" else cls(conn_id=conn_id, uri=value)
            except Exception:
                log.exception("Unable to retrieve connection from secrets backend (%s). "
                              "Checking subsequent secrets backend.", backend)
                continue
            conn.get_extra_dejson()
            return conn
        raise AirflowNotFoundException("The conn_id `%s` isn't defined" % conn_id)

    @classmethod
    def get(cls, conn_id):
        """Airflow 3's ``Connection.get``."""
        return cls.get_connection_from_secrets(conn_id)

    def __repr__(self):
        return self.conn_id or ""


def _prune_dict(values):
    # Airflow's prune_dict(mode="strict"): drops None values only.
    return {key: value for key, value in values.items() if value is not None}
