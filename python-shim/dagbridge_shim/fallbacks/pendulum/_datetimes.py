"""`DateTime`: a `datetime.datetime` with pendulum's arithmetic, conversions, modifiers and strings.

Adding years, months, weeks or days moves the wall time (then places it in the zone with the `post` DST rule);
adding hours, minutes or seconds moves the instant (so `add(hours=24)` across a DST change is 24 real hours).
"""
import datetime as _dt

from . import _tz
from ._date import Date, Time, add_months, days_in_month
from ._duration import Duration, Period
from ._formatting import format_datetime
from ._unsupported import require_english, unsupported_method

_UNITS = ("second", "minute", "hour", "day", "week", "month", "year", "decade", "century")

_STRING_FORMATS = {
    "atom": "YYYY-MM-DDTHH:mm:ssZ",
    "cookie": "dddd, DD-MMM-YYYY HH:mm:ss zz",
    "rfc822": "ddd, DD MMM YY HH:mm:ss ZZ",
    "rfc850": "dddd, DD-MMM-YY HH:mm:ss zz",
    "rfc1036": "ddd, DD MMM YY HH:mm:ss ZZ",
    "rfc1123": "ddd, DD MMM YYYY HH:mm:ss ZZ",
    "rfc2822": "ddd, DD MMM YYYY HH:mm:ss ZZ",
    "rss": "ddd, DD MMM YYYY HH:mm:ss ZZ",
    "w3c": "YYYY-MM-DDTHH:mm:ssZ",
}


def make_datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0, tz=_tz.UTC,
                  dst_rule=_tz.POST_TRANSITION):
    """`pendulum.datetime()`: a wall time placed in `tz` (None: naive) with `dst_rule`."""
    wall = _dt.datetime(year, month, day, hour, minute, second, microsecond)
    if tz is None:
        return DateTime(year, month, day, hour, minute, second, microsecond)
    placed = _tz.safe_timezone(tz).convert(wall, dst_rule=dst_rule)
    return DateTime(placed.year, placed.month, placed.day, placed.hour, placed.minute, placed.second,
                    placed.microsecond, tzinfo=placed.tzinfo, fold=placed.fold)


def to_pendulum(value, tz=_tz.UTC):
    """`pendulum.instance()` for datetimes; a `date` becomes a `Date`; pendulum values are returned as they are."""
    if isinstance(value, (DateTime, Date)):
        return value
    if isinstance(value, _dt.datetime):
        zone = value.tzinfo or tz
        if zone is not None and not isinstance(zone, (_tz.Timezone, _tz.FixedTimezone)):
            zone = _tz.safe_timezone(zone, value)
        return make_datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                             value.microsecond, tz=zone)
    if isinstance(value, _dt.date):
        return Date(value.year, value.month, value.day)
    raise ValueError("instance() only accepts datetime objects.")


