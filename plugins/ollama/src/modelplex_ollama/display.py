"""How the ``modelplex ollama`` commands show things: sizes, ages, speeds and aligned tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def human_bytes(n: float | None) -> str:
    """Decimal units as Ollama shows them: ``358 B``, ``815 MB``, ``2.0 GB``, ``43 GB``."""
    if n is None:
        return "-"
    value, unit = float(n), 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value /= 1000
        unit += 1
    if unit == 0 or value >= 10:
        return f"{int(value)} {_UNITS[unit]}"
    return f"{value:.1f} {_UNITS[unit]}"


def human_duration(seconds: float | None) -> str:
    """``42s``, ``3m05s``, ``1h02m``; ``-`` when unknown."""
    if seconds is None or seconds < 0:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def parse_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _span(seconds: float) -> str:
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400 * 7, "week"),
                       (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return "less than a minute"


def ago(text: str, now: datetime | None = None) -> str:
    """``3 days ago`` for an ISO timestamp; the text as it is when it cannot be read."""
    when = parse_time(text)
    if when is None:
        return text or "-"
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 0:
        return f"{_span(-seconds)} from now"
    return "just now" if seconds < 60 else f"{_span(seconds)} ago"


def short_digest(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return ["   ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in [headers, *rows]]
