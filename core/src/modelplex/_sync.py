"""The synchronous client: the asynchronous one driven from other threads, not a twin implementation.

An asyncio event loop runs in one daemon thread for the client's life, so the sync client works the
same outside and inside a running event loop (a notebook, an async web handler calling sync code), and
every HTTP connection lives on that one loop. Each call is a task on that loop, run inside a cancel
scope the client keeps, so that :meth:`Client.close` can end whatever is in flight.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import sys
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from modelplex._client import AsyncClient
from modelplex._events import StreamEvent, TextDelta
from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    import anyio

    from modelplex._catalog.cost import Cost
    from modelplex._catalog.estimate import Estimate
    from modelplex._catalog.records import ModelInfo
    from modelplex._chains import Chain
    from modelplex._codec import ToolCodec
    from modelplex._conversation import Conversation
    from modelplex._embeddings import EmbedResponse
    from modelplex._health import HealthStatus
    from modelplex._messages import Message
    from modelplex._options import ChatOptions
    from modelplex._plugins import Registry
    from modelplex._ratelimit import RateLimits
    from modelplex._rerank import RerankResponse
    from modelplex._responses import ChatResponse
    from modelplex._retry import RoutingPolicy
    from modelplex._stream import ChatStream
    from modelplex._trace import RoutingTrace

T = TypeVar("T")

#: How many events a stream reads ahead of a reader that is slower than the provider.
BUFFERED_EVENTS = 256
#: Seconds :meth:`Client.close` gives cancelled calls to unwind, and the HTTP clients to close.
CLOSE_GRACE = 1.0


def closed_error() -> ConfigurationError:
    """What a call to a closed client raises, and what calls and streams cut by ``close()`` end with:
    the same error the asynchronous client raises once closed."""
    return ConfigurationError("this client is closed")


# Clients whose loop runs; closed at exit by _close_forgotten if nobody closed them.
_RUNNING: weakref.WeakSet[Client] = weakref.WeakSet()
_EXIT_HOOK: list[bool] = []


def _close_forgotten() -> None:
    """At interpreter exit, close the clients nobody closed, while their loop can still run: a client
    kept in a global until then was otherwise torn down with the interpreter, and aiohttp warned
    ``ResourceWarning: Unclosed client session`` for each of its connections."""
    for client in list(_RUNNING):
        with contextlib.suppress(Exception):  # one client's failure must not keep the others open
            client.close()


class _LoopThread:
    """An asyncio event loop on a daemon thread, so a client nobody closed never holds up interpreter
    exit. When the loop stops, the tasks still on it are cancelled and the loop closed, sockets and all."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="modelplex-client", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.wait(left, timeout=CLOSE_GRACE))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def submit(self, coro: Awaitable[T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]

    def here(self) -> bool:
        """Whether the caller runs on this loop's thread (where it must not wait for the loop)."""
        return threading.current_thread() is self.thread


