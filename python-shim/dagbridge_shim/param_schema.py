"""JSON-schema validation of a Param's value, standard library only, as Airflow's ``Param.resolve`` does it with
``jsonschema.validate(value, schema, format_checker=FormatChecker())`` (Draft 2020-12, the default when the schema
names no ``$schema``). ``schema_error`` gives the message of the error ``jsonschema.validate`` would raise
(``best_match``), or None.

Checked: ``type``, ``enum``, ``const``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
``multipleOf``, ``minLength``, ``maxLength``, ``pattern``, ``format`` (``date``, ``date-time`` as rfc3339-validator,
``time``, ``email``, ``idn-email``, ``ipv4``, ``ipv6``, ``uuid``, ``regex``), ``items``, ``prefixItems``,
``minItems``, ``maxItems``, ``uniqueItems``, ``properties``, ``required``, ``additionalProperties``,
``minProperties``, ``maxProperties``, ``allOf``, ``anyOf``, ``oneOf``, ``not``, and boolean schemas. Other
keywords (``$ref``, ``if``, ``patternProperties``, ``contains``, ...) are not checked.

The control plane validates a new run's params with a TypeScript port of this module (src/dag/param-schema.ts);
both are tested against one table of cases, schemas/param-cases.json, and against jsonschema itself where it
is installed (python-shim/tests/test_param_schema.py).
"""
import datetime
import ipaddress
import re
import uuid

_WEAK = ("anyOf", "oneOf")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# rfc3339-validator 0.1.4's pattern (the date-time format Airflow's jsonschema checks).
_RFC3339 = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0123]):(?:[0-5]\d):(?:[0-5]\d)(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0123]):[0-5]\d)$",
    re.IGNORECASE,
)
_TIME = re.compile(r"^(\d{1,2}):(\d{1,2}):(\d{1,2})$", re.ASCII)


class _Error:
    __slots__ = ("message", "keyword", "path", "schema", "instance", "context")

    def __init__(self, message, keyword, path, schema, instance, context=()):
        self.message = message
        self.keyword = keyword
        self.path = path
        self.schema = schema
        self.instance = instance
        self.context = list(context)


def is_type(value, name):
    """jsonschema's Draft 2020-12 type checker: ``integer`` takes 1.0, booleans are no numbers, arrays are lists."""
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if isinstance(value, bool):
        return False
    if name == "number":
        return isinstance(value, (int, float))
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return False


def _unbool(value):
    if value is True:
        return ("__bool__", True)
    if value is False:
        return ("__bool__", False)
    return value


def equal(one, two):
    """jsonschema's ``equal``: deep, and ``True`` is not ``1``."""
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, (list, tuple)) and isinstance(two, (list, tuple)):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(k in two and equal(v, two[k]) for k, v in one.items())
    return _unbool(one) == _unbool(two)


def _unique(items):
    seen = []
    for item in items:
        if any(equal(item, other) for other in seen):
            return False
        seen.append(item)
    return True


def _format_ok(fmt, value):
    if not isinstance(value, str):
        return True
    try:
        if fmt == "date":
            return bool(_DATE.match(value) and datetime.date.fromisoformat(value))
        if fmt == "date-time":
            return _rfc3339(value.upper())
        if fmt == "time":
            # jsonschema's FormatChecker() ends with the draft 3 checker for "time": strptime("%H:%M:%S").
            match = _TIME.match(value)
            return bool(match) and int(match.group(1)) < 24 and int(match.group(2)) < 60 and int(match.group(3)) < 62
        if fmt in ("email", "idn-email"):
            return "@" in value
        if fmt == "ipv4":
            return bool(ipaddress.IPv4Address(value))
        if fmt == "ipv6":
            return not getattr(ipaddress.IPv6Address(value), "scope_id", "")
        if fmt == "uuid":
            uuid.UUID(value)
            return all(value[position] == "-" for position in (8, 13, 18, 23))
        if fmt == "regex":
            return bool(re.compile(value))
    except (ValueError, IndexError, re.error):
        return False
    return True


def _rfc3339(value):
    match = _RFC3339.match(value)
    if not match:
        return False
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return 1 <= day <= days


def _number(value):
    return is_type(value, "number")


def _length_message(value, limit, short):
    if short:
        return "%r %s" % (value, "should be non-empty" if limit == 1 else "is too short")
    return "%r %s" % (value, "is expected to be empty" if limit == 0 else "is too long")


