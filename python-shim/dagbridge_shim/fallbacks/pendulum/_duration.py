"""`Duration` (a `timedelta` that also carries years and months) and `Period` (pendulum 3 calls it `Interval`):
the calendar difference between two datetimes, as `DateTime.diff()` and `a - b` return it.

Units follow pendulum: a Duration's `years` and `months` count 365 and 30 days in its `timedelta` value;
`weeks`, `remaining_days`, `hours`, `minutes`, `remaining_seconds` split what is left, each with the sign of the
whole; `seconds` is the seconds within the last day (not `timedelta.seconds`). Words are English.
"""
import datetime as _dt

from ._date import days_in_month
from ._unsupported import require_english

_SECONDS_PER_DAY = 86400


def _sign(value):
    return -1 if value < 0 else 1


def _round_half_even(numerator, denominator):
    quotient, remainder = divmod(numerator, denominator)
    remainder *= 2
    above_half = remainder > denominator if denominator > 0 else remainder < denominator
    if above_half or (remainder == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


class Duration(_dt.timedelta):
    def __new__(cls, days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0, years=0,
                months=0):
        if not isinstance(years, int) or not isinstance(months, int):
            raise ValueError("Float year and months are not supported")
        calendar_days = years * 365 + months * 30
        self = _dt.timedelta.__new__(cls, days + calendar_days, seconds, microseconds, milliseconds, minutes,
                                     hours, weeks)
        total = self.total_seconds() - calendar_days * _SECONDS_PER_DAY
        self._set_parts(total, years, months)
        return self

    def _set_parts(self, total, years, months):
        sign = -1 if total < 0 else 1
        self._total = total
        self._microseconds = round(total % sign * 1e6)
        whole = abs(int(total))
        self._seconds = whole % _SECONDS_PER_DAY * sign
        self._days = whole // _SECONDS_PER_DAY * sign
        self._remaining_days = abs(self._days) % 7 * sign
        self._weeks = abs(self._days) // 7 * sign
        self._years = years
        self._months = months

    def total_minutes(self):
        return self.total_seconds() / 60

    def total_hours(self):
        return self.total_seconds() / 3600

    def total_days(self):
        return self.total_seconds() / _SECONDS_PER_DAY

    def total_weeks(self):
        return self.total_days() / 7

    @property
    def years(self):
        return self._years

    @property
    def months(self):
        return self._months

    @property
    def weeks(self):
        return self._weeks

    @property
    def remaining_days(self):
        return self._remaining_days

    @property
    def hours(self):
        seconds = self._seconds
        return abs(seconds) // 3600 % 24 * _sign(seconds) if abs(seconds) >= 3600 else 0

    @property
    def minutes(self):
        seconds = self._seconds
        return abs(seconds) // 60 % 60 * _sign(seconds) if abs(seconds) >= 60 else 0

    @property
    def seconds(self):
        return self._seconds

    @property
    def remaining_seconds(self):
        return abs(self._seconds) % 60 * _sign(self._seconds)

    @property
    def microseconds(self):
        return self._microseconds

    @property
    def invert(self):
        return self.total_seconds() < 0

    def in_weeks(self):
        return int(self.total_weeks())

    def in_days(self):
        return int(self.total_days())

    def in_hours(self):
        return int(self.total_hours())

    def in_minutes(self):
        return int(self.total_minutes())

    def in_seconds(self):
        return int(self.total_seconds())

    def _word_parts(self):
        return [("year", self.years), ("month", self.months), ("week", self.weeks), ("day", self.remaining_days),
                ("hour", self.hours), ("minute", self.minutes), ("second", self.remaining_seconds)]

    def in_words(self, locale=None, separator=" "):
        require_english(locale, "Duration.in_words()")
        parts = ["%d %s%s" % (count, unit, "" if abs(count) == 1 else "s")
                 for unit, count in self._word_parts() if count]
        if not parts:
            if self.microseconds:
                parts = ["%.2f second" % (abs(self.microseconds) / 1e6)]
            else:
                parts = ["0 microseconds"]
        return separator.join(parts)

    def as_timedelta(self):
        return _dt.timedelta(seconds=self.total_seconds())

    def __str__(self):
        return self.in_words()

    def __repr__(self):
        # pendulum shows days whenever the duration has whole days, even when weeks took them all (days=0).
        fields = [("years", self._years, self._years), ("months", self._months, self._months),
                  ("weeks", self._weeks, self._weeks), ("days", self._remaining_days, self._days),
                  ("hours", self.hours, self.hours), ("minutes", self.minutes, self.minutes),
                  ("seconds", self.remaining_seconds, self.remaining_seconds),
                  ("microseconds", self.microseconds, self.microseconds)]
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%s" % (k, v) for k, v, shown in fields if shown))

    def _to_microseconds(self):
        return (self._days * _SECONDS_PER_DAY + self._seconds) * 1000000 + self._microseconds

    def __add__(self, other):
        if isinstance(other, _dt.timedelta):
            return Duration(seconds=self.total_seconds() + other.total_seconds())
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, _dt.timedelta):
            return Duration(seconds=self.total_seconds() - other.total_seconds())
        return NotImplemented

    def __neg__(self):
        return Duration(years=-self._years, months=-self._months, weeks=-self._weeks, days=-self._remaining_days,
                        seconds=-self._seconds, microseconds=-self._microseconds)

    def __mul__(self, other):
        if isinstance(other, int) and not isinstance(other, bool):
            return Duration(years=self._years * other, months=self._months * other, seconds=self._total * other)
        if isinstance(other, float):
            numerator, denominator = other.as_integer_ratio()
            return Duration(0, 0, _round_half_even(self._to_microseconds() * numerator, denominator))
        return NotImplemented

    __rmul__ = __mul__

    def __floordiv__(self, other):
        if isinstance(other, _dt.timedelta):
            return self._to_microseconds() // _microseconds_of(other)
        if isinstance(other, int):
            return Duration(0, 0, self._to_microseconds() // other, years=self._years // other,
                            months=self._months // other)
        return NotImplemented

    def __truediv__(self, other):
        if isinstance(other, _dt.timedelta):
            return self._to_microseconds() / _microseconds_of(other)
        if isinstance(other, int):
            return Duration(0, 0, _round_half_even(self._to_microseconds(), other),
                            years=_round_half_even(self._years, other), months=_round_half_even(self._months, other))
        if isinstance(other, float):
            numerator, denominator = other.as_integer_ratio()
            return Duration(0, 0, _round_half_even(denominator * self._to_microseconds(), numerator))
        return NotImplemented

    def __mod__(self, other):
        if isinstance(other, _dt.timedelta):
            return Duration(0, 0, self._to_microseconds() % _microseconds_of(other))
        return NotImplemented

    def __divmod__(self, other):
        if isinstance(other, _dt.timedelta):
            quotient, remainder = divmod(self._to_microseconds(), _microseconds_of(other))
            return quotient, Duration(0, 0, remainder)
        return NotImplemented

    def __reduce__(self):
        return _rebuild_duration, (self.total_seconds() - (self._years * 365 + self._months * 30) * _SECONDS_PER_DAY,
                                   self._years, self._months)


def _rebuild_duration(seconds, years, months):
    return Duration(seconds=seconds, years=years, months=months)


def _microseconds_of(delta):
    if isinstance(delta, Duration):
        return delta._to_microseconds()
    return (delta.days * _SECONDS_PER_DAY + delta.seconds) * 1000000 + delta.microseconds


class CalendarDiff:
    """Years, months, days, hours, minutes, seconds and microseconds from `start` to `end`, and the whole
    calendar days between their dates; negative when `end` is earlier."""

    __slots__ = ("years", "months", "days", "hours", "minutes", "seconds", "microseconds", "total_days")

    def __init__(self, values):
        (self.years, self.months, self.days, self.hours, self.minutes, self.seconds, self.microseconds,
         self.total_days) = values


def _tz_name(value):
    tzinfo = value.tzinfo if isinstance(value, _dt.datetime) else None
    if tzinfo is None:
        return None
    return getattr(tzinfo, "name", None) or getattr(tzinfo, "zone", None)


def calendar_diff(start, end):
    """The calendar difference pendulum reports: time parts borrow from days, days from the month before
    `end`'s month (a month counts as whole once `end`'s day passes `start`'s day), months from years. Datetimes in
    one named zone keep their wall times (a day across a DST change is still one day); others compare in UTC."""
    if start == end:
        return CalendarDiff((0,) * 8)
    aware = [isinstance(v, _dt.datetime) and v.tzinfo is not None for v in (start, end)]
    if aware[0] != aware[1]:
        raise ValueError("Comparison between naive and aware datetimes is not supported")
    sign = 1
    if start > end:
        start, end, sign = end, start, -1
    total_days = end.toordinal() - start.toordinal()
    days = hours = minutes = seconds = microseconds = 0
    if isinstance(end, _dt.datetime):
        if isinstance(start, _dt.datetime):
            same_zone = _tz_name(start) is not None and _tz_name(start) == _tz_name(end)
            if not same_zone or total_days == 0:
                start = start - (start.utcoffset() or _dt.timedelta(0))
                end = end - (end.utcoffset() or _dt.timedelta(0))
            hours, minutes = end.hour - start.hour, end.minute - start.minute
            seconds, microseconds = end.second - start.second, end.microsecond - start.microsecond
        else:
            hours, minutes, seconds, microseconds = end.hour, end.minute, end.second, end.microsecond
        if microseconds < 0:
            microseconds, seconds = microseconds + 1000000, seconds - 1
        if seconds < 0:
            seconds, minutes = seconds + 60, minutes - 1
        if minutes < 0:
            minutes, hours = minutes + 60, hours - 1
        if hours < 0:
            hours, days = hours + 24, days - 1
    years = end.year - start.year
    months = end.month - start.month
    days += end.day - start.day
    if days < 0:
        previous_year, previous_month = (end.year - 1, 12) if end.month == 1 else (end.year, end.month - 1)
        previous_length = days_in_month(previous_year, previous_month)
        length_gap = days_in_month(end.year, end.month) - previous_length
        if days < length_gap:
            days += start.day if previous_length < start.day else previous_length
        elif days == length_gap:
            days, months = 0, months + 1
        else:
            days += previous_length
        months -= 1
    if months < 0:
        months, years = months + 12, years - 1
    return CalendarDiff(tuple(sign * v for v in (years, months, days, hours, minutes, seconds, microseconds,
                                                 total_days)))


class Period(Duration):
    """The span from `start` to `end` (a `Duration` of its exact length, negative when `end` is earlier) with
    its calendar parts. `absolute=True` orders the two first. pendulum 3 names this class `Interval`."""

    def __new__(cls, start, end, absolute=False):
        from ._datetimes import to_pendulum

        if isinstance(start, _dt.datetime) and isinstance(end, _dt.datetime):
            if (start.tzinfo is None) != (end.tzinfo is None):
                raise TypeError("can't compare offset-naive and offset-aware datetimes")
        start, end = to_pendulum(start), to_pendulum(end)
        invert = start > end
        if absolute and invert:
            start, end = end, start
        length = _exact_length(start, end)
        self = Duration.__new__(cls, seconds=length.total_seconds())
        self._start, self._end, self._absolute = start, end, absolute
        self._invert = invert
        # pendulum reads the calendar parts without the fold (in a repeated hour, as the first of the two
        # times); the exact length above keeps it.
        self._delta = calendar_diff(_plain(start, keep_fold=False), _plain(end, keep_fold=False))
        return self

    @property
    def years(self):
        return self._delta.years

    @property
    def months(self):
        return self._delta.months

    @property
    def weeks(self):
        return abs(self._delta.days) // 7 * _sign(self._delta.days)

    @property
    def days(self):
        return self._days

    @property
    def remaining_days(self):
        return abs(self._delta.days) % 7 * _sign(self._days)

    @property
    def hours(self):
        return self._delta.hours

    @property
    def minutes(self):
        return self._delta.minutes

    @property
    def start(self):
        return self._start

    @property
    def end(self):
        return self._end

    @property
    def invert(self):
        return self._invert

    def in_years(self):
        return self.years

    def in_months(self):
        return self.years * 12 + self.months

    def in_weeks(self):
        days = self.in_days()
        return _sign(days) * (abs(days) // 7)

    def in_days(self):
        return self._delta.total_days

    def range(self, unit, amount=1):
        """`start`, `start + amount unit`, ... up to `end` (downwards for an inverted period)."""
        backwards = not self._absolute and self._invert
        step = 0
        current = self._start
        while (current >= self._end) if backwards else (current <= self._end):
            yield current
            step += amount
            current = (self._start.subtract if backwards else self._start.add)(**{unit: step})

    def __iter__(self):
        return self.range("days")

    def __contains__(self, item):
        return self._start <= item <= self._end

    def as_interval(self):
        return Duration(seconds=self.total_seconds())

    as_duration = as_interval

    def __add__(self, other):
        return self.as_interval().__add__(other)

    __radd__ = __add__

    def __sub__(self, other):
        return self.as_interval().__sub__(other)

    def __neg__(self):
        return Period(self._end, self._start, self._absolute)

    def __abs__(self):
        return Period(self._start, self._end, True)

    def __mul__(self, other):
        return self.as_interval().__mul__(other)

    __rmul__ = __mul__

    def __floordiv__(self, other):
        return self.as_interval().__floordiv__(other)

    def __truediv__(self, other):
        return self.as_interval().__truediv__(other)

    def __mod__(self, other):
        return self.as_interval().__mod__(other)

    def __divmod__(self, other):
        return self.as_interval().__divmod__(other)

    def __repr__(self):
        return "<Period [%s -> %s]>" % (self._start, self._end)

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, Period):
            return (self._start, self._end, self._absolute) == (other._start, other._end, other._absolute)
        return self.as_interval() == other

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self._start, self._end, self._absolute))

    def __reduce__(self):
        start, end = self._start, self._end
        if self._invert and self._absolute:
            start, end = end, start
        return Period, (start, end, self._absolute)


def _plain(value, keep_fold=True):
    """A standard-library date or datetime with the same fields (calendar_diff compares plain values)."""
    if isinstance(value, _dt.datetime):
        return _dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                            value.microsecond, tzinfo=value.tzinfo, fold=value.fold if keep_fold else 0)
    return _dt.date(value.year, value.month, value.day)


def _exact_length(start, end):
    """`end - start` as a timedelta; two datetimes in one zone object compare in UTC."""
    start, end = _plain(start), _plain(end)
    if isinstance(start, _dt.datetime) and isinstance(end, _dt.datetime) and start.tzinfo is end.tzinfo \
            and start.tzinfo is not None:
        start = (start - start.utcoffset()).replace(tzinfo=None)
        end = (end - end.utcoffset()).replace(tzinfo=None)
    return end - start