class SyncChatStream:
    """``with client.stream(...) as stream: for event in stream: ...``; then ``stream.response``.

    A task on the client's loop reads the stream ahead into a buffer (at most ``BUFFERED_EVENTS``
    events, so a slow reader does not make memory grow) and the reading thread takes every event
    already there each time it wakes: a thread hop per batch, not per event. Events come in order, an
    error after the events before it. Leaving the block early closes the HTTP response before
    ``__exit__`` returns. If the client is closed while the block is open, the next read raises
    :class:`~modelplex.errors.ConfigurationError` ("this client is closed").
    """

    def __init__(self, client: Client, stream: ChatStream) -> None:
        self._client = client
        self._stream = stream
        self._buffer: deque[Any] = deque()
        self._error: BaseException | None = None
        self._over = False  # the reader took the end
        # The reader is about to wait, or waits, for a wake-up token: the producer then sends one. The
        # reader sets this before its last look at the buffer and the producer reads it after appending,
        # so no wake-up is lost (each read and write of an attribute is atomic and ordered, as under the GIL).
        self._waiting = False
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        # The producer waits for room in the buffer on this future (on the loop); ``_asked`` is the one
        # the reader last asked the loop to resolve.
        self._room: asyncio.Future[None] | None = None
        self._asked: asyncio.Future[None] | None = None
        self._opened: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._task: concurrent.futures.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scope: anyio.CancelScope | None = None
        self._left = False

    # -- the reading thread ------------------------------------------------------------------------------
    def __enter__(self) -> SyncChatStream:
        if self._task is not None:
            raise RuntimeError("a stream is entered once")
        self._loop, self._task = self._client._start_stream(self)
        try:
            # The producer says the stream is open, or its task ends first (refused by a closing client).
            concurrent.futures.wait([self._opened, self._task],
                                    return_when=concurrent.futures.FIRST_COMPLETED)
            if not self._opened.done():
                self._task.result()
            self._opened.result()
        except concurrent.futures.CancelledError:
            self._leave()
            raise closed_error() from None
        except BaseException:
            self._leave()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._task is not None:
            self._leave()

    def _leave(self) -> None:
        """Stop the producer if it still runs and wait until it has closed the provider's stream."""
        task, loop = self._task, self._loop
        assert task is not None and loop is not None
        if not task.done():
            with contextlib.suppress(RuntimeError):  # the loop is closed: the client closed, task done
                loop.call_soon_threadsafe(self._stop)
            concurrent.futures.wait([task])
        self._client._stream_ended(self)

    def __iter__(self) -> Iterator[StreamEvent]:
        if self._task is None:
            raise RuntimeError("use the stream inside 'with client.stream(...) as stream'")
        buffer = self._buffer
        take = buffer.popleft
        half = BUFFERED_EVENTS // 2
        while not self._over:
            try:
                event = take()
            except IndexError:
                self._wait()
                continue
            if event is _END:
                self._over = True
                if self._error is not None:
                    raise self._error
                return
            room = self._room
            if room is not None and room is not self._asked and len(buffer) <= half:
                self._asked = room
                self._call_soon(_resolve, room)
            yield event

    def _wait(self) -> None:
        self._waiting = True
        if self._buffer:  # filled since it was found empty: no token is needed
            self._waiting = False
            return
        room = self._room
        if room is not None and room is not self._asked:
            self._asked = room
            self._call_soon(_resolve, room)
        self._wake.get()

    def _call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop is closed: the end is in the buffer
            self._loop.call_soon_threadsafe(fn, *args)

    def text_stream(self) -> Iterator[str]:
        """Only the text, as it arrives."""
        for event in self:
            if isinstance(event, TextDelta):
                yield event.text

    @property
    def response(self) -> ChatResponse | None:
        """The assembled response, once every event has been read."""
        return self._stream.response

    @property
    def cost(self) -> Cost | None:
        """What the stream cost (:attr:`ChatStream.cost`): partial if it was cut or left early."""
        return self._stream.cost

    @property
    def trace(self) -> RoutingTrace | None:
        """How the stream was routed, once it has ended."""
        return self._stream.trace

    def get_response(self) -> ChatResponse:
        """Read what is left of the stream and return the assembled response."""
        for _ in self:
            pass
        assert self._stream.response is not None
        return self._stream.response

    # -- the loop's side ---------------------------------------------------------------------------------
    async def _produce(self) -> None:
        import anyio

        error: BaseException | None = None
        try:
            if self._left:
                return
            with anyio.CancelScope() as self._scope:  # cancelled when the reader leaves early
                async with self._stream as stream:
                    self._opened.set_result(None)
                    await self._pump(stream)
        except Exception as exc:
            error = exc
        except BaseException:  # cancelled by the client's close()
            error = closed_error()
            raise
        finally:
            self._end(error)

    async def _pump(self, stream: ChatStream) -> None:
        buffer = self._buffer
        put = buffer.append
        async for event in stream:
            put(event)
            if self._waiting:
                self._waiting = False
                self._wake.put(None)
            if len(buffer) >= BUFFERED_EVENTS:
                await self._make_room()

    async def _make_room(self) -> None:
        room = asyncio.get_running_loop().create_future()
        self._room = room  # set before looking, so that a reader who empties the buffer sees it
        if len(self._buffer) > BUFFERED_EVENTS // 2:
            await room
        self._room = None

    def _end(self, error: BaseException | None) -> None:
        if not self._opened.done():
            self._opened.set_exception(error if error is not None else closed_error())
            return
        if self._error is None:
            self._error = error
        self._buffer.append(_END)
        self._waiting = False
        self._wake.put(None)

    def _stop(self) -> None:
        self._left = True
        if self._scope is not None:
            self._scope.cancel()

    def _cut(self) -> None:
        """The client is closing: the reader's next read raises, whatever the buffer still holds."""
        self._error = closed_error()
        self._buffer.clear()
        self._buffer.append(_END)
        self._waiting = False
        self._wake.put(None)