def _scalar_errors(keyword, arg, value):
    if keyword == "type":
        names = [arg] if isinstance(arg, str) else list(arg)
        if not any(is_type(value, name) for name in names):
            yield "%r is not of type %s" % (value, ", ".join(repr(name) for name in names))
    elif keyword == "enum":
        if all(not equal(each, value) for each in arg):
            yield "%r is not one of %r" % (value, arg)
    elif keyword == "const":
        if not equal(value, arg):
            yield "%r was expected" % (arg,)
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if _number(value):
            yield from _number_errors(keyword, arg, value)
    elif keyword in ("minLength", "maxLength"):
        if isinstance(value, str) and (len(value) < arg if keyword == "minLength" else len(value) > arg):
            yield _length_message(value, arg, keyword == "minLength")
    elif keyword == "pattern":
        if isinstance(value, str) and not re.search(arg, value):
            yield "%r does not match %r" % (value, arg)
    elif keyword == "format":
        if not _format_ok(arg, value):
            yield "%r is not a %r" % (value, arg)


def _keyword_errors(keyword, arg, value, schema, path):
    """The errors of one keyword: a message (an error of this keyword), a nested _Error (from a subschema), or
    (message, context) for anyOf/oneOf."""
    if keyword in ("allOf", "anyOf", "oneOf", "not"):
        yield from _combinator_errors(keyword, arg, value, path)
    elif isinstance(value, list) and keyword in _ARRAY_KEYWORDS:
        yield from _array_errors(keyword, arg, value, schema, path)
    elif isinstance(value, dict) and keyword in _OBJECT_KEYWORDS:
        yield from _object_errors(keyword, arg, value, schema, path)
    else:
        yield from _scalar_errors(keyword, arg, value)


_ARRAY_KEYWORDS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")
_OBJECT_KEYWORDS = ("properties", "required", "additionalProperties", "minProperties", "maxProperties")


def _number_errors(keyword, arg, value):
    if keyword == "minimum" and value < arg:
        yield "%r is less than the minimum of %r" % (value, arg)
    elif keyword == "maximum" and value > arg:
        yield "%r is greater than the maximum of %r" % (value, arg)
    elif keyword == "exclusiveMinimum" and value <= arg:
        yield "%r is less than or equal to the minimum of %r" % (value, arg)
    elif keyword == "exclusiveMaximum" and value >= arg:
        yield "%r is greater than or equal to the maximum of %r" % (value, arg)
    elif keyword == "multipleOf":
        if isinstance(arg, float):
            quotient = value / arg
            failed = quotient != quotient or quotient in (float("inf"), float("-inf")) or int(quotient) != quotient
        else:
            failed = value % arg
        if failed:
            yield "%r is not a multiple of %s" % (value, arg)


def _array_errors(keyword, arg, value, schema, path):
    if keyword == "items":
        prefix = len(schema.get("prefixItems", []))
        if arg is False and len(value) > prefix:
            extra = len(value) - prefix
            rest = value[prefix:] if extra != 1 else value[prefix]
            yield "Expected at most %d %s but found %d extra: %r" % (prefix, "items" if prefix != 1 else "item", extra, rest)
        elif arg is not False:
            for index in range(prefix, len(value)):
                yield from _errors(value[index], arg, path + (index,))
    elif keyword == "prefixItems":
        for index, (item, subschema) in enumerate(zip(value, arg)):
            yield from _errors(item, subschema, path + (index,))
    elif keyword in ("minItems", "maxItems"):
        if len(value) < arg if keyword == "minItems" else len(value) > arg:
            yield _length_message(value, arg, keyword == "minItems")
    elif keyword == "uniqueItems":
        if arg and not _unique(value):
            yield "%r has non-unique elements" % (value,)


