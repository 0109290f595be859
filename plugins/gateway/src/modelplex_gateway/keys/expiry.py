"""A key's expiry as people write it: ``30d``, ``12h``, ``90m``, ``45s`` from now, or an ISO 8601 time
(UTC when it names no zone)."""

from __future__ import annotations

import datetime as dt
import re
import time

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def expires_at(text: str, now: float | None = None) -> float:
    """Seconds since the epoch at which a key given ``text`` expires."""
    match = _RELATIVE.match(text)
    if match:
        return (time.time() if now is None else now) + float(match[1]) * _UNIT[match[2]]
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expiry {text!r}: expected a duration (30d, 12h, 90m, 45s) or an ISO 8601 time") \
            from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()
