"""The HTTP client of one configured provider: httpx's API, on aiohttp's engine where it can run.

httpx's own connection pool holds a client to a few hundred requests a second under concurrency;
``httpx-aiohttp`` keeps httpx's API (plugins see ``httpx.AsyncClient`` and ``httpx.Response``) and sends
the requests through an aiohttp session, several times faster (``docs/benchmarks.md``). It is used when:

- no transport was configured (a configured one, ``httpx.MockTransport`` in tests, is used as given:
  ``transport=httpx.AsyncHTTPTransport()`` also chooses httpx's own pool), and
- the code runs on asyncio (aiohttp needs it): under trio, httpx's own pool is used.

Errors are httpx's, as plugins expect: a refused connection is ``httpx.ConnectError``, a read that
times out ``httpx.ReadTimeout``, a server that hangs up ``httpx.RemoteProtocolError``. Proxies from the
environment are honoured as httpx honours them. Closing the client closes its connections.

JSON requests read whole can skip httpx's per-request machinery: :func:`post_json` (behind
``ProviderContext.post_json``) sends them straight to aiohttp when the client needs nothing only httpx's
path does, with the same bytes on the wire.

Imported on a provider's first call, never by ``import modelplex``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Mapping
from json import dumps as _json_dumps
from time import perf_counter
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from modelplex._bounds import EXTENSION, UNKNOWN, Bounds
from modelplex._inflate import ACCEPT_ENCODING, ENCODED_HEADERS, bounded, codings, inflate_whole
from modelplex._logging import enabled as logging_enabled
from modelplex._reads import smaller_reads
from modelplex._sent import mark_sent

if TYPE_CHECKING:
    from modelplex._provider import ProviderSettings


def build(settings: ProviderSettings) -> httpx.AsyncClient:
    """The pooled client for ``settings``."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    # Only the codings decoded within bounds (httpx would add br and zstd when their packages are there).
    headers = dict(settings.headers)
    if not any(name.lower() == "accept-encoding" for name in headers):
        headers["Accept-Encoding"] = ACCEPT_ENCODING
    bounds = Bounds(provider=settings.name, max_response_bytes=settings.max_response_bytes,
                    max_event_bytes=settings.max_event_bytes)
    client: httpx.AsyncClient
    if settings.transport is None and _on_asyncio():
        client = AiohttpClient(timeout=timeout, headers=headers, follow_redirects=False, bounds=bounds)
    else:  # a test's transport, or httpx's own off asyncio: marked as it sends, as ours marks itself
        inner = settings.transport if settings.transport is not None else httpx.AsyncHTTPTransport()
        client = httpx.AsyncClient(timeout=timeout, transport=_Marking(inner, bounds), headers=headers,
                                   follow_redirects=False)
    _skip_cookie_work(client)
    return client


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # Not in asyncio code (a client built ahead of its first call): only a running trio rules it out.
        trio: Any = sys.modules.get("trio")
        if trio is not None:
            try:
                trio.lowlevel.current_task()
            except RuntimeError:
                return True
            return False
    return True


class _Cookies(httpx.Cookies):
    """httpx reads every response's cookies through ``urllib``'s cookie machinery, about 20 µs a
    response even when it sets none; this does that work only for a response that sets one."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def _skip_cookie_work(client: httpx.AsyncClient) -> None:
    cookies = getattr(client, "_cookies", None)
    if type(cookies) is httpx.Cookies:  # as httpx builds it; left alone should that ever change
        client._cookies = _Cookies(cookies.jar)


def _logged(method: str, url: object, started: float, status: int | None = None,
            error: BaseException | None = None) -> None:
    """One line for ``-v`` (or an application's structlog): a request's method, URL (less its
    secrets, as every log line), status or failure, and how long until its answer began."""
    from modelplex._logging import log

    ms = round((perf_counter() - started) * 1000, 1)
    if error is None:
        log("info", "http", method=method, url=str(url), status=status, ms=ms)
    else:
        log("info", "http_failed", method=method, url=str(url), error=error, ms=ms)


# -- the aiohttp transport, with httpx's exceptions as httpx would raise them ---------------------------
def _mapped(exc: BaseException, request: httpx.Request | None) -> httpx.TransportError:
    """The httpx exception for an aiohttp one, as httpx's own transport would raise it (so that callers
    can tell a refused connection from a timeout, or a server that hung up), naming ``request`` as
    httpx's do (errors report its method and URL)."""
    cls: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        cls = httpx.ProxyError
    elif isinstance(exc, aiohttp.ClientConnectorError):
        cls = httpx.ConnectError
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        cls = httpx.ConnectTimeout
    elif isinstance(exc, TimeoutError):  # aiohttp's socket timeouts are TimeoutErrors too
        cls = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.InvalidURL):
        cls = httpx.UnsupportedProtocol
    elif isinstance(exc, aiohttp.ClientOSError):
        cls = httpx.ReadError
    else:  # the server hung up, sent a body cut short or something that is not HTTP
        cls = httpx.RemoteProtocolError
    return cls(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, request=request)


