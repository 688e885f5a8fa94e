"""`Date` and `Time`: `datetime.date` / `datetime.time` with pendulum's repr and the calendar helpers DAG code
uses; `Date` is also the base of `DateTime` (the day-of-week, quarter, leap-year and week properties)."""
import datetime as _dt

from ._formatting import format_datetime
from ._unsupported import require_english, unsupported_method

SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(7)


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def add_months(year, month, day, years, months):
    """(year, month, day) moved by whole years and months; the day is clamped to the new month's length."""
    index = year * 12 + (month - 1) + years * 12 + months
    year, month = divmod(index, 12)
    month += 1
    return year, month, min(day, days_in_month(year, month))


class Date(_dt.date):
    @property
    def day_of_week(self):
        """0 for Sunday to 6 for Saturday (pendulum 2; pendulum 3 numbers from Monday = 0)."""
        return (self.weekday() + 1) % 7

    @property
    def day_of_year(self):
        return self.timetuple().tm_yday

    @property
    def week_of_year(self):
        return self.isocalendar()[1]

    @property
    def days_in_month(self):
        return days_in_month(self.year, self.month)

    @property
    def week_of_month(self):
        first_day_of_month = self.replace(day=1)
        return self.week_of_year - first_day_of_month.week_of_year + 1

    @property
    def quarter(self):
        return (self.month - 1) // 3 + 1

    def is_leap_year(self):
        return is_leap(self.year)

    def is_long_year(self):
        return _dt.date(self.year, 12, 28).isocalendar()[1] == 53

    def is_same_day(self, dt):
        return (self.year, self.month, self.day) == (dt.year, dt.month, dt.day)

    def is_anniversary(self, dt=None):
        if dt is None:
            dt = Date.today()
        return (self.month, self.day) == (dt.month, dt.day)

    is_birthday = is_anniversary

    def is_future(self):
        return self > Date.today()

    def is_past(self):
        return self < Date.today()

    def to_date_string(self):
        return "%04d-%02d-%02d" % (self.year, self.month, self.day)

    def to_formatted_date_string(self):
        return self.format("MMM DD, YYYY")

    def format(self, fmt, locale=None):
        require_english(locale, "%s.format()" % type(self).__name__)
        return format_datetime(self, fmt)

    def add(self, years=0, months=0, weeks=0, days=0):
        year, month, day = add_months(self.year, self.month, self.day, years, months)
        moved = _dt.date(year, month, day) + _dt.timedelta(days=days + weeks * 7)
        return Date(moved.year, moved.month, moved.day)

    def subtract(self, years=0, months=0, weeks=0, days=0):
        return self.add(years=-years, months=-months, weeks=-weeks, days=-days)

    def diff(self, dt=None, abs=True):
        from ._duration import Period

        return Period(self, Date.today() if dt is None else dt, absolute=abs)

    def diff_for_humans(self, other=None, absolute=False, locale=None):
        """This date against `other` (default today) in words: "2 days ago", "in 1 month"."""
        from ._humanize import format_diff

        is_now = other is None
        return format_diff(self.diff(Date.today() if is_now else other), is_now, absolute, locale)

    def start_of(self, unit):
        if unit == "day":
            return self
        if unit == "week":
            return self.subtract(days=(self.weekday()) % 7)
        if unit == "month":
            return self.replace(day=1)
        if unit == "year":
            return self.replace(month=1, day=1)
        if unit == "decade":
            return Date(self.year - self.year % 10, 1, 1)
        if unit == "century":
            return Date(self.year - (self.year - 1) % 100, 1, 1)
        raise ValueError('Invalid unit "%s" for start_of()' % unit)

    def end_of(self, unit):
        if unit == "day":
            return self
        if unit == "week":
            return self.add(days=6 - self.weekday())
        if unit == "month":
            return self.replace(day=self.days_in_month)
        if unit == "year":
            return self.replace(month=12, day=31)
        if unit == "decade":
            return Date(self.year - self.year % 10 + 9, 12, 31)
        if unit == "century":
            return Date(self.year - (self.year - 1) % 100 + 99, 12, 31)
        raise ValueError('Invalid unit "%s" for end_of()' % unit)

    def replace(self, year=None, month=None, day=None):
        return Date(self.year if year is None else year, self.month if month is None else month,
                    self.day if day is None else day)

    def __add__(self, other):
        if isinstance(other, _dt.timedelta):
            return self.add(days=other.days)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, _dt.timedelta):
            return self.subtract(days=other.days)
        if isinstance(other, _dt.date) and not isinstance(other, _dt.datetime):
            from ._duration import Period

            return Period(other, self)
        return NotImplemented

    @classmethod
    def today(cls):
        today = _dt.date.today()
        return cls(today.year, today.month, today.day)

    def __repr__(self):
        return "%s(%d, %d, %d)" % (type(self).__name__, self.year, self.month, self.day)

    next = unsupported_method("Date.next()")
    previous = unsupported_method("Date.previous()")
    first_of = unsupported_method("Date.first_of()")
    last_of = unsupported_method("Date.last_of()")
    nth_of = unsupported_method("Date.nth_of()")
    average = unsupported_method("Date.average()")
    closest = unsupported_method("Date.closest()")
    farthest = unsupported_method("Date.farthest()")


class Time(_dt.time):
    def format(self, fmt, locale=None):
        require_english(locale, "Time.format()")
        return format_datetime(self, fmt)

    def __repr__(self):
        us = ", %d" % self.microsecond if self.microsecond else ""
        tz = ", tzinfo=%r" % (self.tzinfo,) if self.tzinfo is not None else ""
        return "Time(%d, %d, %d%s%s)" % (self.hour, self.minute, self.second, us, tz)

    add = unsupported_method("Time.add()")
    subtract = unsupported_method("Time.subtract()")
    diff = unsupported_method("Time.diff()")
    diff_for_humans = unsupported_method("Time.diff_for_humans()")
    closest = unsupported_method("Time.closest()")
    farthest = unsupported_method("Time.farthest()")
