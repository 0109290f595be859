"""The Anthropic-compatible API: ``POST /v1/messages`` (whole and streamed) and
``POST /v1/messages/count_tokens``, for every provider behind the gateway.

Every call goes through the client library (``client.chat``/``client.stream`` with the key's ``caller``
and ``tags``), so routing, chains, retries, limits, cost, budgets, policies and the usage log apply. The
headers Claude clients send are accepted: ``anthropic-version`` and ``anthropic-beta`` (read, not
required), and the gateway key as ``x-api-key`` or ``Authorization: Bearer`` (the authenticator's
business). Errors are Anthropic's shape (``{"type": "error", "error": {"type", "message"}}``) with its
status codes, from :mod:`modelplex_gateway.errors`.

A stream is opened, and its first content awaited, before the response begins: a failure up to there
(a budget, a policy, an upstream's 4xx, a chain with no model left) is an HTTP error with its status; a
failure later is an ``error`` event. ``message_start`` carries the input usage the upstream reported
before its first content where it did (Anthropic does, in its own ``message_start``: passed on as it
came, ``x-modelplex-input-estimated: false``). The other families (OpenAI's formats, Gemini, Ollama...)
count only at their end: their ``message_start`` holds the request's input tokens by ``client.estimate``
for the model that answers (exact where the model's tokenizer applies, upper-leaning otherwise), said so
by ``x-modelplex-input-estimated: true``, rather than a zero, which clients that read the start's count
alone (LiteLLM's failure with Claude Code) take for an empty context. ``message_delta`` then carries the
upstream's real totals, input and cache counts included, which the Anthropic SDK's accumulated message
takes over the start's. When nothing comes from the upstream for :data:`PING_SECONDS`, a ``ping`` keeps
the connection alive (and the response begins, with the estimate).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from modelplex_gateway.anthropic_messages import MessagesCall, message_body, message_id, read_request
from modelplex_gateway.anthropic_stream import PING, MessageStream
from modelplex_gateway.auth import authenticate, require_scope
from modelplex_gateway.calls import call_arguments
from modelplex_gateway.errors import GatewayError, from_exception, invalid
from modelplex_gateway.timing import Timer, timer_of

if TYPE_CHECKING:
    import modelplex
    from modelplex import ChatStream, Origin, Usage

#: Seconds without an event from the upstream before a ``ping`` is sent.
PING_SECONDS = 10.0
_CONTENT = frozenset({"text_delta", "reasoning_delta", "tool_call_started", "tool_call_delta",
                      "tool_call_ended"})
_END = object()


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid("the request body is not JSON", "body") from None


def _headers(call: MessagesCall) -> dict[str, str]:
    headers = {"request-id": f"req_{uuid.uuid4().hex}"}
    if call.warnings:
        headers["x-modelplex-warnings"] = "; ".join(call.warnings)
    return headers


async def _prepare(request: Request, count_only: bool = False) -> tuple[MessagesCall, dict[str, Any]]:
    """The request's call and the keyword arguments for the client (``model`` among them), once its
    caller may make it."""
    principal = await authenticate(request)
    call = read_request(await _body(request), count_only=count_only)
    kwargs: dict[str, Any] = {"system": call.system, **call.options}
    if count_only:
        require_scope(principal, call.asked)
        kwargs["model"] = call.model
    else:
        kwargs.update(call_arguments(principal, call.asked, call.tags))
    return call, kwargs


async def messages(request: Request) -> Response:
    """``POST /v1/messages``: one reply, whole or as Anthropic's event stream."""
    call, kwargs = await _prepare(request)
    client: modelplex.AsyncClient = request.app.state.client
    timer = timer_of(request.scope)
    model = kwargs.pop("model")
    if not call.stream:
        response = await timer.wait(client.chat(model, list(call.messages), **kwargs))
        return JSONResponse(message_body(response, call.asked), headers=_headers(call))
    stream = client.stream(model, list(call.messages), **kwargs)
    await timer.wait(stream.__aenter__())
    opened = _Opened(request, call, stream, timer)
    try:
        await opened.preface()
    except BaseException as exc:
        with anyio.CancelScope(shield=True):  # the call is reported even when the request is cancelled
            await opened.close(exc)
        raise
    return _EventStream(opened, _headers(call))


