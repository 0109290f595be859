"""A provider's stream, opened: held back to its first content event for a chain (which may still fall
back until then), or to its first event from the provider for a single model."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import anyio

from modelplex._call.attempt import origin_of, plugin_of, start, translated
from modelplex._events import (
    Finished,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    WarningRaised,
)
from modelplex._sent import attempt_started
from modelplex.errors import ModelplexError, StreamInterruptedError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient
    from modelplex._options import ChatRequest
    from modelplex._responses import ProviderWarning
    from modelplex._routing.candidates import Candidate

_CONTENT = (TextDelta, ReasoningDelta, ToolCallStarted, ToolCallDelta, ToolCallEnded)


def is_content(event: StreamEvent) -> bool:
    """Whether delivering ``event`` commits a stream to its model (no fallback after it)."""
    if isinstance(event, TextDelta):
        return bool(event.text)
    return isinstance(event, _CONTENT)


def interrupted(c: Candidate) -> StreamInterruptedError:
    """The error for ``c``'s stream ending without its ``Finished`` event."""
    return StreamInterruptedError("the stream ended before the provider said it was finished",
                                  provider=c.provider, model=c.model)


class Opened:
    """A provider's stream, opened and read up to its first content event (a chain's), or to its first
    event from the provider (a plugin's own warnings are not one: the call timeout still runs)."""

    def __init__(self, client: AsyncClient, candidate: Candidate) -> None:
        self.client = client
        self.candidate = candidate
        self.cm: AbstractAsyncContextManager[AsyncIterator[StreamEvent]] | None = None
        self.iterator: AsyncIterator[StreamEvent] | None = None
        self.buffer: list[StreamEvent] = []
        self.ended = False

    def translated(self, exc: BaseException, *, sent: bool = True) -> ModelplexError:
        """What the caller sees of ``exc``, raised by the candidate's plugin."""
        c = self.candidate
        return translated(exc, c.provider, c.model, plugin_of(self.client, c.provider), sent=sent,
                          origin=origin_of(self.client, c.provider))

    async def open(self, request: ChatRequest, *, until_content: bool,
                   warnings: Sequence[ProviderWarning] = ()) -> Opened:
        """Open the candidate's stream and read into :attr:`buffer` (after the core's ``warnings``) up to
        its first content event (``until_content``) or its first event from the provider; a failure,
        or an end without ``Finished``, closes it and is raised translated."""
        c = self.candidate
        self.buffer.extend(WarningRaised(warning=w) for w in warnings)
        error: ModelplexError | None = None
        marker = attempt_started()
        try:
            self.cm = start(self.client, c.provider, c.model, "modelplex_chat_stream", request=request)
            events = await self.cm.__aenter__()
            self.iterator = events.__aiter__()
            while True:
                try:
                    event = await self.iterator.__anext__()
                except StopAsyncIteration:
                    self.ended = True
                    break
                self.buffer.append(event)
                if isinstance(event, Finished) or is_content(event) or (
                        not until_content and not isinstance(event, WarningRaised)):
                    break
            if self.ended and not any(isinstance(e, Finished) for e in self.buffer):
                raise interrupted(c)
        except BaseException as exc:
            await self.close(exc)
            error = self.translated(exc, sent=marker[0]) if isinstance(exc, Exception) else None
            if error is None or error is exc:
                raise
        if error is not None:  # raised outside the clause, which would link exc back (see attempt.invoke)
            raise error
        return self

    async def close(self, exc: BaseException | None) -> None:
        """Leave the plugin's stream context (told of ``exc``), shielded, once; what it raises is dropped."""
        cm, self.cm = self.cm, None
        if cm is None:
            return
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            if exc is None:
                await cm.__aexit__(None, None, None)
            else:
                await cm.__aexit__(type(exc), exc, exc.__traceback__)
