"""The admission decisions of each call in flight, for its usage row (``calls.admission``, JSON, and
``calls.denied_by``): what each budget decided for each candidate (``reserved``, ``denied``, ``settled``,
``released``, ``allowed`` when the ledger was down under ``on_unavailable = "allow"``, ``unpriced`` when an
unknown price was let through). Noted by the admitter as it decides, taken by the recorder when it writes
the call's row; a call that is never recorded (the store off) leaves nothing behind: the notes go with it.
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import Any

_notes: dict[int, list[dict[str, Any]]] = {}
_lock = threading.Lock()


def note(call: Any, decision: dict[str, Any]) -> None:
    """Add ``decision`` to ``call``'s (a :class:`~modelplex.CallInfo`)."""
    key = id(call)
    with _lock:
        found = _notes.get(key)
        if found is None:
            found = _notes[key] = []
            weakref.finalize(call, _drop, key)  # a call never recorded: its notes go with it
        found.append(decision)


def _drop(key: int) -> None:
    with _lock:
        _notes.pop(key, None)


def taken(call: Any) -> tuple[str | None, str | None]:
    """``call``'s decisions as the ``admission`` and ``denied_by`` columns (``None`` for none); they stay
    until the call is gone (an attempt row and the call's own read the same)."""
    with _lock:
        found = list(_notes.get(id(call), ()))
    if not found:
        return None, None
    denied = [d["budget"] for d in found if d.get("decision") == "denied"]
    return json.dumps(found, separators=(",", ":"), sort_keys=True), (",".join(dict.fromkeys(denied)) or None)
