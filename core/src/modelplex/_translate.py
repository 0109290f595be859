"""The one place a foreign exception (from a plugin, the transport or a parser) becomes a Modelplex error,
and where every error leaving a call is made secret-free along its whole chain.

A foreign exception can hold a key where no message shows it: httpx and aiohttp exceptions keep the
request (``err.__cause__.request.headers`` has ``x-api-key``), a parser's error keeps the body that echoed
a key. So no foreign exception stays in the chain of an error that reaches a caller: each is replaced by an
:class:`ExceptionSummary` of what a person debugging needs (its type, its message and URL less secrets,
where it was raised), and the error's own message, arguments and attributes are scrubbed.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import sys
from collections.abc import Iterator
from typing import Any, Final

import attrs

from modelplex._secret import Secret, scrub_url
from modelplex.errors import (
    ModelplexError,
    RequestBuildError,
    RequestTimeoutError,
    ResponseParseError,
    TransportError,
)

_MAX_DEPTH: Final = 8
# Values whose repr is their value: nothing to scrub, nothing to replace.
_PLAIN: Final = (int, float, complex, decimal.Decimal, fractions.Fraction, enum.Enum, datetime.date,
                 datetime.time, datetime.timedelta, type(None), Secret)


class ExceptionSummary(Exception):
    """A foreign exception as it shows in a Modelplex error's chain: ``type_name`` (``httpx.ConnectError``),
    ``message`` and ``url`` (``"POST https://..."``) scrubbed of secrets, ``where`` it was raised
    (``"modelplex_openai/parse.py:42 in parse_chat"``) and, for an exception group, the ``exceptions`` it
    held. Its ``__cause__`` and ``__context__`` are the summaries of the original's."""

    def __init__(self, type_name: str, message: str, *, url: str | None = None, where: str | None = None,
                 exceptions: tuple[BaseException, ...] = ()) -> None:
        self.type_name = type_name
        self.message = message
        self.url = url
        self.where = where
        self.exceptions = exceptions
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.type_name}: {self.message}" if self.message else self.type_name
        if self.url:
            text += f" ({self.url})"
        if self.where:
            text += f" at {self.where}"
        return text

    def __repr__(self) -> str:
        return f"ExceptionSummary({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args): this one's args are its text, not its fields.
        return type(self), (self.type_name, self.message), self.__dict__


def translate(exc: BaseException, provider: str, model: str | None, plugin: str, *,
              sent: bool = True, origin: str | None = None) -> ModelplexError:
    """The Modelplex error for ``exc``, with no secret anywhere along its chain.

    A :class:`ModelplexError` is itself, cleaned in place. An httpx (or aiohttp) timeout becomes a
    :class:`RequestTimeoutError`, any other transport failure a :class:`TransportError`, anything else a
    :class:`ResponseParseError` naming the plugin, or a :class:`RequestBuildError` when the attempt had
    not ``sent`` its request yet; an exception group of one exception is that exception. A failure to
    connect names the address, the cause in plain words and ``origin``, the setting that chose the
    base URL (:attr:`~modelplex.ProviderSettings.base_url_source`).

    Raise the result *outside* the ``except`` clause that caught ``exc``: inside it, Python links ``exc``
    back as the new error's ``__context__``, and the raw exception would be reachable again.
    """
    leaf = _only_member(exc)
    err: ModelplexError
    if isinstance(leaf, ModelplexError):
        err = leaf
    else:
        err = _typed(leaf, provider, model, plugin, sent, origin)
        err.__cause__ = exc
        err.__suppress_context__ = True
    _Cleaner().error(err, 0)
    return err


