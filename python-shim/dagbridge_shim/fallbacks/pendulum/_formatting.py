"""`DateTime.format()` with pendulum's tokens (English only), as pendulum 2.1's Formatter renders them.

`[text]` is literal, `\\x` escapes one character. Tokens pendulum recognises but renders as nothing (`W`, `w`,
`kk`, `gggg`, `S` beyond six digits, ...) render as nothing here too; `a` and `Wo` render as themselves.
"""
import re

_TOKEN_RE = re.compile(
    r"\[([^\[]*)\]|\\(.)|("
    r"Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|E{1,4}|w[o|w]?|W[o|W]?|Qo?|YYYY|YY|Y|gg(ggg?)?|GG(GGG?)?"
    r"|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?|LTS|LT|LL?L?L?)"
)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
#: Indexed by pendulum 2's day_of_week (Sunday = 0).
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_SHORT_DAYS = ("Su", "Mo", "Tu", "We", "Th", "Fr", "Sa")

_DATE_FORMATS = {
    "LTS": "h:mm:ss A",
    "LT": "h:mm A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
}


def ordinal(number):
    """`1st`, `2nd`, `3rd`, `11th`, `22nd`: English ordinals."""
    if number % 10 == 1 and number % 100 != 11:
        suffix = "st"
    elif number % 10 == 2 and number % 100 != 12:
        suffix = "nd"
    elif number % 10 == 3 and number % 100 != 13:
        suffix = "rd"
    else:
        suffix = "th"
    return "%d%s" % (number, suffix)


def _offset(dt, separator):
    if dt.tzinfo is None:
        return ""
    offset = dt.utcoffset()
    minutes = int(offset.total_seconds() / 60) if offset else 0
    hours, minute = divmod(abs(minutes), 60)
    return "%s%02d%s%02d" % ("-" if minutes < 0 else "+", hours, separator, minute)


_RULES = {
    "YYYY": lambda dt: "%d" % dt.year,
    "YY": lambda dt: ("%d" % dt.year)[2:],
    "Y": lambda dt: "%d" % dt.year,
    "Q": lambda dt: "%d" % dt.quarter,
    "Qo": lambda dt: ordinal(dt.quarter),
    "MMMM": lambda dt: MONTHS[dt.month - 1],
    "MMM": lambda dt: MONTHS[dt.month - 1][:3],
    "MM": lambda dt: "%02d" % dt.month,
    "M": lambda dt: "%d" % dt.month,
    "Mo": lambda dt: ordinal(dt.month),
    "DDDD": lambda dt: "%03d" % dt.day_of_year,
    "DDD": lambda dt: "%d" % dt.day_of_year,
    "DDDo": lambda dt: ordinal(dt.day_of_year),
    "DD": lambda dt: "%02d" % dt.day,
    "D": lambda dt: "%d" % dt.day,
    "Do": lambda dt: ordinal(dt.day),
    "dddd": lambda dt: DAYS[dt.day_of_week],
    "ddd": lambda dt: DAYS[dt.day_of_week][:3],
    "dd": lambda dt: _SHORT_DAYS[dt.day_of_week],
    "d": lambda dt: "%d" % dt.day_of_week,
    "do": lambda dt: ordinal(dt.day_of_week),
    "E": lambda dt: "%d" % dt.isoweekday(),
    "wo": lambda dt: ordinal(dt.week_of_year),
    "Wo": lambda dt: "Wo",
    "a": lambda dt: "a",
    "A": lambda dt: "PM" if dt.hour >= 12 else "AM",
    "HH": lambda dt: "%02d" % dt.hour,
    "H": lambda dt: "%d" % dt.hour,
    "hh": lambda dt: "%02d" % (dt.hour % 12 or 12),
    "h": lambda dt: "%d" % (dt.hour % 12 or 12),
    "mm": lambda dt: "%02d" % dt.minute,
    "m": lambda dt: "%d" % dt.minute,
    "ss": lambda dt: "%02d" % dt.second,
    "s": lambda dt: "%d" % dt.second,
    "S": lambda dt: "%01d" % (dt.microsecond // 100000),
    "SS": lambda dt: "%02d" % (dt.microsecond // 10000),
    "SSS": lambda dt: "%03d" % (dt.microsecond // 1000),
    "SSSS": lambda dt: "%04d" % (dt.microsecond // 100),
    "SSSSS": lambda dt: "%05d" % (dt.microsecond // 10),
    "SSSSSS": lambda dt: "%06d" % dt.microsecond,
    "X": lambda dt: "%d" % dt.int_timestamp,
    "x": lambda dt: "%d" % (dt.int_timestamp * 1000 + dt.microsecond // 1000),
    "zz": lambda dt: (dt.tzname() or "") if dt.tzinfo is not None else "",
    "z": lambda dt: dt.timezone_name or "",
    "ZZ": lambda dt: _offset(dt, ""),
    "Z": lambda dt: _offset(dt, ":"),
}


def format_datetime(dt, fmt):
    """`fmt` with each token replaced by its value for `dt` (a pendulum DateTime, Date or Time)."""

    def replace(match):
        if match.group(1):
            return match.group(1)
        if match.group(2):
            return match.group(2)
        token = match.group(3)
        if token in _DATE_FORMATS:
            return format_datetime(dt, _DATE_FORMATS[token])
        rule = _RULES.get(token)
        return rule(dt) if rule is not None else ""

    return _TOKEN_RE.sub(replace, fmt)