_FAILURES = (aiohttp.ClientError, TimeoutError)


class _Stream(httpx.AsyncByteStream):
    """A response body as aiohttp receives it. When the connection breaks, what had already arrived is
    given first, then the error (aiohttp alone would drop it and raise at once)."""

    __slots__ = ("_request", "_response")

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except _FAILURES as exc:
            rest = _buffered(content)
            if rest:
                yield rest
            raise _mapped(exc, self._request) from exc

    async def aclose(self) -> None:
        try:
            await self._response.__aexit__(None, None, None)
        except _FAILURES as exc:
            raise _mapped(exc, self._request) from exc


def _buffered(content: aiohttp.StreamReader) -> bytes:
    """The bytes received before an error, which aiohttp's public reads no longer give."""
    try:
        return content._read_nowait(-1)
    except Exception:  # a private method of aiohttp's: should it change, only the tail is lost
        return b""


class _Marking(httpx.AsyncBaseTransport):
    """Another transport, telling the call path when it sends (:mod:`modelplex._sent`), its bodies
    decoded and read within the provider's bounds (:mod:`modelplex._inflate`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, bounds: Bounds = UNKNOWN) -> None:
        self.inner = inner
        self.bounds = bounds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        mark_sent()
        watch = logging_enabled()
        started = perf_counter() if watch else 0.0
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            if watch:
                _logged(request.method, request.url, started, error=exc)
            raise
        if watch:
            _logged(request.method, request.url, started, response.status_code)
        return bounded(response.status_code, response.headers, response.stream, request,
                       dict(response.extensions), self.bounds)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Transport(AiohttpTransport):
    """httpx-aiohttp's transport (its session, TLS context, limits and proxies) with httpx's exceptions,
    bodies that keep what arrived before a broken connection, and timeouts built once."""

    _timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout]
    bounds: Bounds = UNKNOWN  # the provider's, set by the client that builds it

    def get_client(self) -> aiohttp.ClientSession:
        return smaller_reads(super().get_client())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self.client
        if not isinstance(session, aiohttp.ClientSession):
            session = self.client = self.get_client()
            self._timeouts = {}
        client_timeout = self._client_timeout(request.extensions.get("timeout") or {})
        mark_sent()
        data: Any
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            data = request.stream
            request.headers.pop("transfer-encoding", None)  # aiohttp frames the body itself
        proxy = self.proxy
        watch = logging_enabled()
        started = perf_counter() if watch else 0.0
        try:
            response = await session.request(
                request.method, str(request.url), headers=request.headers.multi_items(), data=data,
                allow_redirects=False, auto_decompress=False, compress=False, timeout=client_timeout,
                server_hostname=request.extensions.get("sni_hostname"),
                proxy=str(proxy.url) if proxy else None,
                proxy_auth=aiohttp.BasicAuth(*proxy.auth) if proxy and proxy.auth else None,
                proxy_headers=proxy.headers if proxy else None,
            ).__aenter__()
        except _FAILURES as exc:
            mapped = _mapped(exc, request)
            if watch:
                _logged(request.method, request.url, started, error=mapped)
            raise mapped from exc
        if watch:
            _logged(request.method, request.url, started, response.status)
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return bounded(response.status, response.raw_headers, _Stream(response, request), request,
                       extensions, self.bounds)


    def _client_timeout(self, timeout: dict[str, float | None]) -> aiohttp.ClientTimeout:
        key = (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))
        client_timeout = self._timeouts.get(key)
        if client_timeout is None:
            client_timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                sock_connect=key[0], sock_read=key[1], connect=key[2])
        return client_timeout

    async def send_whole(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes,
                         timeouts: dict[str, float | None], request: httpx.Request) -> httpx.Response:
        """One request and its whole answer, straight to aiohttp: what ``handle_async_request`` and
        a read do, without an ``httpx.Request`` per call (``request`` is the one the response shows)."""
        session = self.client
        if not isinstance(session, aiohttp.ClientSession):
            session = self.client = self.get_client()
            self._timeouts = {}
        mark_sent()
        bounds = self.bounds
        limit = bounds.max_response_bytes
        watch = logging_enabled()
        started = perf_counter() if watch else 0.0
        try:
            async with session.request(method, url, headers=headers, data=body, allow_redirects=False,
                                       auto_decompress=False, compress=False,
                                       timeout=self._client_timeout(timeouts)) as response:
                names = codings(response.headers.get("Content-Encoding"))
                if names is None:  # a coding not ours: read as httpx would, at most the limit undecoded
                    names = []
                declared = response.content_length
                if declared is None:  # chunked, or until the connection closes: counted as it comes
                    content: bytes | bytearray = await _read_within(response.content, bounds)
                elif declared > limit:
                    raise bounds.response_too_large()
                else:  # aiohttp reads no more than the declared length
                    content = await response.read()
        except _FAILURES as exc:
            mapped = _mapped(exc, request)
            if watch:
                _logged(method, url, started, error=mapped)
            raise mapped from exc
        if watch:
            _logged(method, url, started, response.status)
        raw_headers: Any = response.raw_headers
        if names:
            content = inflate_whole(bytes(content), names, bounds)
            raw_headers = [(k, v) for k, v in raw_headers if k.lower() not in ENCODED_HEADERS]
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1", EXTENSION: bounds}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(status_code=response.status, headers=raw_headers, content=bytes(content),
                              request=request, extensions=extensions)


def forgotten(client: object, contexts: Mapping[str, Any]) -> None:
    """An ``AsyncClient`` collected unclosed: its connections are closed here while its event loop can
    still do it (a client that was a coroutine's local); else a warning that says what to do, before
    aiohttp's own, which name only its session and connector."""
    left = sorted(name for name, ctx in contexts.items()
                  if ctx._http is not None and not close_now(ctx._http))
    if left:
        import warnings

        warnings.warn(f"a modelplex.AsyncClient (providers {', '.join(left)}) was not closed before its "
                      "event loop ended, so its connections could not be: use 'async with "
                      "AsyncClient(...) as client:', or 'await client.aclose()' before the loop ends",
                      ResourceWarning, source=client, stacklevel=1)


def close_now(client: httpx.AsyncClient) -> bool:
    """Close ``client``'s aiohttp connections without awaiting, as a finaliser must: whether nothing is
    left open. Only on the thread that runs (or last ran) the session's event loop, while that loop is
    not closed; otherwise ``False``, and the connections are left for the interpreter to reclaim."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    done = True
    for transport in transports:
        session = getattr(transport, "client", None)
        if not isinstance(session, aiohttp.ClientSession) or session.closed:
            continue
        loop = session.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop.is_closed() or (running is not loop and loop.is_running()):
            done = False
            continue
        try:
            # The synchronous half of the connector's close: its transports are aborted, the waiters it
            # returns (a TLS goodbye) are not awaited. A private method: should it go, we warn instead.
            session.connector._close(abort_ssl=True)  # type: ignore[union-attr]
        except Exception:
            done = False
    return done


async def _read_within(content: aiohttp.StreamReader, bounds: Bounds) -> bytearray:
    """A body of undeclared length, read until its end or until it passes the provider's limit."""
    body = bytearray()
    limit = bounds.max_response_bytes
    while chunk := await content.readany():
        body += chunk
        if len(body) > limit:
            raise bounds.response_too_large()
    return body


_TRANSPORT_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits")


class AiohttpClient(HttpxAiohttpClient):
    """httpx builds its transport, and those of proxies from the environment, through these two."""

    _lean: Transport | None = None  # the transport built here (not a given one): post_json's
    _proxied = False

    def __init__(self, *args: Any, bounds: Bounds = UNKNOWN, **kwargs: Any) -> None:
        self._bounds = bounds  # before httpx builds the transports, which take it
        super().__init__(*args, **kwargs)

    def _init_transport(self, *args: Any, transport: httpx.AsyncBaseTransport | None = None,
                        **kwargs: Any) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        self._lean = Transport(*args, **{k: v for k, v in kwargs.items() if k in _TRANSPORT_OPTIONS})
        self._lean.bounds = self._bounds
        self._wires: dict[tuple[object, ...], _Wire] = {}
        return self._lean

    def _init_proxy_transport(self, proxy: httpx.Proxy, *args: Any,
                              **kwargs: Any) -> httpx.AsyncBaseTransport:
        self._proxied = True
        options: dict[str, Any] = {k: v for k, v in kwargs.items() if k in _TRANSPORT_OPTIONS}
        options["proxy"] = proxy
        transport = Transport(*args, **options)
        transport.bounds = self._bounds
        return transport

    async def post_json(self, url: str, body: Any, headers: Mapping[str, str]) -> httpx.Response:
        """See :func:`post_json`."""
        lean = self._lean
        if (lean is None or self.is_closed or self._proxied or self.auth is not None
                or self.event_hooks["request"] or self.event_hooks["response"] or self._has_cookies()):
            return await self.post(url, json=body, headers=headers)
        wire = self._wire(url, headers)
        content = _json_dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        response = await lean.send_whole("POST", url, wire.headers, content, wire.timeout, wire.request)
        if "set-cookie" in response.headers:  # kept, and sent from now on (by httpx: see _has_cookies)
            self.cookies.extract_cookies(response)
        return response

    def _has_cookies(self) -> bool:
        """Whether the client has cookies to send (then httpx sends the request, with them)."""
        cookies = self.cookies
        # CookieJar has no public emptiness test cheaper than counting every cookie.
        return type(cookies) is not _Cookies or bool(cookies.jar._cookies)  # type: ignore[attr-defined]

    def _wire(self, url: str, headers: Mapping[str, str]) -> _Wire:
        # Keyed by value, not identity: a caller may build its headers anew, or change them, each call.
        key = (url, *headers.items())
        wire = self._wires.get(key)
        if wire is None:
            if len(self._wires) > 256:
                self._wires.clear()
            wire = self._wires[key] = _Wire(self, url, headers)
        return wire


async def post_json(http: httpx.AsyncClient, url: str, body: Any,
                    headers: Mapping[str, str]) -> httpx.Response:
    """``await http.post(url, json=body, headers=headers)``: the same request on the wire and the same
    response, read whole, without httpx's per-request machinery where nothing needs it.

    On Modelplex's own aiohttp transport, with no proxy, cookie, auth or event hook on the client, the
    body is encoded as httpx encodes JSON and sent with the client's headers under ``headers``,
    straight to aiohttp: httpx's request building, URL parsing, auth and redirect flows cost about
    40 µs a call (``docs/benchmarks.md``). Anything else (a test transport, a proxy) goes through
    ``http.post``.
    """
    if isinstance(http, AiohttpClient):
        return await http.post_json(url, body, headers)
    return await http.post(url, json=body, headers=headers)


class _Wire:
    """What every request to one URL with one set of headers shares, worked out on the first."""

    __slots__ = ("headers", "request", "timeout")

    def __init__(self, http: httpx.AsyncClient, url: str, headers: Mapping[str, str]) -> None:
        merged = httpx.Headers(http.headers)
        merged.update(headers)
        merged["Content-Type"] = "application/json"
        self.headers = merged.multi_items()
        self.timeout: dict[str, float | None] = http.timeout.as_dict()
        # What responses show as their request: method, URL and headers (not each call's body).
        self.request = httpx.Request("POST", url, headers=merged, extensions={"timeout": self.timeout})
