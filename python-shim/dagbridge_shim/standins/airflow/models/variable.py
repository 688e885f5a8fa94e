"""Variable (stand-in of airflow.models.variable): Airflow's lookup order, ``AIRFLOW_VAR_<KEY>`` first, then the
metadata store over the task's supervisor channel (``dagbridge_shim.runtime.variables``). Writes reach the store.
"""
import json

from airflow._dagbridge import NOTSET
from dagbridge_shim.runtime import variables as _variables


class Variable:
    """Airflow Variables: ``get``, ``set``, ``setdefault``, ``update``, ``delete`` as Airflow 2.10.5 has them."""

    #: The run input's variables, for a process without a supervisor channel.
    _dagbridge_values = _variables.local_values
    __NO_DEFAULT_SENTINEL = object()

    def __init__(self, key=None, val=None, description=None):
        self.key = key
        self.val = val
        self.description = description

    @classmethod
    def _raw(cls, key):
        return _variables.lookup_variable(key)

    @classmethod
    def get(cls, key, default_var=__NO_DEFAULT_SENTINEL, deserialize_json=False, default=NOTSET):
        """The variable's value; `default_var` (Airflow 2) or `default` (Airflow 3) when it is not set,
        else KeyError."""
        if default is not NOTSET:
            default_var = default
        raw = cls._raw(key)
        if raw is None:
            if default_var is not cls.__NO_DEFAULT_SENTINEL:
                return default_var
            raise KeyError("Variable %s does not exist" % key)
        return _variables.read_value(key, raw, deserialize_json)

    @classmethod
    def setdefault(cls, key, default, description=None, deserialize_json=False):
        value = cls.get(key, default_var=None, deserialize_json=deserialize_json)
        if value is None:
            if default is None:
                raise ValueError("Default Value must be set")
            cls.set(key, default, description=description, serialize_json=deserialize_json)
            return default
        return value

    @classmethod
    def set(cls, key, value, description=None, serialize_json=False, session=None):
        """Creates or replaces the stored variable (JSON-encoded with ``serialize_json``, else ``str(value)``)."""
        _variables.set_variable(key, _stored(value, serialize_json), description)

    @classmethod
    def update(cls, key, value, serialize_json=False, session=None):
        """Replaces the value of an existing stored variable (KeyError when it is not set)."""
        _variables.update_variable(key, _stored(value, serialize_json))

    @classmethod
    def delete(cls, key, session=None):
        """Deletes the stored variable; the number of variables deleted."""
        return _variables.delete_variable(key)


def _stored(value, serialize_json):
    return json.dumps(value, indent=2) if serialize_json else str(value)
