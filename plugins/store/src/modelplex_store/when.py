"""Points in time as the store's queries take them: microseconds since the epoch, UTC.

The command line says ``7d``, ``24h``, ``30m``, ``2w`` (that long before now), an ISO date
(``2026-11-01``: midnight UTC) or an ISO date and time (``2026-11-01T09:30``, UTC unless it names an
offset). The Python API takes the same strings, a :class:`~datetime.datetime` (naive means UTC), a
:class:`~datetime.date` or microseconds.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

MICROS = 1_000_000
HOUR = 3600 * MICROS
DAY = 24 * HOUR
_UNITS = {"s": MICROS, "m": 60 * MICROS, "h": HOUR, "d": DAY, "w": 7 * DAY}
_AGO = re.compile(r"(\d{1,7})\s*([smhdw])")

When = str | datetime | date | int


def now_micros() -> int:
    """The current time in microseconds since the epoch."""
    return time.time_ns() // 1000


def to_micros(value: When, *, now: int | None = None) -> int:
    """``value`` as microseconds since the epoch, UTC.

    :raises ValueError: a string that is neither a span (``7d``) nor an ISO date or date and time; the
        message names the forms that are understood.
    """
    if isinstance(value, bool):
        raise TypeError("a point in time cannot be a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return _datetime_micros(moment)
    if isinstance(value, date):
        return _datetime_micros(datetime(value.year, value.month, value.day, tzinfo=UTC))
    text = value.strip()
    span = _AGO.fullmatch(text.lower())
    if span:
        return (now_micros() if now is None else now) - int(span[1]) * _UNITS[span[2]]
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise ValueError(f"{value!r} is not a time: give a span before now (30m, 24h, 7d, 2w), an ISO date "
                         "(2026-11-01) or an ISO date and time (2026-11-01T09:30, UTC unless an offset "
                         "is given)") from None
    return to_micros(parsed)


def _datetime_micros(moment: datetime) -> int:
    # Whole seconds and microseconds apart: a float timestamp would round away microseconds.
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * MICROS + delta.microseconds


def from_micros(micros: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    seconds, rest = divmod(micros, MICROS)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


def iso(micros: int | None) -> str | None:
    """Microseconds since the epoch as ISO 8601 UTC text with a ``Z``, to the microsecond."""
    if micros is None:
        return None
    return from_micros(micros).isoformat().replace("+00:00", "Z")
