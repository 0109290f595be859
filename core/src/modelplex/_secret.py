"""Secrets that never show themselves in a repr, a str, an error or a log line."""

from __future__ import annotations

import re
from typing import Final

import attrs

# Every secret value ever wrapped, so that error messages and log lines can be scrubbed of it even when a
# provider echoes a key back in an error body.
_KNOWN: set[str] = set()
_MIN_SCRUB_LEN: Final = 6

# Key shapes of the providers we know, for values that never went through Secret (echoed headers, URLs).
_PATTERNS: Final = re.compile(
    r"(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|gsk_[A-Za-z0-9]{16,}"
    r"|(?<=[Bb]earer )[A-Za-z0-9._\-]{8,})"
)
MASK: Final = "***"


@attrs.frozen(repr=False)
class Secret:
    """An API key or token. ``str()``/``repr()`` show a mask; ``.reveal()`` gives the value to the wire."""

    _value: str = attrs.field(alias="value")

    def __attrs_post_init__(self) -> None:
        if len(self._value) >= _MIN_SCRUB_LEN:
            _KNOWN.add(self._value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class SecretHeaders(dict[str, str]):
    """Request headers that carry a key: a plain dict to httpx, with a repr that names the headers but
    shows none of their values (a plugin keeps these for the client's life, see
    :meth:`~modelplex.ProviderContext.memo`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SecretHeaders({', '.join(f'{name}={MASK}' for name in self)})"

    __str__ = __repr__


def scrub(text: str) -> str:
    """Remove every known secret and anything shaped like a provider key from ``text``."""
    # Longest first: a secret that contains another must not be half-masked, leaving its tail shown.
    for value in sorted(_KNOWN, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return _PATTERNS.sub(MASK, text)