class DateTime(_dt.datetime, Date):
    @classmethod
    def now(cls, tz=None):
        from . import now

        return now(tz)

    @classmethod
    def utcnow(cls):
        from . import now

        return now(_tz.UTC)

    @classmethod
    def today(cls):
        from . import now

        return now()

    @classmethod
    def strptime(cls, text, fmt):
        return to_pendulum(_dt.datetime.strptime(text, fmt))

    @classmethod
    def fromtimestamp(cls, t, tz=None):
        return to_pendulum(_dt.datetime.fromtimestamp(t, tz=tz), tz=tz)

    @classmethod
    def utcfromtimestamp(cls, t):
        return to_pendulum(_dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=t), tz=None)

    @classmethod
    def fromordinal(cls, n):
        return to_pendulum(_dt.datetime.fromordinal(n), tz=None)

    @classmethod
    def combine(cls, date, time, tzinfo=True):
        if tzinfo is True:
            tzinfo = time.tzinfo
        return to_pendulum(_dt.datetime.combine(date, time, tzinfo), tz=None)

    # -- properties

    @property
    def timezone(self):
        return self.tzinfo if isinstance(self.tzinfo, (_tz.Timezone, _tz.FixedTimezone)) else None

    @property
    def tz(self):
        return self.timezone

    @property
    def timezone_name(self):
        zone = self.timezone
        return None if zone is None else zone.name

    @property
    def offset(self):
        return self.get_offset()

    @property
    def offset_hours(self):
        return self.get_offset() / 60 / 60

    @property
    def float_timestamp(self):
        return self.timestamp()

    @property
    def int_timestamp(self):
        delta = self._as_stdlib() - _EPOCH
        return delta.days * 86400 + delta.seconds

    def _zone(self):
        """The pendulum zone of this value (a standard-library tzinfo is mapped to one), None when naive."""
        if self.tzinfo is None:
            return None
        return self.timezone or _tz.safe_timezone(self.tzinfo, self._as_stdlib())

    def get_offset(self):
        return int(self.utcoffset().total_seconds())

    def is_utc(self):
        return self.offset == 0

    def is_local(self):
        return self.offset == self.in_timezone(_tz.local_timezone()).offset

    def is_dst(self):
        return bool(self.dst())

    def is_future(self):
        return self > self.now(self.timezone)

    def is_past(self):
        return self < self.now(self.timezone)

    def is_long_year(self):
        return _dt.date(self.year, 12, 28).isocalendar()[1] == 53

    def is_same_day(self, dt):
        return self.to_date_string() == to_pendulum(dt).to_date_string()

    def is_anniversary(self, dt=None):
        other = self.now(self.tz) if dt is None else to_pendulum(dt)
        return (self.month, self.day) == (other.month, other.day)

    is_birthday = is_anniversary

    def date(self):
        return Date(self.year, self.month, self.day)

    def time(self):
        return Time(self.hour, self.minute, self.second, self.microsecond)

    def naive(self):
        return DateTime(self.year, self.month, self.day, self.hour, self.minute, self.second, self.microsecond)

    def _as_stdlib(self):
        return _dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second, self.microsecond,
                            tzinfo=self.tzinfo, fold=self.fold)

    # -- setting fields and zones

    def set(self, year=None, month=None, day=None, hour=None, minute=None, second=None, microsecond=None,
            tz=None):
        return make_datetime(
            self.year if year is None else year, self.month if month is None else month,
            self.day if day is None else day, self.hour if hour is None else hour,
            self.minute if minute is None else minute, self.second if second is None else second,
            self.microsecond if microsecond is None else microsecond, tz=self._zone() if tz is None else tz)

    def on(self, year, month, day):
        return self.set(year=int(year), month=int(month), day=int(day))

    def at(self, hour, minute=0, second=0, microsecond=0):
        return self.set(hour=hour, minute=minute, second=second, microsecond=microsecond)

    def replace(self, year=None, month=None, day=None, hour=None, minute=None, second=None, microsecond=None,
                tzinfo=True, fold=None):
        fold = self.fold if fold is None else fold
        return make_datetime(
            self.year if year is None else year, self.month if month is None else month,
            self.day if day is None else day, self.hour if hour is None else hour,
            self.minute if minute is None else minute, self.second if second is None else second,
            self.microsecond if microsecond is None else microsecond,
            tz=self.tzinfo if tzinfo is True else tzinfo,
            dst_rule=_tz.POST_TRANSITION if fold else _tz.PRE_TRANSITION)

    def in_timezone(self, tz):
        return _tz.safe_timezone(tz).convert(self, dst_rule=_tz.POST_TRANSITION)

    def in_tz(self, tz):
        return self.in_timezone(tz)

    def astimezone(self, tz=None):
        """As `datetime.astimezone`, keeping `tz` itself as the zone (pendulum 2 does too)."""
        moved = _dt.datetime.astimezone(self._as_stdlib(), tz)
        return DateTime(moved.year, moved.month, moved.day, moved.hour, moved.minute, moved.second,
                        moved.microsecond, tzinfo=moved.tzinfo, fold=moved.fold)

    # -- strings

    def __str__(self):
        return self.isoformat("T")

    def __repr__(self):
        us = ", %d" % self.microsecond if self.microsecond else ""
        # pendulum shows the zone's str(), which for its own zones is their repr.
        tz = ", tzinfo=%s" % (self.tzinfo,) if self.tzinfo is not None else ""
        return "DateTime(%d, %d, %d, %d, %d, %d%s%s)" % (self.year, self.month, self.day, self.hour, self.minute,
                                                          self.second, us, tz)

    def format(self, fmt, locale=None):
        require_english(locale, "DateTime.format()")
        return format_datetime(self, fmt)

    def to_date_string(self):
        return self.format("YYYY-MM-DD")

    def to_time_string(self):
        return self.format("HH:mm:ss")

    def to_datetime_string(self):
        return self.format("YYYY-MM-DD HH:mm:ss")

    def to_day_datetime_string(self):
        return self.format("ddd, MMM D, YYYY h:mm A")

    def to_formatted_date_string(self):
        return self.format("MMM DD, YYYY")

    def to_iso8601_string(self):
        text = self.isoformat()
        return text.replace("+00:00", "Z") if self.tz is not None and self.tz.name == "UTC" else text

    def to_rfc3339_string(self):
        return self.isoformat()

    def to_atom_string(self):
        return self.format(_STRING_FORMATS["atom"])

    def to_cookie_string(self):
        return self.format(_STRING_FORMATS["cookie"])

    def to_rfc822_string(self):
        return self.format(_STRING_FORMATS["rfc822"])

    def to_rfc850_string(self):
        return self.format(_STRING_FORMATS["rfc850"])

    def to_rfc1036_string(self):
        return self.format(_STRING_FORMATS["rfc1036"])

    def to_rfc1123_string(self):
        return self.format(_STRING_FORMATS["rfc1123"])

    def to_rfc2822_string(self):
        return self.format(_STRING_FORMATS["rfc2822"])

    def to_rss_string(self):
        return self.format(_STRING_FORMATS["rss"])

    def to_w3c_string(self):
        return self.format(_STRING_FORMATS["w3c"])

    # -- arithmetic

    def add(self, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, microseconds=0):
        wall = _dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second, self.microsecond)
        exact = _dt.timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=microseconds)
        if years or months or weeks or days or self.tzinfo is None:
            if years or months:
                year, month, day = add_months(wall.year, wall.month, wall.day, years, months)
                wall = wall.replace(year=year, month=month, day=day)
            wall = wall + _dt.timedelta(days=days, weeks=weeks) + exact
            return make_datetime(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
                                 wall.microsecond, tz=self._zone())
        instant = wall - (self.utcoffset() or _dt.timedelta(0)) + exact
        utc = DateTime(instant.year, instant.month, instant.day, instant.hour, instant.minute, instant.second,
                       instant.microsecond, tzinfo=_tz.UTC)
        return self._zone().convert(utc)

    def subtract(self, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, microseconds=0):
        return self.add(years=-years, months=-months, weeks=-weeks, days=-days, hours=-hours, minutes=-minutes,
                        seconds=-seconds, microseconds=-microseconds)

    def __add__(self, other):
        if not isinstance(other, _dt.timedelta):
            return NotImplemented
        if isinstance(other, Period):
            return self.add(years=other.years, months=other.months, weeks=other.weeks, days=other.remaining_days,
                            hours=other.hours, minutes=other.minutes, seconds=other.remaining_seconds,
                            microseconds=other.microseconds)
        if isinstance(other, Duration):
            return self.add(years=other.years, months=other.months, seconds=other._total)
        return self.add(seconds=other.total_seconds())

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, _dt.timedelta):
            if isinstance(other, Duration):
                return self.subtract(years=other.years, months=other.months, seconds=other._total)
            return self.subtract(seconds=other.total_seconds())
        if not isinstance(other, _dt.datetime):
            return NotImplemented
        return to_pendulum(other, tz=None).diff(self, False)

    def __rsub__(self, other):
        if not isinstance(other, _dt.datetime):
            return NotImplemented
        return self.diff(to_pendulum(other, tz=None), False)

    def diff(self, dt=None, abs=True):
        """The Period from this instant to `dt` (default now); `abs=False` keeps its sign."""
        return Period(self, self.now(self.tz) if dt is None else dt, absolute=abs)

    def diff_for_humans(self, other=None, absolute=False, locale=None):
        """This instant against `other` (default now) in words: "2 days ago", "in 1 month", "3 hours after"."""
        from ._humanize import format_diff

        is_now = other is None
        return format_diff(self.diff(self.now() if is_now else other), is_now, absolute, locale)

    def closest(self, dt1, dt2, *dts):
        candidates = [to_pendulum(d) for d in (dt1, dt2) + dts]
        return min((abs(self - d), d) for d in candidates)[1]

    def farthest(self, dt1, dt2, *dts):
        candidates = [to_pendulum(d) for d in (dt1, dt2) + dts]
        return max((abs(self - d), d) for d in candidates)[1]

    def average(self, dt=None):
        span = self.diff(self.now(self.tz) if dt is None else dt, False)
        return self.add(microseconds=(span.in_seconds() * 1000000 + span.microseconds) // 2)

    # -- modifiers

    def start_of(self, unit):
        if unit not in _UNITS:
            raise ValueError('Invalid unit "%s" for start_of()' % unit)
        if unit == "week":
            monday = self.subtract(days=self.weekday()) if self.weekday() else self
            return monday.start_of("day")
        year = {"decade": self.year - self.year % 10, "century": self.year - (self.year - 1) % 100}.get(unit)
        fields = {
            "second": dict(microsecond=0),
            "minute": dict(second=0, microsecond=0),
            "hour": dict(minute=0, second=0, microsecond=0),
            "day": dict(hour=0, minute=0, second=0, microsecond=0),
            "month": dict(day=1, hour=0, minute=0, second=0, microsecond=0),
            "year": dict(month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
        }.get(unit) or dict(year=year, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        return self.set(**fields)

    def end_of(self, unit):
        if unit not in _UNITS:
            raise ValueError('Invalid unit "%s" for end_of()' % unit)
        if unit == "week":
            sunday = self.add(days=6 - self.weekday()) if self.weekday() != 6 else self
            return sunday.end_of("day")
        last = dict(hour=23, minute=59, second=59, microsecond=999999)
        year = {"decade": self.year - self.year % 10 + 9, "century": self.year - (self.year - 1) % 100 + 99}.get(unit)
        fields = {
            "second": dict(microsecond=999999),
            "minute": dict(second=59, microsecond=999999),
            "hour": dict(minute=59, second=59, microsecond=999999),
            "day": last,
            "month": dict(day=days_in_month(self.year, self.month), **last),
            "year": dict(month=12, day=31, **last),
        }.get(unit) or dict(year=year, month=12, day=31, **last)
        return self.set(**fields)

    def next(self, day_of_week=None, keep_time=False):
        """The next such weekday (pendulum 2 numbering, Sunday = 0), at midnight unless `keep_time`."""
        return self._step_to_weekday(day_of_week, keep_time, 1)

    def previous(self, day_of_week=None, keep_time=False):
        return self._step_to_weekday(day_of_week, keep_time, -1)

    def _step_to_weekday(self, day_of_week, keep_time, direction):
        wanted = self.day_of_week if day_of_week is None else day_of_week
        if not 0 <= wanted <= 6:
            raise ValueError("Invalid day of week")
        dt = self if keep_time else self.start_of("day")
        dt = dt.add(days=direction)
        while dt.day_of_week != wanted:
            dt = dt.add(days=direction)
        return dt

    # -- pickling: the fields and the zone, as pendulum does

    def __reduce_ex__(self, protocol):
        return DateTime, (self.year, self.month, self.day, self.hour, self.minute, self.second, self.microsecond,
                          self.tzinfo)

    def __reduce__(self):
        return self.__reduce_ex__(2)

    first_of = unsupported_method("DateTime.first_of()")
    last_of = unsupported_method("DateTime.last_of()")
    nth_of = unsupported_method("DateTime.nth_of()")


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

DateTime.min = DateTime(1, 1, 1, 0, 0, tzinfo=_tz.UTC)
DateTime.max = DateTime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_tz.UTC)
DateTime.EPOCH = DateTime(1970, 1, 1)
