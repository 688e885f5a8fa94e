"""dagbridge's stand-in for pendulum, imported only where pendulum itself is not installed.

It covers what DAG files and templates use (see docs/shim.md, "pendulum"): `datetime()`, `now()`, `today()`,
`yesterday()`, `tomorrow()`, `parse()`, `instance()`, `from_timestamp()`, `duration()`, `period()` /
`interval()`, `timezone()`, `UTC`, `local_timezone()`, `date()`, `time()`, and the `DateTime`, `Date`, `Time`,
`Duration` and `Period` (= `Interval`) classes. It follows pendulum 2.1.2 (what Debian ships and the differential
tests in python-shim/tests/test_pendulum_standin.py compare against); time zones come from `zoneinfo`.

A pendulum name it does not implement is still importable, and raises `StandinNotImplemented` naming the call
and asking to install pendulum when it is used.
"""
import datetime as _datetime

from . import _tz
from ._date import FRIDAY, MONDAY, SATURDAY, SUNDAY, THURSDAY, TUESDAY, WEDNESDAY, Date, Time
from ._datetimes import DateTime, make_datetime, to_pendulum
from ._duration import Duration, Period
from ._humanize import format_diff
from ._parsing import parse
from ._tz import (
    POST_TRANSITION,
    PRE_TRANSITION,
    TRANSITION_ERROR,
    UTC,
    FixedTimezone,
    Timezone,
    fixed_timezone,
    local_timezone,
    set_local_timezone,
    timezone,
)
from ._unsupported import StandinNotImplemented, unsupported_function

#: The pendulum version whose behaviour the stand-in follows.
__version__ = "2.1.2"
#: Lets code tell the stand-in from the real pendulum.
DAGBRIDGE_STANDIN = True

Interval = Period

YEARS_PER_CENTURY = 100
YEARS_PER_DECADE = 10
MONTHS_PER_YEAR = 12
WEEKS_PER_YEAR = 52
DAYS_PER_WEEK = 7
HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86400


def datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0, tz=UTC, dst_rule=POST_TRANSITION):
    """A DateTime at that wall time in `tz` (default UTC; None gives a naive DateTime)."""
    return make_datetime(year, month, day, hour, minute, second, microsecond, tz=tz, dst_rule=dst_rule)


def local(year, month, day, hour=0, minute=0, second=0, microsecond=0):
    return make_datetime(year, month, day, hour, minute, second, microsecond, tz=local_timezone())


def naive(year, month, day, hour=0, minute=0, second=0, microsecond=0):
    return DateTime(year, month, day, hour, minute, second, microsecond)


def date(year, month, day):
    return Date(year, month, day)


def time(hour, minute=0, second=0, microsecond=0):
    return Time(hour, minute, second, microsecond)


def instance(dt, tz=UTC):
    """A DateTime with the fields and zone of a `datetime` (naive ones are read in `tz`)."""
    if not isinstance(dt, _datetime.datetime):
        raise ValueError("instance() only accepts datetime objects.")
    return to_pendulum(dt, tz=tz)


def now(tz=None):
    """Now in `tz` (default: the local zone)."""
    if tz is None or tz == "local":
        zone = local_timezone()
    else:
        zone = _tz.safe_timezone(tz)
    current = _datetime.datetime.now(_datetime.timezone.utc)
    utc = DateTime(current.year, current.month, current.day, current.hour, current.minute, current.second,
                   current.microsecond, tzinfo=UTC)
    return utc if zone is UTC else zone.convert(utc)


def today(tz="local"):
    return now(tz).start_of("day")


def tomorrow(tz="local"):
    return today(tz).add(days=1)


def yesterday(tz="local"):
    return today(tz).subtract(days=1)


def from_timestamp(timestamp, tz=UTC):
    """The DateTime of a POSIX timestamp, in `tz` (default UTC)."""
    moment = _datetime.datetime(1970, 1, 1) + _datetime.timedelta(seconds=timestamp)
    dt = make_datetime(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
                       moment.microsecond)
    return dt if tz is UTC or tz == "UTC" else dt.in_timezone(tz)


def duration(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0, years=0, months=0):
    return Duration(days=days, seconds=seconds, microseconds=microseconds, milliseconds=milliseconds,
                    minutes=minutes, hours=hours, weeks=weeks, years=years, months=months)


def period(start, end, absolute=False):
    return Period(start, end, absolute=absolute)


interval = period

#: pendulum names the stand-in does not implement: importable, failing with StandinNotImplemented on use.
_UNSUPPORTED = (
    "from_format", "Formatter", "set_locale", "get_locale", "locale", "set_test_now",
    "get_test_now", "has_test_now", "test", "travel", "travel_to", "travel_back", "freeze", "week_starts_at",
    "week_ends_at", "timezones", "test_local_timezone", "WeekDay",
)


def __getattr__(name):
    if name in _UNSUPPORTED:
        value = unsupported_function("pendulum.%s()" % name)
        globals()[name] = value
        return value
    raise AttributeError("module 'pendulum' has no attribute %r" % (name,))


__all__ = [
    "DateTime", "Date", "Time", "Duration", "Period", "Interval", "Timezone", "FixedTimezone", "UTC",
    "StandinNotImplemented", "datetime", "local", "naive", "date", "time", "instance", "now", "today", "tomorrow",
    "yesterday", "from_timestamp", "duration", "period", "interval", "parse", "format_diff", "timezone",
    "fixed_timezone",
    "local_timezone", "set_local_timezone", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY",
    "SUNDAY", "PRE_TRANSITION", "POST_TRANSITION", "TRANSITION_ERROR",
]
