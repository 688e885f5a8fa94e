"""Param and ParamsDict (stand-in of airflow.models.param). Airflow validates a value with
``jsonschema.validate``; the stand-ins use dagbridge_shim.param_schema, which checks the keywords listed there
with jsonschema's messages, and accepts a ``date-time`` value that is ISO 8601 but not RFC 3339, as Airflow
2.10.5's ``Param._warn_if_not_rfc3339_dt`` does (with its deprecation warning)."""
import copy
import warnings
from collections.abc import MutableMapping

from airflow._dagbridge import NOTSET
from airflow.exceptions import ParamValidationError
from dagbridge_shim.param_schema import loose_iso8601, schema_error


class Param:
    """A DAG or task parameter: a default, a description and a JSON schema (the other keyword arguments)."""

    __version__ = 1
    CLASS_IDENTIFIER = "__class"

    def __init__(self, default=NOTSET, description=None, **kwargs):
        self.value = default
        self.description = description
        self.schema = kwargs.pop("schema") if "schema" in kwargs else kwargs

    def __copy__(self):
        return Param(self.value, self.description, schema=self.schema)

    def __repr__(self):
        return "Param(%r)" % (self.value,)

    def has_value(self):
        return self.value is not NOTSET and self.value is not None

    def resolve(self, value=NOTSET, suppress_exception=False):
        """The value to use (`value`, else the default), checked against the basic schema keywords."""
        final = self.value if value is NOTSET else value
        if final is NOTSET:
            if suppress_exception:
                return None
            raise ParamValidationError("No value passed and Param has no default value")
        problem = schema_error(final, self.schema)
        if problem is not None:
            message, fmt = problem
            if fmt == "date-time" and loose_iso8601(final):
                warnings.warn("The use of non-RFC3339 datetime: %r is deprecated and will be removed in a future release"
                              % (final,), DeprecationWarning, stacklevel=2)
            else:
                if suppress_exception:
                    return None
                raise ParamValidationError(message)
        self.value = final
        return final

    def dump(self):
        return {
            self.CLASS_IDENTIFIER: "airflow.models.param.Param",
            "value": None if self.value is NOTSET else self.value,
            "description": self.description,
            "schema": self.schema,
        }


class ParamsDict(MutableMapping):
    """A dict of Params: setting a plain value wraps it in a Param; getting returns the value."""

    __slots__ = ["__dict", "suppress_exception"]

    def __init__(self, dict_obj=None, suppress_exception=False):
        params = {}
        for k, v in (dict_obj or {}).items():
            params[k] = v if isinstance(v, Param) else Param(v)
        self.__dict = params
        self.suppress_exception = suppress_exception

    def __bool__(self):
        return bool(self.__dict)

    def __eq__(self, other):
        if isinstance(other, ParamsDict):
            return self.dump() == other.dump()
        if isinstance(other, dict):
            return self.dump() == other
        return NotImplemented

    def __copy__(self):
        return ParamsDict(self.__dict, self.suppress_exception)

    def __deepcopy__(self, memo):
        return ParamsDict(copy.deepcopy(self.__dict, memo), self.suppress_exception)

    def __contains__(self, o):
        return o in self.__dict

    def __len__(self):
        return len(self.__dict)

    def __delitem__(self, v):
        del self.__dict[v]

    def __iter__(self):
        return iter(self.__dict)

    def __repr__(self):
        return repr(self.dump())

    def __setitem__(self, key, value):
        if isinstance(value, Param):
            self.__dict[key] = value
        elif key in self.__dict:
            # Airflow validates a new value of a known param against its schema (and keeps the old value when
            # suppress_exception swallows the error).
            try:
                self.__dict[key].resolve(value=value, suppress_exception=self.suppress_exception)
            except ParamValidationError as error:
                raise ParamValidationError("Invalid input for param %s: %s" % (key, error)) from None
        else:
            self.__dict[key] = Param(value)

    def __getitem__(self, key):
        return self.__dict[key].resolve(suppress_exception=self.suppress_exception)

    def get_param(self, key):
        return self.__dict[key]

    def items(self):
        return ((k, self[k]) for k in self.__dict)

    def values(self):
        return (self[k] for k in self.__dict)

    def update(self, *args, **kwargs):
        source = args[0] if args else {}
        if isinstance(source, ParamsDict):
            source = source.__dict
        for k, v in dict(source, **kwargs).items():
            self[k] = v

    def dump(self):
        return {k: (None if v.value is NOTSET else v.value) for k, v in self.__dict.items()}

    def to_dict(self):
        return dict(self.__dict)

    def validate(self):
        resolved = {}
        for key, param in self.__dict.items():
            try:
                resolved[key] = param.resolve(suppress_exception=self.suppress_exception)
            except ParamValidationError as error:
                raise ParamValidationError("Invalid input for param %s: %s" % (key, error)) from None
        return resolved


__all__ = ["Param", "ParamsDict"]
