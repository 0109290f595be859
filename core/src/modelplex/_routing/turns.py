"""A routed call's turns at models whose cool-down has ended (see :mod:`modelplex._cooldown`): taken
as its candidates are chosen (:func:`~modelplex._routing.candidates.eligible`), each ended by the
answer or the counted failure it gets, and whatever is left given back when the call ends, cancelled or
not, so that the next call need not wait for the turn to lapse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio

from modelplex.errors import ModelplexError

if TYPE_CHECKING:
    from modelplex._routing.router import Router


@contextlib.asynccontextmanager
async def held(router: Router) -> AsyncIterator[set[str]]:
    """The addresses whose turn the call has, given back on leaving."""
    turns: set[str] = set()
    try:
        yield turns
    finally:
        if turns:
            with anyio.CancelScope(shield=True):
                for key in turns:
                    with contextlib.suppress(ModelplexError):  # a store that is down: the turn lapses
                        await router.cooldowns.release(key)
