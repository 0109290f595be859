"""How much of a reply one provider's client holds: the decoded size of a whole reply and of one event.

A hostile or broken server can send a small gzip body that inflates to gigabytes, or an endless line;
without a bound, reading it whole (or one event of it) takes the process's memory. The transports
(:mod:`modelplex._inflate`) attach a provider's :class:`Bounds` to every response they give
(``response.extensions[EXTENSION]``), so the toolkit's stream decoders find the per-event bound
without plugins passing it along.

Light: no httpx here, so the toolkit may import it; no attrs, whose import a client's start would pay
(``docs/hot-paths.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelplex.errors import ResponseParseError

EXTENSION = "modelplex.bounds"
MIB = 1024 * 1024
# Far above any real reply: the largest whole ones are embeddings (2,048 vectors of 3,072 floats as
# JSON text, about 90 MiB); one streamed event carries a delta, or at most a whole image.
DEFAULT_MAX_RESPONSE_BYTES = 128 * MIB
DEFAULT_MAX_EVENT_BYTES = 16 * MIB


@dataclass(frozen=True, slots=True, kw_only=True)
class Bounds:
    """One provider's size limits, in decoded bytes, and the errors past them."""

    provider: str
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES

    def response_too_large(self) -> ResponseParseError:
        """The error for a whole reply larger than :attr:`max_response_bytes` once decoded."""
        return ResponseParseError(
            f"the reply is larger than {self.max_response_bytes:,} bytes once decoded, the provider's "
            f"max_response_bytes; it was not read further (raise the provider's 'max_response_bytes' "
            f"setting if such replies are genuine)", provider=self.provider)

    def event_too_large(self, model: str | None = None, *,
                        provider: str | None = None) -> ResponseParseError:
        """The error for one streamed event (or line) larger than :attr:`max_event_bytes`
        (``provider`` names it where the plugin knows its name better than the transport)."""
        return ResponseParseError(
            f"one event of the stream is larger than {self.max_event_bytes:,} bytes, the provider's "
            f"max_event_bytes; the stream was not read further (raise the provider's "
            f"'max_event_bytes' setting if such events are genuine)", provider=provider or self.provider,
            model=model)


UNKNOWN = Bounds(provider="(a response not read by a Modelplex client)")


def bounds_of(response: Any) -> Bounds:
    """The bounds the transport attached to ``response`` (an ``httpx.Response``); the defaults for a
    response built elsewhere."""
    extensions = getattr(response, "extensions", None)  # any object with aiter_bytes may be streamed
    found = extensions.get(EXTENSION) if isinstance(extensions, dict) else None
    return found if isinstance(found, Bounds) else UNKNOWN
