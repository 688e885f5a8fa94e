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
