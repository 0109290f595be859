"""Where a budget's window starts and ends, from the clock alone (never from a process's start, so that a
restart refills nothing): calendar hours, days and months in UTC; ``total`` and ``run`` windows never end.
"""

from __future__ import annotations

import datetime as dt

from modelplex_store.budgets.model import Window

_UTC = dt.UTC


def bounds(window: Window, now: float) -> tuple[int, int | None]:
    """The window holding ``now`` (``time.time()`` seconds) as (start, end) in microseconds since the
    epoch; ``end`` is ``None`` for a window that never resets, and ``start`` 0."""
    if window in ("total", "run", "call"):
        return 0, None
    moment = dt.datetime.fromtimestamp(now, _UTC)
    if window == "hour":
        start = moment.replace(minute=0, second=0, microsecond=0)
        end = start + dt.timedelta(hours=1)
    elif window == "day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + dt.timedelta(days=1)
    else:  # month
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(
            month=start.month + 1)
    return _micros(start), _micros(end)


def _micros(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds()) * 1_000_000
