"""A whole :class:`~modelplex.ChatResponse` as the stream events that would have built it: the
toolkit's :func:`~modelplex.toolkit.response_events`, kept under this library's name for its users."""

from __future__ import annotations

from modelplex.toolkit.events import response_events

__all__ = ["response_events"]
