"""Time zones: IANA zones from the standard library's `zoneinfo`, fixed offsets, UTC and the local zone.

As pendulum 2: `timezone("UTC")` (any case) is the fixed-offset `UTC`, other names are IANA zones
(`Timezone('Europe/Paris')`), an int is an offset in seconds (`Timezone('+02:00')`); a naive wall time is placed in
a zone with a DST rule: `post` (the default) reads a time in a DST gap with the offset before the gap (02:30 on a
spring-forward night becomes 03:30) and picks the second of two repeated times, `pre` the other way round,
`error` raises `NonExistingTime` / `AmbiguousTime`.
"""
import datetime as _dt
import os
import zoneinfo

PRE_TRANSITION = "pre"
POST_TRANSITION = "post"
TRANSITION_ERROR = "error"


class InvalidTimezone(ValueError):
    def __init__(self, name):
        super().__init__('Invalid timezone "%s"' % (name,))


class NonExistingTime(ValueError):
    def __init__(self, dt):
        super().__init__("The datetime %s does not exist." % dt)


class AmbiguousTime(ValueError):
    def __init__(self, dt):
        super().__init__("The datetime %s is ambiguous." % dt)


class Timezone(zoneinfo.ZoneInfo):
    """A named IANA zone (a `zoneinfo.ZoneInfo`, so every standard-library function accepts it)."""

    def __new__(cls, key):
        try:
            return super().__new__(cls, key)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            raise InvalidTimezone(key) from None

    @property
    def name(self):
        return self.key

    def convert(self, dt, dst_rule=None):
        """A naive `dt` placed in this zone (with `dst_rule`, else by its fold), or an aware one converted."""
        if dt.tzinfo is None:
            if dst_rule is None:
                dst_rule = POST_TRANSITION if dt.fold else PRE_TRANSITION
            return self._place(dt, dst_rule)
        converted = _dt.datetime.astimezone(_as_stdlib(dt), self)
        # pendulum 2 marks a converted time fold=1 unless it is in DST (the second of a repeated hour is
        # standard time, so that one is right; elsewhere the fold changes nothing).
        fold = 0 if converted.dst() else 1
        return _rebuild(dt, converted, self, fold)

    def _place(self, dt, dst_rule):
        before = self.utcoffset(dt.replace(fold=0))
        after = self.utcoffset(dt.replace(fold=1))
        fold = 0
        wall = dt
        if before > after:  # repeated hour (clocks went back)
            if dst_rule == TRANSITION_ERROR:
                raise AmbiguousTime(dt)
            fold = 1 if dst_rule == POST_TRANSITION else 0
        elif before < after:  # skipped hour (clocks went forward)
            if dst_rule == TRANSITION_ERROR:
                raise NonExistingTime(dt)
            if dst_rule == POST_TRANSITION:
                wall, fold = dt + (after - before), 1
            else:
                wall = dt - (after - before)
        return _rebuild(dt, wall, self, fold)

    def datetime(self, year, month, day, hour=0, minute=0, second=0, microsecond=0):
        return self.convert(_dt.datetime(year, month, day, hour, minute, second, microsecond), POST_TRANSITION)

    def __repr__(self):
        return "Timezone('%s')" % self.key

    __str__ = __repr__


class FixedTimezone(_dt.tzinfo):
    """A fixed UTC offset in seconds; its name is `+HH:MM` unless given (`UTC`)."""

    def __init__(self, offset, name=None):
        if not name:
            sign = "-" if offset < 0 else "+"
            hours, minutes = divmod(abs(int(offset / 60)), 60)
            name = "%s%02d:%02d" % (sign, hours, minutes)
        self._name = name
        self._offset = offset
        self._utcoffset = _dt.timedelta(seconds=offset)

    @property
    def name(self):
        return self._name

    @property
    def offset(self):
        return self._offset

    def convert(self, dt, dst_rule=None):
        if dt.tzinfo is None:
            return _rebuild(dt, dt, self, 0)
        return _rebuild(dt, _dt.datetime.astimezone(_as_stdlib(dt), self), self, 0)

    def datetime(self, year, month, day, hour=0, minute=0, second=0, microsecond=0):
        return _dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=self)

    def utcoffset(self, dt):
        return self._utcoffset

    def dst(self, dt):
        return _dt.timedelta(0)

    def tzname(self, dt):
        return self._name

    def fromutc(self, dt):
        return _dt.datetime.__add__(dt, self._utcoffset).replace(tzinfo=self)

    def __eq__(self, other):
        return isinstance(other, FixedTimezone) and (self._offset, self._name) == (other._offset, other._name)

    def __hash__(self):
        return hash((self._offset, self._name))

    def __getinitargs__(self):
        return self._offset, self._name

    def __repr__(self):
        return "Timezone('%s')" % self._name

    __str__ = __repr__


