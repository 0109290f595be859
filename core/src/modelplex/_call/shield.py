"""Awaiting what a lifecycle hook returns through the call's cancellation: a cancelled call's outcome
must still be heard, a reservation still settled or released.

anyio's ``CancelScope(shield=True)`` does it on either event loop, at 4-7 µs each time on asyncio (its
task bookkeeping), paid by every call a usage log records. On asyncio it holds off anyio's own cancel
scopes only: a native ``task.cancel()`` goes through it (``core/tests/test_shield.py`` shows both). So a
task that no anyio scope or task group holds (a plain asyncio application, the bench) gains nothing from
it, and awaits the hook's answer as it is; a task that one holds (an anyio task group, a web framework
on anyio, ``anyio.move_on_after`` around the call), and every trio task, is shielded as before. Where
anyio's bookkeeping is not what this expects (another anyio version), every await is shielded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import anyio

_states: Any = None  # anyio's task states on asyncio, found on first use (False: not found)


def exposed() -> bool:
    """Whether an anyio cancel scope could cancel the running task, so that a shield is needed."""
    global _states
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no asyncio loop running: trio
        return True
    if task is None:
        return True
    if _states is None:
        try:
            from anyio._backends import _asyncio
        except ImportError:
            _asyncio = None  # type: ignore[assignment]
        _states = getattr(_asyncio, "_task_states", False)
    if _states is False:
        return True
    state = _states.get(task)
    return state is not None and getattr(state, "cancel_scope", True) is not None


async def shielded(value: Awaitable[Any]) -> Any:
    """Await ``value`` even while the call is being cancelled (see the module's docstring)."""
    if exposed():
        with anyio.CancelScope(shield=True):
            return await value
    return await value
