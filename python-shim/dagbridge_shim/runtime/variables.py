"""Airflow Variables as a task sees them: the run input's variables, then ``AIRFLOW_VAR_<KEY>`` (Airflow's env
secrets backend)."""
import json
import os


class VariableAccessor:
    """``var.value`` / ``var.json``: ``{{ var.value.KEY }}`` and ``{{ var.value.get('KEY', default) }}``.

    Looks a key up in the run input's variables, then in ``AIRFLOW_VAR_<KEY>``.
    """

    _NOT_SET = object()

    def __init__(self, variables, deserialize_json):
        self._variables = variables
        self._deserialize_json = deserialize_json

    def _lookup(self, key, default=_NOT_SET):
        raw = lookup_variable(self._variables, key)
        if raw is None:
            if default is not VariableAccessor._NOT_SET:
                return default
            raise KeyError("Variable %s does not exist" % key)
        if self._deserialize_json:
            return json.loads(raw)
        return raw

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return self._lookup(key)

    def get(self, item, default_var=_NOT_SET):
        return self._lookup(item, default_var)

    def __repr__(self):
        return "<VariableAccessor json=%s>" % self._deserialize_json


def lookup_variable(variables, key):
    """A variable's raw string: the run input's variables first, then ``AIRFLOW_VAR_<KEY>``; None if absent."""
    if key in variables:
        return variables[key]
    return os.environ.get("AIRFLOW_VAR_" + key.upper())
