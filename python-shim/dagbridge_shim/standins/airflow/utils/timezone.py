"""Timezone helpers (stand-in of airflow/utils/timezone.py): aware UTC datetimes, standard library only."""
import datetime as _dt
import os

utc = _dt.timezone.utc


def _zone(name):
    if name is None or str(name).lower() in ("utc", "z", "etc/utc"):
        return utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(str(name))
    except Exception:  # noqa: BLE001 - an unknown zone name falls back to UTC, like a missing tzdata
        return utc


def default_timezone():
    return _zone(os.environ.get("AIRFLOW__CORE__DEFAULT_TIMEZONE", "utc"))


TIMEZONE = default_timezone()


def utcnow():
    return _dt.datetime.now(utc)


def is_localized(value):
    return value.utcoffset() is not None


def is_naive(value):
    return value.utcoffset() is None


def make_aware(value, timezone=None):
    if value is None:
        return None
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    return value.replace(tzinfo=timezone or default_timezone())


def make_naive(value, timezone=None):
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone or default_timezone()).replace(tzinfo=None)


def convert_to_utc(value):
    if value is None:
        return None
    return make_aware(value).astimezone(utc)


def datetime(*args, **kwargs):
    """`datetime.datetime` that is aware: naive arguments get the default timezone (UTC)."""
    if "tzinfo" not in kwargs and len(args) < 8:
        kwargs["tzinfo"] = default_timezone()
    return _dt.datetime(*args, **kwargs)


def parse(string, timezone=None):
    """ISO 8601 to an aware datetime (a trailing `Z` is UTC)."""
    from dagbridge_shim.isotime import fromisoformat

    text = str(string).strip()
    if len(text) == 10:
        value = _dt.datetime.strptime(text, "%Y-%m-%d")
    else:
        value = fromisoformat(text)
    return make_aware(value, timezone)


def coerce_datetime(value, tz=None):
    """`value` made aware (a naive value is taken to be in `tz`, default the default timezone); None stays."""
    if value is None:
        return None
    return make_aware(value, tz)


def parse_timezone(name):
    """A timezone by name (`UTC`, `Europe/Paris`), or a fixed offset in seconds."""
    if isinstance(name, (int, float)):
        return _dt.timezone(_dt.timedelta(seconds=name))
    return _zone(name)


def local_timezone():
    """The machine's local timezone."""
    return _dt.datetime.now().astimezone().tzinfo


def from_timestamp(timestamp, tz=utc):
    """An aware datetime from a POSIX timestamp, in `tz` (UTC by default; "local" for the machine's)."""
    zone = local_timezone() if tz == "local" else (parse_timezone(tz) if isinstance(tz, str) else tz)
    return _dt.datetime.fromtimestamp(timestamp, tz=utc).astimezone(zone)


def td_format(td_object):
    """A duration (timedelta or seconds) as Airflow shows it: `1h:2M:32s` (y, M, d, h, M, s; zero parts left
    out; a month is 30 days), `<1s` under a second, None for zero or None."""
    if not td_object:
        return None
    if isinstance(td_object, _dt.timedelta):
        days, seconds = td_object.days, td_object.seconds
    else:
        days, seconds = divmod(int(td_object), 86400)
    months, days = divmod(days, 30)
    years, months = divmod(months, 12)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    units = zip((years, months, days, hours, minutes, seconds), "yMdhMs")
    return ":".join("%d%s" % (value, unit) for value, unit in units if value >= 1) or "<1s"


#: The POSIX epoch, aware.
utc_epoch = _dt.datetime(1970, 1, 1, tzinfo=utc)
