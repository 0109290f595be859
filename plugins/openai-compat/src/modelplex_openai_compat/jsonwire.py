"""JSON off the wire, fast: every provider's stream parser reads one small JSON value per event."""

from __future__ import annotations

import json
import json.scanner
from typing import Any

_scan: Any = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # (typeshed)


def loads(text: str) -> Any:
    """``json.loads`` through the C scanner directly (about twice as fast on a small chunk); anything
    unusual (whitespace around the value, or no JSON at all) takes the long way, for json's own result
    or error."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)
