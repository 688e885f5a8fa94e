"""`diff_for_humans()` and `format_diff()`: a Period in English words, rounded as pendulum rounds it
("2 months ago", "in 1 year", "3 days after", "a few seconds ago")."""


def _plural(count, unit):
    return "%d %s%s" % (count, unit, "" if count == 1 else "s")


def _largest_unit(diff):
    """(unit, count) of the largest unit, rounded up where pendulum rounds; None for "a few seconds"."""
    days_in_month_part = diff.weeks * 7 + diff.remaining_days
    if diff.years > 0:
        return "year", diff.years + (1 if diff.months > 6 else 0)
    if diff.months == 11 and days_in_month_part > 15:
        return "year", 1
    if diff.months > 0:
        return "month", diff.months + (1 if days_in_month_part >= 27 else 0)
    if diff.weeks > 0:
        return "week", diff.weeks + (1 if diff.remaining_days > 3 else 0)
    if diff.remaining_days > 0:
        return "day", diff.remaining_days + (1 if diff.hours >= 22 else 0)
    if diff.hours > 0:
        return "hour", diff.hours
    if diff.minutes > 0:
        return "minute", diff.minutes
    if 10 < diff.remaining_seconds <= 59:
        return "second", diff.remaining_seconds
    return None


def format_diff(diff, is_now=True, absolute=False, locale=None):
    """`diff` (an absolute Period from a value to another, inverted when the value is the later one) in words:
    relative to now (`in ...` / `... ago`) when `is_now`, else `... after` / `... before`; bare when `absolute`."""
    from ._unsupported import require_english

    require_english(locale, "pendulum.format_diff()")
    largest = _largest_unit(diff)
    if largest is None:
        words = "a few seconds"
    else:
        unit, count = largest
        words = _plural(count or 1, unit)
    if absolute:
        return words
    future = diff.invert
    if is_now:
        return ("in %s" if future else "%s ago") % words
    return ("%s after" if future else "%s before") % words
