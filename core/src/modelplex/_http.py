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

Imported on a provider's first call, never by ``import modelplex``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

if TYPE_CHECKING:
    from modelplex._provider import ProviderSettings


def build(settings: ProviderSettings) -> httpx.AsyncClient:
    """The pooled client for ``settings``."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    headers = dict(settings.headers)
    client: httpx.AsyncClient
    if settings.transport is None and _on_asyncio():
        client = AiohttpClient(timeout=timeout, headers=headers, follow_redirects=False)
    else:
        client = httpx.AsyncClient(timeout=timeout, transport=settings.transport, headers=headers,
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


# -- the aiohttp transport, with httpx's exceptions as httpx would raise them ---------------------------
def _mapped(exc: BaseException) -> httpx.TransportError:
    """The httpx exception for an aiohttp one, as httpx's own transport would raise it (so that callers
    can tell a refused connection from a timeout, or a server that hung up)."""
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
    return cls(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


_FAILURES = (aiohttp.ClientError, TimeoutError)


class _Stream(httpx.AsyncByteStream):
    """A response body as aiohttp receives it. When the connection breaks, what had already arrived is
    given first, then the error (aiohttp alone would drop it and raise at once)."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except _FAILURES as exc:
            rest = _buffered(content)
            if rest:
                yield rest
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        try:
            await self._response.__aexit__(None, None, None)
        except _FAILURES as exc:
            raise _mapped(exc) from exc


def _buffered(content: aiohttp.StreamReader) -> bytes:
    """The bytes received before an error, which aiohttp's public reads no longer give."""
    try:
        return content._read_nowait(-1)
    except Exception:  # a private method of aiohttp's: should it change, only the tail is lost
        return b""


class Transport(AiohttpTransport):
    """httpx-aiohttp's transport (its session, TLS context, limits and proxies) with httpx's exceptions,
    bodies that keep what arrived before a broken connection, and timeouts built once."""

    _timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self.client
        if not isinstance(session, aiohttp.ClientSession):
            session = self.client = self.get_client()
            self._timeouts = {}
        timeout = request.extensions.get("timeout") or {}
        key = (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))
        client_timeout = self._timeouts.get(key)
        if client_timeout is None:
            client_timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                sock_connect=key[0], sock_read=key[1], connect=key[2])
        data: Any
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            data = request.stream
            request.headers.pop("transfer-encoding", None)  # aiohttp frames the body itself
        proxy = self.proxy
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
            raise _mapped(exc) from exc
        extensions = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(status_code=response.status, headers=response.raw_headers,
                              stream=_Stream(response), request=request, extensions=extensions)


_TRANSPORT_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits")


class AiohttpClient(HttpxAiohttpClient):
    """httpx builds its transport, and those of proxies from the environment, through these two."""

    def _init_transport(self, *args: Any, transport: httpx.AsyncBaseTransport | None = None,
                        **kwargs: Any) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return Transport(*args, **{k: v for k, v in kwargs.items() if k in _TRANSPORT_OPTIONS})

    def _init_proxy_transport(self, proxy: httpx.Proxy, *args: Any,
                              **kwargs: Any) -> httpx.AsyncBaseTransport:
        options: dict[str, Any] = {k: v for k, v in kwargs.items() if k in _TRANSPORT_OPTIONS}
        options["proxy"] = proxy
        return Transport(*args, **options)