def _as_stdlib(dt):
    """`dt` as a plain `datetime` (so conversions never re-enter pendulum's overrides)."""
    return _dt.datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond,
                        tzinfo=dt.tzinfo, fold=dt.fold)


def _rebuild(original, wall, tzinfo, fold):
    klass = type(original) if isinstance(original, _dt.datetime) else _dt.datetime
    return klass(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, wall.microsecond,
                 tzinfo=tzinfo, fold=fold)


UTC = FixedTimezone(0, "UTC")

_cache = {}


def timezone(name, extended=True):
    """A zone by IANA name (`"UTC"` is `UTC`), or a fixed offset given in seconds."""
    if isinstance(name, int) and not isinstance(name, bool):
        return fixed_timezone(name)
    if not isinstance(name, str):
        raise InvalidTimezone(name)
    if name.lower() == "utc":
        return UTC
    zone = _cache.get(name)
    if zone is None:
        zone = _cache[name] = Timezone(name)
    return zone


def fixed_timezone(offset):
    zone = _cache.get(offset)
    if zone is None:
        zone = _cache[offset] = FixedTimezone(offset)
    return zone


_local = []


def local_timezone():
    """The machine's zone, found as pendulum finds it: `TZ`, /etc/timezone, then the /etc/localtime link."""
    if not _local:
        _local.append(_find_local_timezone())
    return _local[0]


def set_local_timezone(zone=None):
    _local[:] = [] if zone is None else [zone]


def _find_local_timezone():
    tzenv = os.environ.get("TZ")
    if tzenv:
        name = tzenv[1:] if tzenv.startswith(":") else tzenv
        zone = _zone_from_path(name) if os.path.isabs(name) else _try_zone(name)
        if zone is not None:
            return zone
    try:
        with open("/etc/timezone", "rb") as handle:
            data = handle.read()
        if not data.startswith(b"TZif"):
            name = data.strip().decode("utf-8", "replace").split(" ", 1)[0].split("#", 1)[0]
            zone = _try_zone(name.replace(" ", "_"))
            if zone is not None:
                return zone
    except OSError:
        pass  # no /etc/timezone on this system: try the next source
    if os.path.islink("/etc/localtime"):
        zone = _zone_from_path(os.path.realpath("/etc/localtime"))
        if zone is not None:
            return zone
    return UTC


def _zone_from_path(path):
    """The zone whose name is the longest trailing part of `path` (`/usr/share/zoneinfo/Europe/Paris`)."""
    parts = path.replace(" ", "_").split(os.sep)
    for start in range(max(0, len(parts) - 3), len(parts)):
        zone = _try_zone("/".join(parts[start:]))
        if zone is not None:
            return zone
    return None


def _try_zone(name):
    try:
        return timezone(name)
    except InvalidTimezone:
        return None


def safe_timezone(obj, dt=None):
    """A pendulum zone from a zone, a name, `"local"`/None, an offset in hours, or any `tzinfo`.

    A `zoneinfo.ZoneInfo` (or pytz zone) becomes the zone of the same name (as pendulum 3 does; pendulum 2
    falls back to a fixed offset); another `tzinfo` becomes `UTC` or its fixed offset.
    """
    if isinstance(obj, (Timezone, FixedTimezone)):
        return obj
    if obj is None or obj == "local":
        return local_timezone()
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return timezone(int(obj * 3600))
    if isinstance(obj, _dt.tzinfo):
        key = getattr(obj, "key", None) or getattr(obj, "zone", None)
        if isinstance(key, str) and key:
            return timezone(key)
        if obj.tzname(None) == "UTC":
            return UTC
        offset = obj.utcoffset(dt) or _dt.timedelta(0)
        return timezone(int(offset.total_seconds()))
    return timezone(obj)