def _only_member(exc: BaseException) -> BaseException:
    """The one exception a group (of groups) holds, or ``exc`` itself."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _typed(exc: BaseException, provider: str, model: str | None, plugin: str, sent: bool,
           origin: str | None) -> ModelplexError:
    # Neither library is imported for this: an exception of theirs means they are loaded already.
    httpx: Any = sys.modules.get("httpx")
    aiohttp: Any = sys.modules.get("aiohttp")
    detail = _detail(exc)
    if (httpx is not None and isinstance(exc, httpx.TimeoutException)) or (
            aiohttp is not None and isinstance(exc, aiohttp.ServerTimeoutError)):
        return RequestTimeoutError(f"timed out talking to the provider ({detail})", provider=provider,
                                   model=model)
    if (httpx is not None and isinstance(exc, httpx.ConnectError)) or (
            aiohttp is not None and isinstance(exc, aiohttp.ClientConnectorError)):
        return TransportError(_cannot_connect(exc, origin), provider=provider, model=model)
    if (httpx is not None and isinstance(exc, httpx.TransportError)) or (
            aiohttp is not None and isinstance(exc, aiohttp.ClientError)):
        return TransportError(f"connection failed: {detail}", provider=provider, model=model)
    where = _where(exc)
    if not sent:
        return RequestBuildError(f"plugin {plugin!r} failed while building the request (nothing was sent): "
                                 f"{detail}" + (f" at {where}" if where else ""), provider=provider,
                                 model=model)
    return ResponseParseError(f"plugin {plugin!r} failed on the provider's response: {detail}"
                              + (f" at {where}" if where else ""), provider=provider, model=model)


def _detail(exc: BaseException) -> str:
    """``"ConnectError: message (POST http://host/path)"``, scrubbed."""
    message = _message(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    url = _url(exc)
    return f"{text} ({url})" if url and url.split(" ")[-1] not in text else text


def _cannot_connect(exc: BaseException, origin: str | None) -> str:
    """``"cannot connect to host:port: connection refused (POST http://..., base_url from X)"``: one
    plain cause, not the two libraries' exception names and aiohttp's ``ssl:default``."""
    url = _url(exc)
    address = _address(exc, url)
    where = ", ".join(part for part in (url, f"base_url from {origin}" if origin else None) if part)
    text = f"cannot connect to {address}: {_plain_cause(exc)}" if address else \
        f"cannot connect: {_plain_cause(exc)}"
    return scrub_url(f"{text} ({where})" if where else text)


def _address(exc: BaseException, url: str | None) -> str | None:
    """``host:port`` of the connection that failed, from the request's URL or aiohttp's error."""
    if url is not None:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url.split(" ")[-1])
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        except ValueError:
            return None
        if parts.hostname:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            return f"{host}:{port}" if port else host
    name, number = getattr(exc, "host", None), getattr(exc, "port", None)
    return f"{name}:{number}" if isinstance(name, str) and number else None


def _plain_cause(exc: BaseException) -> str:
    """What went wrong under a connect error, in words: the operating system's error found along its
    chain (aiohttp keeps it as ``os_error``), else the innermost message."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    innermost = exc
    while todo and len(seen) < _MAX_DEPTH:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        innermost = current
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, OSError):
            return _os_cause(os_error)
        if isinstance(current, OSError) and type(current).__module__ in ("builtins", "socket", "ssl"):
            return _os_cause(current)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return _message(innermost) or type(innermost).__name__


