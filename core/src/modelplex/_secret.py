"""Secrets that never show themselves in a repr, a str, an error or a log line."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Final

# Every secret value ever wrapped or registered (API keys, credential headers, keys in the config file),
# so that error messages and log lines can be scrubbed of it even when a provider echoes it back.
_KNOWN: set[str] = set()
# The same, longest first (a secret that contains another must not be half-masked, leaving its tail
# shown): a tuple replaced whole on each new secret, so that scrub() in one thread never iterates a set
# another thread is adding to, and sorts nothing.
_LONGEST_FIRST: tuple[str, ...] = ()
_ADDING: Final = threading.Lock()
_MIN_SCRUB_LEN: Final = 6

# The expressions below, compiled on first use: compiling them cost ~7 million instructions, 2 % of a
# program's start (import, a client, discovery), which a program that never scrubs anything need not pay.
_Compiled = tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]
_compiled: _Compiled | None = None


def _expressions() -> _Compiled:
    """``(key shapes, secret names, URL user part, URL query pair)``, compiled once (two threads racing
    here compile twice and keep either: the same expressions)."""
    global _compiled
    if _compiled is None:
        _compiled = (
            # Key shapes of the providers we know, for values that never went through Secret (echoed
            # headers, URLs).
            re.compile(r"(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|gsk_[A-Za-z0-9]{16,}"
                       r"|(?<=[Bb]earer )[A-Za-z0-9._\-]{8,})"),
            # Names of headers, settings, log fields and URL query parameters whose value is a
            # credential. "tokens" (max_tokens, input_tokens) and "author" are counts and names.
            re.compile(r"auth(?!ors?(?:$|[-_]))|token(?!s|_?count|_?type|i[sz])|secret|passw|cookie"
                       r"|credential|signature|api[-_]?key|(?:^|[-_])key$|^(?:sig|code)$", re.IGNORECASE),
            # ``scheme://user:password@host`` and ``?key=...&sig=...``: the parts of a URL that may
            # carry a secret.
            re.compile(r"(?<=://)([^/@:\s]*):([^/@\s]+)@"),
            re.compile(r"([?&;])([^=&#\s]+)=([^&#\s)'\"]*)"),
        )
    return _compiled


MASK: Final = "***"


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Secret:
    """An API key or token. ``str()``/``repr()`` show a mask; ``.reveal()`` gives the value to the wire."""

    _value: str

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", value)  # frozen: set as the generated __init__ would
        remember(value)

    def reveal(self) -> str:
        """The value itself, for the wire and nothing else."""
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


def remember(value: str) -> None:
    """Register ``value`` as a secret that :func:`scrub` masks wherever it shows (too short a value
    would mask ordinary words, so it is left)."""
    global _LONGEST_FIRST
    if len(value) >= _MIN_SCRUB_LEN and value not in _KNOWN:
        with _ADDING:
            _KNOWN.add(value)
            _LONGEST_FIRST = tuple(sorted(_KNOWN, key=len, reverse=True))


def remember_credential(value: str) -> None:
    """Register a credential header's value, and the token alone where the value names its scheme
    (``Bearer <token>``, ``Basic <credentials>``): a provider may echo either."""
    remember(value)
    scheme, _, token = value.strip().partition(" ")
    if token and scheme.isalpha():
        remember(token.strip())


def is_secret_name(name: str) -> bool:
    """Whether a header, setting, log field or query parameter called ``name`` carries a credential
    (``Authorization``, ``X-Api-Key``, ``x-goog-api-key``, ``api_key``, ``token``, ``Cookie``, ``key``...)."""
    return _expressions()[1].search(name) is not None


def scrub(text: str) -> str:
    """Remove every known secret and anything shaped like a provider key from ``text``."""
    for value in _LONGEST_FIRST:
        if value in text:
            text = text.replace(value, MASK)
    return _expressions()[0].sub(MASK, text)


def scrub_url(url: str) -> str:
    """``url`` without its secrets: the password of its user part, the values of query parameters
    named like credentials (``?key=``, ``access_token=``, ``sig=``) and whatever :func:`scrub` masks."""
    _, _, userinfo, query_pair = _expressions()
    url = userinfo.sub(rf"\1:{MASK}@", url)
    url = query_pair.sub(
        lambda m: f"{m[1]}{m[2]}={MASK}" if is_secret_name(m[2]) else m[0], url)
    return scrub(url)
