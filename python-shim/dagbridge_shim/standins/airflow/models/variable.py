"""Variable (stand-in of airflow.models.variable): values from `AIRFLOW_VAR_<KEY>` environment variables.

dagbridge's task runner may put the run's variables in `Variable._dagbridge_values` first.
"""
import json
import os

from airflow._dagbridge import NOTSET


class Variable:
    """Airflow Variables. `get` reads `_dagbridge_values`, then `AIRFLOW_VAR_<KEY>` (upper-cased key)."""

    _dagbridge_values = {}
    __NO_DEFAULT_SENTINEL = object()

    def __init__(self, key=None, val=None, description=None):
        self.key = key
        self.val = val
        self.description = description

    @classmethod
    def _raw(cls, key):
        if key in cls._dagbridge_values:
            return cls._dagbridge_values[key]
        return os.environ.get("AIRFLOW_VAR_" + str(key).upper())

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
        if deserialize_json:
            return json.loads(raw)
        return raw

    @classmethod
    def setdefault(cls, key, default, description=None, deserialize_json=False):
        value = cls.get(key, default_var=None, deserialize_json=deserialize_json)
        if value is None:
            if default is None:
                raise ValueError("Default Value must be set")
            cls.set(key, default, serialize_json=deserialize_json)
            return default
        return value

    @classmethod
    def set(cls, key, value, description=None, serialize_json=False, session=None):
        """Sets the value for the rest of this process only (there is no metadata database here)."""
        cls._dagbridge_values[key] = json.dumps(value) if serialize_json else str(value)

    @classmethod
    def delete(cls, key, session=None):
        cls._dagbridge_values.pop(key, None)
        return 1