async def count_tokens(request: Request) -> Response:
    """``POST /v1/messages/count_tokens``: ``{"input_tokens": N}`` by ``client.estimate``, which sends
    nothing to any provider: exact for a text-only request to a model whose tokenizer is installed
    (OpenAI's, with ``modelplex[tokenizers]``), else upper-leaning (every Claude and Gemini model: their
    providers publish no offline tokenizer). ``x-modelplex-input-estimated`` says which, and
    ``x-modelplex-tokenizer`` names the tokenizer when one counted."""
    call, kwargs = await _prepare(request, count_only=True)
    if call.model is None:
        raise invalid("count_tokens counts for a model or chain address, not an agent", "model")
    client: modelplex.AsyncClient = request.app.state.client
    estimate = await client.estimate(kwargs.pop("model"), list(call.messages), **kwargs)
    headers = _headers(call)
    headers["x-modelplex-input-estimated"] = "true" if estimate.estimated else "false"
    if estimate.tokenizer:
        headers["x-modelplex-tokenizer"] = estimate.tokenizer
    return JSONResponse({"input_tokens": estimate.input_tokens}, headers=headers)


class _Opened:
    """A stream opened for a request. Up to its first content its events are pulled in a task each, so
    that a long wait can be cut short (the response then begins, with a ``ping``) without cancelling the
    upstream's iterator mid-step; after that they are read in the request's own task (:meth:`next`): a
    task per event would cost some 10 us of CPU an event, and pings come from a timer instead."""

    def __init__(self, request: Request, call: MessagesCall, stream: ChatStream, timer: Timer) -> None:
        self.request, self.call, self.stream, self.timer = request, call, stream, timer
        self.events = stream.__aiter__()
        self.pending: asyncio.Task[Any] | None = None
        self.held: list[Any] = []  # what came before the first content (events, then _END)
        self.early: Usage | None = None
        events = getattr(stream, "_events", None)  # the model that answers (a chain's choice)
        self.provider: str = getattr(events, "provider", "") or ""
        self.model: str = getattr(events, "model", "") or ""
        self.answered = self.model  # the snapshot that answers, once the upstream names it

    async def _step(self) -> Any:
        try:
            return await anext(self.events)
        except StopAsyncIteration:
            return _END

    async def pull(self) -> Any:
        """The next event, ``_END``, or ``None`` when :data:`PING_SECONDS` passed first; the step in
        flight is kept for :meth:`next`."""
        if self.pending is None:
            self.pending = asyncio.ensure_future(self._step())
        with self.timer.waiting():
            await asyncio.wait((self.pending,), timeout=PING_SECONDS)
        if not self.pending.done():
            return None
        task, self.pending = self.pending, None
        return task.result()

    async def next(self) -> Any:
        """The next event or ``_END``, read in the calling task (a step left in flight by :meth:`pull`
        first)."""
        timer = self.timer
        started = time.perf_counter()
        try:
            if self.pending is not None:
                task, self.pending = self.pending, None
                return await task
            return await anext(self.events)
        except StopAsyncIteration:
            return _END
        finally:
            timer.upstream += time.perf_counter() - started

    async def preface(self) -> None:
        """Pull events up to the first content (or the end, or a ping's wait), holding them: a failure
        here raises, to be answered with its HTTP status."""
        from modelplex import ResponseStarted, UsageReported

        while True:
            event = await self.pull()
            if event is None or event is _END:
                if event is _END:
                    self.held.append(event)
                return
            self.held.append(event)
            if isinstance(event, UsageReported):
                self.early = event.usage
            elif isinstance(event, ResponseStarted) and event.model:
                self.answered = event.model
            if event.type in _CONTENT:
                return

    async def input_tokens(self) -> int:
        """The request's input tokens by the estimate, for the model that answers where known."""
        from modelplex import ModelplexError

        client = self.request.app.state.client
        kwargs = {"system": self.call.system, **self.call.options}
        for address in (f"{self.provider}/{self.model}" if self.provider else None, self.call.model):
            if address is None:
                continue
            try:
                estimate = await client.estimate(address, list(self.call.messages), **kwargs)
            except ModelplexError:
                continue
            return int(estimate.input_tokens)
        # An agent's model is not known here: the core's upper-leaning character rule, as for any model
        # without a tokenizer.
        from modelplex import ChatOptions
        from modelplex._catalog.estimate import UPPER, input_tokens

        counted, _ = input_tokens(self.call.messages, ChatOptions(**self.call.options), UPPER)
        return counted

    async def close(self, exc: BaseException | None) -> None:
        if self.pending is not None:
            self.pending.cancel()
            with contextlib.suppress(BaseException):  # the step was cut short on purpose
                await self.pending
            self.pending = None
        await self.stream.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)


