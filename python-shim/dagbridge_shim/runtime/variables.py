"""Airflow Variables as a task sees them, in Airflow's lookup order: ``AIRFLOW_VAR_<KEY>`` (the environment
secrets backend) first, then the metadata store, read live over the supervisor channel (``variable.get``), or,
in a process without a channel (a bare ``run`` in a test), the run input's ``variables``.

Writes (``Variable.set/update/delete``) go to the store over the channel, where the next task reads them; without
a channel they last for this process only.
"""
import json
import os

from dagbridge_shim.runtime import channel, secrets_masker

#: The run input's variables, for a process without a channel (set by ``run.py`` before the DAG file loads).
local_values = {}


def env_value(key):
    """``AIRFLOW_VAR_<KEY>``, or None."""
    return os.environ.get("AIRFLOW_VAR_" + str(key).upper())


def lookup_variable(key, variables=None):
    """A variable's raw string in Airflow's order (environment, then the store), or None when it is not set."""
    value = env_value(key)
    if value is not None:
        return value
    if channel.available():
        return channel.request("variable.get", {"key": str(key)}).get("value")
    source = local_values if variables is None else variables
    return source.get(key, local_values.get(key))


def read_value(key, raw, deserialize_json):
    """The value of a variable read by DAG code, masked in the task log when its key is sensitive (Airflow's
    ``Variable.get``: ``mask_secret(value, key)``, after JSON decoding)."""
    value = json.loads(raw) if deserialize_json else raw
    secrets_masker.add_mask(value, key)
    return value


def set_variable(key, value, description=None):
    """Creates or replaces the stored variable (its raw string ``value``)."""
    if channel.available():
        channel.request("variable.set", {"key": str(key), "value": value, "description": description})
    else:
        local_values[key] = value


def delete_variable(key):
    """Deletes the stored variable; the number of rows deleted (0 or 1), as Airflow's ``Variable.delete``."""
    if channel.available():
        return int(channel.request("variable.delete", {"key": str(key)}).get("deleted") or 0)
    return 1 if local_values.pop(key, None) is not None else 0


def update_variable(key, value):
    """Airflow 2.10.5's ``Variable.update``: KeyError when the variable is not set anywhere, AttributeError when it
    comes from the environment (a secrets backend, which cannot be written)."""
    if env_value(key) is not None:
        raise AttributeError("Variable %s cannot be updated since it is in a secrets backend (the environment "
                             "variable AIRFLOW_VAR_%s); unset it to use the stored value" % (key, str(key).upper()))
    if lookup_variable(key) is None:
        raise KeyError("Variable %s does not exist" % key)
    set_variable(key, value)


class VariableAccessor:
    """``var.value`` / ``var.json``: ``{{ var.value.KEY }}`` and ``{{ var.value.get('KEY', default) }}``."""

    _NOT_SET = object()

    def __init__(self, variables, deserialize_json):
        self._variables = variables
        self._deserialize_json = deserialize_json

    def _lookup(self, key, default=_NOT_SET):
        raw = lookup_variable(key, self._variables)
        if raw is None:
            if default is not VariableAccessor._NOT_SET:
                return default
            raise KeyError("Variable %s does not exist" % key)
        return read_value(key, raw, self._deserialize_json)

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return self._lookup(key)

    def get(self, item, default_var=_NOT_SET):
        return self._lookup(item, default_var)

    def __repr__(self):
        return "<VariableAccessor json=%s>" % self._deserialize_json