def _object_errors(keyword, arg, value, schema, path):
    if keyword == "properties":
        for name, subschema in arg.items():
            if name in value:
                yield from _errors(value[name], subschema, path + (name,))
    elif keyword == "required":
        for name in arg:
            if name not in value:
                yield "%r is a required property" % (name,)
    elif keyword == "additionalProperties":
        known = schema.get("properties", {})
        extras = [name for name in value if name not in known]
        if "patternProperties" in schema:
            return  # which names the patterns take is not modelled
        if isinstance(arg, dict):
            for name in extras:
                yield from _errors(value[name], arg, path + (name,))
        elif not arg and extras:
            extras = sorted(extras, key=str)
            yield "Additional properties are not allowed (%s %s unexpected)" % (
                ", ".join(repr(name) for name in extras), "was" if len(extras) == 1 else "were")
    elif keyword == "minProperties" and len(value) < arg:
        yield "%r %s" % (value, "should be non-empty" if arg == 1 else "does not have enough properties")
    elif keyword == "maxProperties" and len(value) > arg:
        yield "%r %s" % (value, "is expected to be empty" if arg == 0 else "has too many properties")


def _combinator_errors(keyword, arg, value, path):
    if keyword == "allOf":
        for subschema in arg:
            yield from _errors(value, subschema, path)
        return
    if keyword == "not":
        if not list(_errors(value, arg, path)):
            yield "%r should not be valid under %r" % (value, arg)
        return
    collected = []
    first = None
    for index, subschema in enumerate(arg):
        errors = list(_errors(value, subschema, path))
        if not errors:
            first = index
            break
        collected.extend(errors)
    if first is None:
        yield ("%r is not valid under any of the given schemas" % (value,), collected)
    elif keyword == "oneOf":
        more = [each for each in arg[first + 1:] if not list(_errors(value, each, path))]
        if more:
            yield "%r is valid under each of %s" % (value, ", ".join(repr(each) for each in more + [arg[first]]))


def _errors(value, schema, path=()):
    """Every error of ``value`` under ``schema``, in jsonschema's order (the schema's keyword order)."""
    if schema is True:
        return
    if schema is False:
        yield _Error("False schema does not allow %r" % (value,), None, path, schema, value)
        return
    if not isinstance(schema, dict):
        return
    for keyword, arg in schema.items():
        for error in _keyword_errors(keyword, arg, value, schema, path):
            if isinstance(error, _Error):
                yield error
            elif isinstance(error, tuple):
                yield _Error(error[0], keyword, path, schema, value, error[1])
            else:
                yield _Error(error, keyword, path, schema, value)


def _matches_type(error):
    expected = error.schema.get("type") if isinstance(error.schema, dict) else None
    if expected is None:
        return False
    names = [expected] if isinstance(expected, str) else expected
    return any(is_type(error.instance, name) for name in names)


class _Key:
    """jsonschema's ``relevance``: shallow first, then later siblings, strong keywords, type-mismatched."""

    __slots__ = ("parts",)

    def __init__(self, error):
        self.parts = (-len(error.path), error.path, error.keyword not in _WEAK, False, not _matches_type(error))

    def _cmp(self, other):
        for mine, theirs in zip(self.parts, other.parts):
            if mine == theirs:
                continue
            try:
                return -1 if mine < theirs else 1
            except TypeError:
                return -1 if str(mine) < str(theirs) else 1
        return 0

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __eq__(self, other):
        return self._cmp(other) == 0


def best_match(errors):
    """jsonschema's ``best_match``: the most relevant error, descending into anyOf/oneOf contexts."""
    best = None
    for error in errors:
        if best is None or _Key(best) < _Key(error):
            best = error
    if best is None:
        return None
    while best.context:
        ordered = sorted(best.context, key=_Key)
        if len(ordered) >= 2 and _Key(ordered[0]) == _Key(ordered[1]):
            return best
        best = ordered[0]
    return best


def schema_error(value, schema):
    """The best error of ``value`` under ``schema`` as (message, format of the failing subschema), or None."""
    error = best_match(_errors(value, schema))
    if error is None:
        return None
    fmt = error.schema.get("format") if isinstance(error.schema, dict) else None
    return error.message, fmt


def loose_iso8601(value):
    """Whether ``value`` is an ISO 8601 date-time pendulum's ``parse_iso8601`` reads (Airflow accepts such a
    ``date-time`` value with a deprecation warning): a date and time joined by ``T`` or a space, optional seconds,
    fraction and offset."""
    if not isinstance(value, str):
        return False
    match = re.match(
        r"^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$",
        value,
    )
    if not match:
        return False
    try:
        datetime.datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), int(match.group(4)),
                          int(match.group(5)), int(match.group(6) or 0))
    except ValueError:
        return False
    return True
