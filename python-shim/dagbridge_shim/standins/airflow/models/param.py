"""Param and ParamsDict (stand-in of airflow.models.param). JSON-schema validation needs the
`jsonschema` package, which the stand-ins do not use: a few common keywords are checked instead."""
import copy
from collections.abc import MutableMapping

from airflow._dagbridge import NOTSET
from airflow.exceptions import ParamValidationError

_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


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
        try:
            _check(final, self.schema)
        except ParamValidationError:
            if suppress_exception:
                return None
            raise
        return final

    def dump(self):
        return {
            self.CLASS_IDENTIFIER: "airflow.models.param.Param",
            "value": None if self.value is NOTSET else self.value,
            "description": self.description,
            "schema": self.schema,
        }


def _check(value, schema):
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        allowed = tuple(t for name in names for t in _TYPES.get(name, (object,)))
        ok = isinstance(value, allowed)
        if ok and isinstance(value, bool) and "boolean" not in names:
            ok = False
        if not ok:
            raise ParamValidationError("%r is not of type %s" % (value, ", ".join(repr(name) for name in names)))
    if "enum" in schema and value not in schema["enum"]:
        raise ParamValidationError("%r is not one of %r" % (value, schema["enum"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise ParamValidationError("%r is less than the minimum of %r" % (value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            raise ParamValidationError("%r is greater than the maximum of %r" % (value, schema["maximum"]))
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ParamValidationError("%r is too short" % value)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ParamValidationError("%r is too long" % value)


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
            self.__dict[key].value = value
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
