"""`pendulum.parse()`: ISO 8601 (dates, week and ordinal dates, times, offsets, durations, intervals) and the
`YYYY/MM/DD HH:mm` form, as pendulum 2.1 reads them. A string neither form reads fails with pendulum's
`ParserError`; pendulum's `strict=False` reads more forms through dateutil, which the stand-in does not have.
"""
import datetime as _dt
import re

from . import _tz
from ._date import is_leap
from ._unsupported import StandinNotImplemented
from .exceptions import ParserError

_TIME = (r"(?P<hour>\d{2})(?::?(?P<minute>\d{2})(?::?(?P<second>\d{2}))?)?"
         r"(?:[.,](?P<fraction>\d{1,9}))?"
         r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?")
_ISO_DATES = (
    re.compile(r"(?P<year>\d{4})-?W(?P<week>\d{2})(?:-?(?P<weekday>\d))?"),
    re.compile(r"(?P<year>\d{4})-?(?P<ordinal>\d{3})(?=$|[T ])"),
    re.compile(r"(?P<year>\d{4})(?:-?(?P<month>\d{2})(?:-?(?P<day>\d{1,2}))?)?"),
)
_TIME_ONLY = re.compile(r"^T?(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
                        r"(?:[.,](?P<fraction>\d{1,9}))?$")
_TIME_AFTER_DATE = re.compile("^[T ]" + _TIME + "$")
_COMMON = re.compile(r"^(?P<year>\d{4})(?:[/:](?P<month>\d{2})(?:[/:](?P<day>\d{2}))?)?"
                     r"(?: (?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2}))?"
                     r"(?:[.,](?P<fraction>\d{1,9}))?)?$")
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<days>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$")


class _Parsed:
    """What a string held: a date and/or a time, and the zone its offset names (None: no offset)."""

    def __init__(self, date=None, time=None, tzinfo=None):
        self.date, self.time, self.tzinfo = date, time, tzinfo


def parse(text, **options):
    from . import now

    if text == "now":
        return now()
    try:
        return _parse(text, options)
    except (ValueError, TypeError, OverflowError) as error:
        if isinstance(error, ParserError):
            raise
        raise ParserError("Unable to parse string [%s]" % text) from None


def _parse(text, options):
    duration = _parse_duration(text)
    if duration is not None:
        return duration
    if "/" in text and not _COMMON.match(text):
        return _parse_interval(text, options)
    parsed = _parse_iso(text) or _parse_common(text)
    if parsed is None:
        if options.get("strict", True):
            raise ParserError("Unable to parse string [%s]" % text)
        raise StandinNotImplemented("pendulum.parse(%r, strict=False)" % (text,))
    return _to_value(parsed, options)


def _to_value(parsed, options):
    from ._date import Date, Time
    from ._datetimes import make_datetime

    exact = options.get("exact", False)
    if parsed.time is None:
        if exact:
            return Date(parsed.date.year, parsed.date.month, parsed.date.day)
        parsed.time = _dt.time()
    if parsed.date is None:
        if exact:
            t = parsed.time
            return Time(t.hour, t.minute, t.second, t.microsecond)
        reference = options.get("now") or _dt.datetime.now()
        parsed.date = reference.date() if isinstance(reference, _dt.datetime) else reference
    d, t = parsed.date, parsed.time
    zone = parsed.tzinfo if parsed.tzinfo is not None else options.get("tz", _tz.UTC)
    return make_datetime(d.year, d.month, d.day, t.hour, t.minute, t.second, t.microsecond, tz=zone)


def _parse_iso(text):
    for pattern in _ISO_DATES:
        match = pattern.match(text)
        if match is None:
            continue
        rest = text[match.end():]
        if rest and _TIME_AFTER_DATE.match(rest) is None:
            continue
        date = _iso_date(match.groupdict())
        if not rest:
            return _Parsed(date=date)
        time, tzinfo = _time_of(_TIME_AFTER_DATE.match(rest).groupdict())
        return _Parsed(date=date, time=time, tzinfo=tzinfo)
    match = _TIME_ONLY.match(text)
    if match is not None:
        time, _ = _time_of(match.groupdict())
        return _Parsed(time=time)
    return None


def _iso_date(fields):
    year = int(fields["year"])
    if fields.get("week"):
        week, weekday = int(fields["week"]), int(fields.get("weekday") or 1)
        return _dt.date.fromisocalendar(year, week, weekday)
    if fields.get("ordinal"):
        ordinal = int(fields["ordinal"])
        if not 1 <= ordinal <= (366 if is_leap(year) else 365):
            raise ValueError("ordinal day out of range")
        return _dt.date(year, 1, 1) + _dt.timedelta(days=ordinal - 1)
    return _dt.date(year, int(fields.get("month") or 1), int(fields.get("day") or 1))


def _time_of(fields):
    fraction = fields.get("fraction") or ""
    microsecond = int((fraction[:6]).ljust(6, "0")) if fraction else 0
    time = _dt.time(int(fields["hour"]), int(fields.get("minute") or 0), int(fields.get("second") or 0),
                    microsecond)
    offset = fields.get("offset")
    if not offset:
        return time, None
    if offset == "Z":
        return time, _tz.UTC
    digits = offset[1:].replace(":", "")
    seconds = int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60
    return time, _tz.fixed_timezone(-seconds if offset[0] == "-" else seconds)


def _parse_common(text):
    match = _COMMON.match(text)
    if match is None:
        return None
    fields = match.groupdict()
    date = _dt.date(int(fields["year"]), int(fields["month"] or 1), int(fields["day"] or 1))
    if fields["hour"] is None:
        return _Parsed(date=date)
    time, _ = _time_of(fields)
    return _Parsed(date=date, time=time)


def _parse_duration(text):
    match = _DURATION.match(text)
    if match is None or text == "P" or text.endswith("T"):
        return None
    from ._duration import Duration

    values = {name: float(value.replace(",", ".")) for name, value in match.groupdict().items() if value}
    for unit in ("years", "months"):
        if unit in values:
            if not values[unit].is_integer():
                raise ParserError("Float years and months are not supported")
            values[unit] = int(values[unit])
    return Duration(**values)


def _parse_interval(text, options):
    from ._datetimes import to_pendulum
    from ._duration import Period

    first, last = text.split("/")
    zone = options.get("tz", _tz.UTC)
    if first.startswith("P") or last.startswith("P"):
        duration = _parse_duration(first if first.startswith("P") else last)
        if duration is None:
            raise ParserError("Invalid interval")
        steps = dict(years=duration.years, months=duration.months, weeks=duration.weeks,
                     days=duration.remaining_days, hours=duration.hours, minutes=duration.minutes,
                     seconds=duration.remaining_seconds, microseconds=duration.microseconds)
        if first.startswith("P"):
            end = to_pendulum(_interval_end(last, options), tz=zone)
            return Period(end.subtract(**steps), end)
        start = to_pendulum(_interval_end(first, options), tz=zone)
        return Period(start, start.add(**steps))
    return Period(to_pendulum(_interval_end(first, options), tz=zone),
                  to_pendulum(_interval_end(last, options), tz=zone))


def _interval_end(text, options):
    parsed = _parse_iso(text)
    if parsed is None or parsed.date is None or parsed.time is None:
        raise ParserError("Invalid interval")
    return _to_value(parsed, dict(options, exact=False))
