"""The SSE decoder lives in :mod:`modelplex.toolkit`; these names stay for the library's users."""

from modelplex.toolkit.sse import SSEDecoder, SSEEvent

__all__ = ["SSEDecoder", "SSEEvent"]
