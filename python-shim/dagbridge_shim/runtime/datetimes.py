"""Datetimes of the task context: timezone-aware UTC ``DateTime`` objects, as Airflow's pendulum values.

``DateTime`` is a ``datetime`` subclass whose ``str()`` is ISO 8601 like pendulum's, which Airflow uses, so
``{{ logical_date }}`` renders as Airflow renders it.
"""
from datetime import datetime, timedelta, timezone

from dagbridge_shim.isotime import fromisoformat

UTC = timezone.utc


class DateTime(datetime):
    """A UTC-aware ``datetime`` with the pendulum conveniences DAG authors use in templates.

    Arithmetic and ``astimezone`` keep the subclass (Python 3.8+), so ``logical_date - timedelta(days=1)`` is a
    ``DateTime`` too.
    """

    def __str__(self):
        # pendulum (Airflow's datetime type) prints ISO 8601 with a "T"; templates rely on it.
        return self.isoformat()

    def add(self, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, microseconds=0):
        moved = self
        if years or months:
            month_index = self.month - 1 + months + 12 * years
            year, month = self.year + month_index // 12, month_index % 12 + 1
            day = min(self.day, _days_in_month(year, month))
            moved = self.replace(year=year, month=month, day=day)
        return moved + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds,
                                 microseconds=microseconds)

    def subtract(self, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, microseconds=0):
        return self.add(-years, -months, -weeks, -days, -hours, -minutes, -seconds, -microseconds)

    def in_timezone(self, name):
        # zoneinfo reads the time zone database: loaded only by a task that asks for another zone.
        from zoneinfo import ZoneInfo

        return self.astimezone(ZoneInfo(name) if isinstance(name, str) else name)

    in_tz = in_timezone

    def to_date_string(self):
        return self.strftime("%Y-%m-%d")

    def to_datetime_string(self):
        return self.strftime("%Y-%m-%d %H:%M:%S")

    def to_iso8601_string(self):
        return self.isoformat()

    @property
    def int_timestamp(self):
        return int(self.timestamp())


def _days_in_month(year, month):
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days


def parse_instant(text):
    """An ISO 8601 string (``...Z`` or ``...+00:00``; naive means UTC) as a UTC ``DateTime``; None stays None."""
    if text is None:
        return None
    parsed = fromisoformat(text.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return DateTime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second,
                    parsed.microsecond, tzinfo=UTC)


def utcnow():
    """Now, as a UTC ``DateTime``."""
    now = datetime.now(UTC)
    return DateTime(now.year, now.month, now.day, now.hour, now.minute, now.second, now.microsecond, tzinfo=UTC)
