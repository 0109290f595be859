"""Whether the attempt in progress has put its request on the wire yet.

A plugin that fails before sending (a bug in building the body, input it cannot encode) must be told
apart from one that fails on what came back: the first names the request, the second the response. The
call path starts each attempt with :func:`attempt_started` and the transport calls :func:`mark_sent`
as it sends; both are a context variable's get or set, so the cost is tens of nanoseconds a call.
"""

from __future__ import annotations

from contextvars import ContextVar

# A one-element list rather than a bool: set once per attempt in the caller's context, changed in place
# by the transport, so that the change is seen whichever task or context copy does the sending.
_SENT: ContextVar[list[bool] | None] = ContextVar("modelplex_request_sent", default=None)


def attempt_started() -> list[bool]:
    """A fresh marker for the attempt starting in this context: ``marker[0]`` turns true once it sends."""
    marker = [False]
    _SENT.set(marker)
    return marker


def mark_sent() -> None:
    """Called by the transport for every request it sends."""
    marker = _SENT.get()
    if marker is not None:
        marker[0] = True


def no_attempt() -> None:
    """Forget the last attempt's marker: a call, or the admission of its next attempt, starts here."""
    _SENT.set(None)


def last_attempt() -> list[bool] | None:
    """The marker of the attempt started last in this context (``None`` before any, or after
    :func:`no_attempt`). Each attempt sets a fresh one, so a call that notes it as it starts knows,
    later, whether an attempt has started since (:func:`attempt_since`): a read, where :func:`no_attempt`
    on every call was a write (a new context mapping)."""
    return _SENT.get()


def attempt_since(before: list[bool] | None) -> bool:
    """Whether an attempt has started calling its plugin in this context since :func:`last_attempt`
    gave ``before``: its request may have reached the provider (a plugin that does not send through the
    core's transport marks nothing, so a started attempt counts as sent). :func:`no_attempt` since (a
    retry's admission cancelled) counts as none."""
    marker = _SENT.get()
    return marker is not None and marker is not before
