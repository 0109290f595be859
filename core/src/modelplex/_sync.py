"""The synchronous client: the asynchronous one driven through an anyio portal, not a twin implementation.

The portal runs an event loop in one background thread for the client's life, so the sync client works
the same outside and inside a running event loop (a notebook, an async web handler calling sync code),
and every HTTP connection lives on that one loop.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from modelplex._catalog import ModelInfo
from modelplex._client import AsyncClient
from modelplex._codec import ToolCodec
from modelplex._embeddings import EmbedResponse
from modelplex._events import StreamEvent, TextDelta
from modelplex._messages import Message
from modelplex._options import ChatOptions
from modelplex._responses import ChatResponse
from modelplex._stream import ChatStream

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from modelplex._chains import Chain
    from modelplex._health import HealthStatus
    from modelplex._trace import RoutingTrace


def _start_portal() -> tuple[BlockingPortal, Callable[[], None]]:
    """An event loop on a daemon thread, so a client nobody closed never holds up interpreter exit
    (anyio's ``start_blocking_portal`` runs on an executor thread that exit waits for)."""
    import anyio
    from anyio.from_thread import BlockingPortal

    ready = threading.Event()
    box: list[BlockingPortal] = []

    async def serve() -> None:
        async with BlockingPortal() as portal:
            box.append(portal)
            ready.set()
            await portal.sleep_until_stopped()

    thread = threading.Thread(target=anyio.run, args=(serve,), name="modelplex-client", daemon=True)
    thread.start()
    ready.wait()
    portal = box[0]

    def stop() -> None:
        portal.call(portal.stop)
        thread.join()

    return portal, stop


class SyncChatStream:
    """``with client.stream(...) as stream: for event in stream: ...``; then ``stream.response``."""

    def __init__(self, portal: BlockingPortal, stream: ChatStream) -> None:
        self._portal = portal
        self._stream = stream
        self._cm: AbstractContextManager[ChatStream] | None = None

    def __enter__(self) -> SyncChatStream:
        self._cm = self._portal.wrap_async_context_manager(self._stream)
        self._cm.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._cm is not None:
            cm, self._cm = self._cm, None
            cm.__exit__(et, ev, tb)

    def __iter__(self) -> Iterator[StreamEvent]:
        events = self._stream.__aiter__()
        while True:
            try:
                yield self._portal.call(events.__anext__)
            except StopAsyncIteration:
                return

    def text_stream(self) -> Iterator[str]:
        for event in self:
            if isinstance(event, TextDelta):
                yield event.text

    @property
    def response(self) -> ChatResponse | None:
        return self._stream.response

    @property
    def trace(self) -> RoutingTrace | None:
        """How the stream was routed, once it has ended."""
        return self._stream.trace

    def get_response(self) -> ChatResponse:
        for _ in self:
            pass
        assert self._stream.response is not None
        return self._stream.response


class Client:
    """The synchronous client; takes the same arguments as :class:`AsyncClient`."""

    def __init__(self, **kwargs: Any) -> None:
        self._async = AsyncClient(**kwargs)
        self._stop: Callable[[], None] | None = None
        self._portal: BlockingPortal | None = None
        self._lock = threading.Lock()

    @property
    def async_client(self) -> AsyncClient:
        return self._async

    @property
    def registry(self) -> Any:
        return self._async.registry

    def _p(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._portal, self._stop = _start_portal()
            return self._portal

    def chat(self, model: str, messages: str | Message | Sequence[Message], *, system: str | None = None,
             options: ChatOptions | None = None, **kwargs: Any) -> ChatResponse:
        async def run() -> ChatResponse:
            return await self._async.chat(model, messages, system=system, options=options, **kwargs)
        return self._p().call(run)

    def stream(self, model: str, messages: str | Message | Sequence[Message], *,
               system: str | None = None, options: ChatOptions | None = None,
               **kwargs: Any) -> SyncChatStream:
        stream = self._async.stream(model, messages, system=system, options=options, **kwargs)
        return SyncChatStream(self._p(), stream)

    def embed(self, model: str, inputs: str | Sequence[str], *, dimensions: int | None = None,
              task_type: str | None = None, **extra: Any) -> EmbedResponse:
        async def run() -> EmbedResponse:
            return await self._async.embed(model, inputs, dimensions=dimensions, task_type=task_type,
                                           **extra)
        return self._p().call(run)

    def list_models(self, provider: str | None = None) -> list[ModelInfo]:
        return self._p().call(self._async.list_models, provider)

    def health(self, probe: bool = False) -> list[HealthStatus]:
        """See :meth:`AsyncClient.health`."""
        return self._p().call(self._async.health, probe)

    def chains(self) -> dict[str, Chain]:
        return self._async.chains()

    def tool_codec(self, provider: str) -> ToolCodec:
        return self._async.tool_codec(provider)

    def close(self) -> None:
        with self._lock:
            portal, stop, self._portal, self._stop = self._portal, self._stop, None, None
        if portal is not None and stop is not None:
            try:
                portal.call(self._async.aclose)
            finally:
                stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten client must not keep its portal thread alive past the process's wish to exit.
        # At interpreter exit the loop thread may already be frozen: calling into it would never return.
        if getattr(self, "_portal", None) is not None and not sys.is_finalizing():
            with contextlib.suppress(Exception):  # nothing sensible to do in a finaliser
                self.close()