def _os_cause(err: OSError) -> str:
    import errno
    import os
    import socket

    ssl: Any = sys.modules.get("ssl")  # a TLS failure means it is loaded
    if ssl is not None and isinstance(err, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate could not be verified ({err.verify_message})"
    if ssl is not None and isinstance(err, ssl.SSLError):
        return f"the TLS handshake failed ({err.reason or err})"
    if isinstance(err, socket.gaierror):
        return "the host name could not be resolved"
    if isinstance(err, ConnectionRefusedError) or err.errno == errno.ECONNREFUSED:
        return "connection refused"
    if isinstance(err, TimeoutError):
        return "the connection timed out"
    if err.errno:
        return os.strerror(err.errno).lower()
    return _message(err) or type(err).__name__


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a foreign __str__ that fails must not hide the error being reported
        text = ""
    return scrub_url(text)


def _url(exc: BaseException) -> str | None:
    """The method and URL of the request ``exc`` concerns (httpx's ``request``, aiohttp's
    ``request_info``), without query secrets."""
    try:
        request = exc.request  # type: ignore[attr-defined]  # httpx raises RuntimeError when unset
    except Exception:
        request = None
    if request is None:
        request = getattr(exc, "request_info", None)
    try:
        url = getattr(request, "url", None) or getattr(request, "real_url", None)
        method = getattr(request, "method", None)
    except Exception:
        return None
    if url is None:
        return None
    return scrub_url(f"{method} {url}" if isinstance(method, str) else str(url))


def _where(exc: BaseException) -> str | None:
    """``"package/module.py:42 in function"``: the innermost frame ``exc`` was raised in."""
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    path = "/".join(code.co_filename.replace("\\", "/").rsplit("/", 2)[-2:])
    return f"{path}:{tb.tb_lineno} in {code.co_name}"


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


class _Cleaner:
    """One pass over an error's chain: Modelplex errors are scrubbed in place, foreign exceptions
    replaced (each once, so that a chain that meets itself ends)."""

    def __init__(self) -> None:
        self.seen: dict[int, BaseException] = {}

    def error(self, err: ModelplexError, depth: int) -> ModelplexError:
        if id(err) in self.seen:
            return err
        self.seen[id(err)] = err
        err.args = tuple(self.value(a, depth + 1) for a in err.args)
        for name, value in list(_attributes(err)):
            cleaned = self.value(value, depth + 1)
            if cleaned is not value:
                setattr(err, name, cleaned)
        self.links(err, err, depth)
        return err

    def links(self, source: BaseException, target: BaseException, depth: int) -> None:
        """``target``'s cause and context: those of ``source``, cleaned."""
        target.__cause__ = self.link(source.__cause__, depth + 1)
        target.__context__ = self.link(source.__context__, depth + 1)
        target.__suppress_context__ = source.__suppress_context__
        notes = getattr(source, "__notes__", None)
        if isinstance(notes, list):
            target.__notes__ = [scrub_url(str(n)) for n in notes]

    def link(self, exc: BaseException | None, depth: int) -> BaseException | None:
        if exc is None:
            return None
        if isinstance(exc, ModelplexError):
            return self.error(exc, depth)
        known = self.seen.get(id(exc))
        if known is not None:
            return known
        summary = ExceptionSummary(_type_name(exc), _message(exc), url=_url(exc), where=_where(exc))
        self.seen[id(exc)] = summary
        if depth < _MAX_DEPTH:
            if isinstance(exc, BaseExceptionGroup):
                summary.exceptions = tuple(self.link(e, depth + 1) or e for e in exc.exceptions)
            self.links(exc, summary, depth)
        return summary

    def value(self, value: Any, depth: int) -> Any:
        """``value`` with no secret: strings scrubbed, containers and records (attrs, dataclasses) rebuilt if
        something in them changed, exceptions cleaned, any other object replaced by its scrubbed repr."""
        if isinstance(value, str):
            cleaned = scrub_url(value)
            return value if cleaned == value else cleaned
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, BaseException):
            return self.link(value, depth)
        if depth >= _MAX_DEPTH:
            return "<...>"
        if isinstance(value, bytes | bytearray):
            text = value.decode("utf-8", "replace")
            cleaned = scrub_url(text)
            return value if cleaned == text else cleaned.encode()
        kind = type(value)
        if kind in (list, tuple, set, frozenset):
            items = [self.value(v, depth + 1) for v in value]
            changed = any(a is not b for a, b in zip(items, value, strict=True))
            return kind(items) if changed else value
        if kind is dict:
            pairs = [(self.value(k, depth + 1), self.value(v, depth + 1)) for k, v in value.items()]
            changed = any(a is not k or b is not v for (a, b), (k, v) in zip(pairs, value.items(),
                                                                               strict=True))
            return dict(pairs) if changed else value
        if attrs.has(kind) or dataclasses.is_dataclass(kind):  # ProviderSettings, EntryPoint...
            return self.record(value, depth)
        return scrub_url(_repr(value))

    def record(self, value: Any, depth: int) -> Any:
        changes = {}
        is_attrs = attrs.has(type(value))
        for field in attrs.fields(type(value)) if is_attrs else dataclasses.fields(value):
            old = getattr(value, field.name)
            new = self.value(old, depth + 1)
            if new is not old:
                changes[field.alias if is_attrs and field.alias else field.name] = new  # type: ignore[union-attr]
        if not changes:
            return value
        try:
            return attrs.evolve(value, **changes) if is_attrs else dataclasses.replace(value, **changes)
        except Exception:  # a field that __init__ does not take: what it shows, scrubbed
            return scrub_url(_repr(value))


def _attributes(obj: object) -> Iterator[tuple[str, Any]]:
    """The instance attributes of ``obj``: its ``__dict__`` and the slots of its classes."""
    yield from getattr(obj, "__dict__", {}).items()
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                yield name, getattr(obj, name)


def _repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__qualname__}>"