_END = object()  # the last item a producer puts in a stream's buffer


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Client:
    """The synchronous client; takes the same arguments as :class:`AsyncClient`.

    Calls may come from any number of threads. :meth:`close` (or leaving a ``with Client(...)``
    block) returns within about a second whatever is in flight: calls and open streams in other
    threads end with :class:`~modelplex.errors.ConfigurationError` ("this client is closed"), their
    connections are closed, and the client's thread ends. Calling a closed client raises the same
    error and starts nothing.
    """

    def __init__(self, *, providers: Mapping[str, Mapping[str, Any]] | None = None,
                 plugins: Mapping[str, object] | None = None, autoload: bool = True,
                 config_file: str | Path | bool | None = None, env: Mapping[str, str] | None = None,
                 transport: Any = None, timeout: float | None = None,
                 chains: Mapping[str, Chain | Sequence[Any]] | None = None,
                 limits: Mapping[str, RateLimits | Mapping[str, Any]] | None = None,
                 routing: RoutingPolicy | Mapping[str, Any] | None = None,
                 redis: str | None = None) -> None:
        self._async = AsyncClient(providers=providers, plugins=plugins, autoload=autoload,
                                  config_file=config_file, env=env, transport=transport, timeout=timeout,
                                  chains=chains, limits=limits, routing=routing, redis=redis)
        self._lock = threading.Lock()  # guards the three below, which threads calling in read
        self._loop: _LoopThread | None = None
        self._closed = False
        self._streams: set[SyncChatStream] = set()
        # Only the loop's thread reads and writes these.
        self._scopes: set[anyio.CancelScope] = set()
        self._closing = False
        self._idle: asyncio.Event | None = None
        self._stopping: concurrent.futures.Future[None] | None = None

    def __repr__(self) -> str:
        return "Client" + repr(self._async).removeprefix("AsyncClient")

    @property
    def async_client(self) -> AsyncClient:
        """The asynchronous client this one drives."""
        return self._async

    @property
    def registry(self) -> Registry:
        """The plugins, as the asynchronous client's :attr:`~AsyncClient.registry`."""
        return self._async.registry

    # -- running calls on the loop -----------------------------------------------------------------------
    def _submit(self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any],
                stream: SyncChatStream | None = None) -> tuple[_LoopThread, concurrent.futures.Future[T]]:
        # Under the lock, so that close() sees every call and stream submitted before it and none after.
        with self._lock:
            if self._closed:
                raise closed_error()
            if self._loop is None:
                self._loop = _LoopThread()
                _RUNNING.add(self)
                if not _EXIT_HOOK:
                    import atexit

                    atexit.register(_close_forgotten)
                    _EXIT_HOOK.append(True)
            if stream is not None:
                self._streams.add(stream)
            return self._loop, self._loop.submit(self._guarded(fn, args, kwargs))

    def _run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        _, future = self._submit(fn, args, kwargs)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise closed_error() from None
        except BaseException:
            future.cancel()  # a KeyboardInterrupt in the waiting thread: the call is not wanted
            raise

    async def _guarded(self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> T:
        import anyio

        if self._closing:
            raise closed_error()
        scope = anyio.CancelScope()
        self._scopes.add(scope)
        try:
            with scope:
                return await fn(*args, **kwargs)
        finally:
            self._scopes.discard(scope)
            if self._idle is not None and not self._scopes:
                self._idle.set()
        raise closed_error()  # only close() cancels the scope

    def _start_stream(self, stream: SyncChatStream) -> tuple[asyncio.AbstractEventLoop,
                                                             concurrent.futures.Future[None]]:
        loop, task = self._submit(stream._produce, (), {}, stream)
        return loop.loop, task

    def _stream_ended(self, stream: SyncChatStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    # -- the API -----------------------------------------------------------------------------------------
    def chat(self, model: str | None = None, messages: str | Message | Sequence[Message] | None = None, *,
             system: str | None = None, options: ChatOptions | None = None,
             tags: Mapping[str, str] | None = None, caller: str | None = None, agent: str | None = None,
             task: str | None = None, **kwargs: Any) -> ChatResponse:
        """See :meth:`AsyncClient.chat`."""
        return self._run(self._async.chat, model, messages, system=system, options=options, tags=tags,
                         caller=caller, agent=agent, task=task, **kwargs)

    def stream(self, model: str | None = None, messages: str | Message | Sequence[Message] | None = None, *,
               system: str | None = None, options: ChatOptions | None = None,
               tags: Mapping[str, str] | None = None, caller: str | None = None, agent: str | None = None,
               task: str | None = None, **kwargs: Any) -> SyncChatStream:
        """``with client.stream("provider/model", "...") as s: for event in s: ...``; see
        :meth:`AsyncClient.stream` and :class:`SyncChatStream`."""
        if self._closed:
            raise closed_error()
        return SyncChatStream(self, self._async.stream(model, messages, system=system, options=options,
                                                       tags=tags, caller=caller, agent=agent, task=task,
                                                       **kwargs))

    def estimate(self, model: str, messages: str | Message | Sequence[Message], *,
                 system: str | None = None, options: ChatOptions | None = None,
                 **kwargs: Any) -> Estimate:
        """See :meth:`AsyncClient.estimate` (nothing is sent, so no event loop is needed)."""
        from modelplex._catalog.estimate import estimate_call

        return estimate_call(self._async, model, messages, system, options, kwargs)

    def embed(self, model: str, inputs: str | Sequence[str], *, dimensions: int | None = None,
              task_type: str | None = None, tags: Mapping[str, str] | None = None,
              caller: str | None = None, **extra: Any) -> EmbedResponse:
        """See :meth:`AsyncClient.embed`."""
        return self._run(self._async.embed, model, inputs, dimensions=dimensions, task_type=task_type,
                         tags=tags, caller=caller, **extra)

    def rerank(self, model: str, query: str, documents: str | Sequence[str], *,
               top_n: int | None = None, tags: Mapping[str, str] | None = None,
               caller: str | None = None, **extra: Any) -> RerankResponse:
        """See :meth:`AsyncClient.rerank`."""
        return self._run(self._async.rerank, model, query, documents, top_n=top_n, tags=tags, caller=caller,
                         **extra)

    def health(self, probe: bool = False) -> list[HealthStatus]:
        """See :meth:`AsyncClient.health`."""
        return self._run(self._async.health, probe)

    def chains(self) -> dict[str, Chain]:
        """See :meth:`AsyncClient.chains`."""
        return self._async.chains()

    def list_models(self, provider: str | None = None) -> list[ModelInfo]:
        """See :meth:`AsyncClient.list_models`."""
        return self._run(self._async.list_models, provider)

    def tool_codec(self, provider: str) -> ToolCodec:
        """See :meth:`AsyncClient.tool_codec`."""
        return self._async.tool_codec(provider)

    # -- closing -----------------------------------------------------------------------------------------
    def conversation(self, id: str | None = None, **fields: Any) -> Conversation:
        """A new conversation (``model``, ``system``, ``title``, ``options``) or the stored one ``id``: see
        :mod:`modelplex._conversation`. Without ``modelplex-store`` a new one lives in memory only."""
        from modelplex._conversation import Conversation, open_conversation

        return Conversation(self, *open_conversation(self._async, id, **fields))

    def close(self) -> None:
        """End what is in flight, close every connection and stop the client's thread (see the class)."""
        with self._lock:
            first, self._closed = not self._closed, True
            loop, streams = self._loop, list(self._streams)
        _RUNNING.discard(self)
        if loop is None:
            return
        if first:
            self._stopping = loop.submit(self._shutdown(streams, loop))
        if not loop.here():
            loop.thread.join()

    async def _shutdown(self, streams: list[SyncChatStream], loop: _LoopThread) -> None:
        import anyio

        try:
            self._closing = True
            for stream in streams:
                stream._cut()
            if self._scopes:
                self._idle = asyncio.Event()
                for scope in list(self._scopes):
                    scope.cancel()
                with anyio.move_on_after(CLOSE_GRACE):
                    await self._idle.wait()
            with anyio.move_on_after(CLOSE_GRACE):
                await self._async.aclose()
        finally:
            loop.loop.stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten client must not keep its thread alive past the process's wish to exit. At
        # interpreter exit the loop's thread may already be frozen: waiting for it would never return.
        if getattr(self, "_loop", None) is not None and not sys.is_finalizing():
            with contextlib.suppress(Exception):  # nothing sensible to do in a finaliser
                self.close()