class _EventStream(Response):
    """The server-sent events of one opened stream, written as they come; the upstream is closed (and
    the call reported) when the stream ends, fails, or the client hangs up (a watcher of the connection
    cancels the request's reading, so the upstream stops too)."""

    media_type = "text/event-stream"

    def __init__(self, opened: _Opened, headers: Mapping[str, str]) -> None:
        self.opened = opened
        self.status_code = 200
        self.background = None
        estimated = opened.early is None or opened.early.estimated
        self.init_headers({**headers, "cache-control": "no-cache", "x-accel-buffering": "no",
                           "x-modelplex-input-estimated": "true" if estimated else "false"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opened = self.opened
        error: BaseException | None = None
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_watch, receive, group.cancel_scope)
                try:
                    error = await self._run(send)
                finally:
                    group.cancel_scope.cancel()
        except BaseException as exc:
            error = exc
            raise
        finally:
            if error is None and opened.stream.response is None:  # the client hung up
                error = asyncio.CancelledError("the client hung up")
            with anyio.CancelScope(shield=True):  # the usage row is written even when cancelled
                await opened.close(error)

    async def _run(self, send: Send) -> Exception | None:
        """Write the stream; the failure written as an ``error`` event, if any."""
        opened = self.opened
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        early = opened.early
        writer = MessageStream(message_id=message_id(None), model=_model(opened), origin=_origin(opened))
        tokens = 0 if early is not None else await opened.input_tokens()
        chunks = [writer.start(early, tokens)]
        ended = False
        for event in opened.held:
            if event is _END:
                ended = True
            else:
                chunks.append(writer.event(event))
        pinger = _Pinger(send)
        try:
            await pinger.body(b"".join(chunks))
            while not ended:
                event = await opened.next()
                if event is _END:
                    ended = True
                else:
                    out = writer.event(event)
                    if out:
                        await pinger.body(out)
        except Exception as exc:  # after the first byte, a failure is an error event
            pinger.stop()
            await send({"type": "http.response.body", "body": MessageStream.error(from_exception(exc)),
                        "more_body": False})
            return exc
        finally:
            pinger.stop()
        response = opened.stream.response
        await send({"type": "http.response.body", "more_body": False,
                    "body": writer.finish(response.usage if response is not None else None)})
        return None


class _Pinger:
    """Writes the body, and a ``ping`` whenever nothing was written for :data:`PING_SECONDS`: one timer
    re-armed from the time of the last write, so an event costs only the note of that time."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.loop = asyncio.get_running_loop()
        self.last = self.loop.time()
        self.done = False
        self.tasks: set[asyncio.Task[None]] = set()
        self.handle = self.loop.call_later(PING_SECONDS, self._check)

    async def body(self, chunk: bytes) -> None:
        self.last = self.loop.time()
        await self.send({"type": "http.response.body", "body": chunk, "more_body": True})

    def _check(self) -> None:
        if self.done:
            return
        idle = self.loop.time() - self.last
        if idle >= PING_SECONDS:
            task = asyncio.ensure_future(self._ping())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            idle = 0.0
        self.handle = self.loop.call_later(PING_SECONDS - idle, self._check)

    async def _ping(self) -> None:
        if not self.done:
            await self.body(PING)

    def stop(self) -> None:
        """No ping from now on (the response is about to end)."""
        self.done = True
        self.handle.cancel()


def _origin(opened: _Opened) -> Origin | None:
    from modelplex import Origin

    return Origin(provider=opened.provider, model=opened.model) if opened.provider and opened.model else None


def _model(opened: _Opened) -> str:
    return f"{opened.provider}/{opened.answered}" if opened.provider else opened.call.asked


async def _watch(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return


async def not_served(request: Request) -> Response:
    """Other paths under ``/v1/messages`` (batches): Anthropic's 404."""
    raise GatewayError(404, "not_found_error", f"{request.url.path} is not served by this gateway",
                       code="not_found")


def routes() -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/messages/{rest:path}", not_served, methods=["GET", "POST", "DELETE"]),
    ]

