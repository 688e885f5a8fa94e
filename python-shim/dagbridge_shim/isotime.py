"""``datetime.fromisoformat`` that reads the same ISO 8601 strings on every supported Python.

Python 3.11 widened ``fromisoformat`` (a trailing ``Z``, any number of fractional digits, ``+HH`` and ``+HHMM``
offsets); 3.9 and 3.10 read only what ``isoformat()`` writes. This rewrites those forms into the one every
version reads, so a run input or DAG file date parses alike on every worker.
"""
import re
from datetime import datetime

_WIDER_FORM = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](?P<fraction>\d+))?(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


def fromisoformat(text):
    """``datetime.fromisoformat(text)``, also reading ``Z``, 1 to 9 fractional digits, ``+HH`` and ``+HHMM``."""
    match = _WIDER_FORM.match(text)
    if match is None:
        return datetime.fromisoformat(text)
    value = match.group("date") + match.group("sep") + match.group("time")
    fraction = match.group("fraction")
    if fraction is not None:
        value += "." + (fraction + "000000")[:6]
    zone = match.group("zone")
    if zone in ("Z", "z"):
        value += "+00:00"
    elif zone is not None:
        digits = zone[1:].replace(":", "")
        value += zone[0] + digits[:2] + ":" + (digits[2:4] or "00")
    return datetime.fromisoformat(value)
