"""The synchronous client: a thin driver of the asynchronous one, fast and safe under misuse.

Closing it returns promptly whatever is in flight in other threads (calls and open streams end with a
typed error, nothing leaks), a closed client starts nothing, a stream hands its events over in
batches with a bounded buffer, and its API cannot drift from the asynchronous client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from line_server import LineServer, line_client, open_sockets

import modelplex
from modelplex import AsyncClient, Client, ProviderInfo, TextDelta
from modelplex._sync import BUFFERED_EVENTS, SyncChatStream
from modelplex.errors import ConfigurationError, ModelplexError, RateLimitError
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import fake, fake_client

PROMPT = 2.0  # seconds: what "close returns promptly" allows, on a busy shared machine


# -- helpers ---------------------------------------------------------------------------------------------
class Outcome:
    """What a function run in another thread returned or raised."""

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = fn()
        except BaseException as exc:
            outcome.error = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def close_took(client: Client, limit: float = 10.0) -> float | None:
    """Seconds ``client.close()`` took, from another thread; ``None`` if it had not returned by ``limit``."""
    start = time.monotonic()
    thread, outcome = in_thread(client.close)
    thread.join(limit)
    if thread.is_alive():
        return None
    if outcome.error is not None:
        raise outcome.error
    return time.monotonic() - start


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "modelplex-client" and t.is_alive()]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    return condition()


@contextlib.contextmanager
def leak_watch() -> Iterator[list[str]]:
    """What says a resource leaked or an error went unseen, while the block ran and at the garbage
    collection after it: ResourceWarnings, and "Unclosed ..." or "... never retrieved" in any log record
    (asyncio and aiohttp report there)."""
    problems: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if "Unclosed" in message or "never retrieved" in message:
                problems.append(message)

    handler = Catch()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield problems
            gc.collect()
        problems += [f"{w.category.__name__}: {w.message}" for w in caught
                     if issubclass(w.category, ResourceWarning) or "Unclosed" in str(w.message)]
    finally:
        root.removeHandler(handler)


def is_closed_error(error: BaseException | None) -> bool:
    return isinstance(error, ConfigurationError) and "closed" in str(error)


# -- where it runs ------------------------------------------------------------------------------------------
def test_the_sync_client_works_inside_a_running_event_loop() -> None:
    async def notebook_cell() -> str:
        with fake_client() as client:
            return client.chat("fake/echo", "from inside a loop").text
    assert asyncio.run(notebook_cell()) == "echo: from inside a loop"


def test_a_client_nobody_closed_does_not_hang_interpreter_exit() -> None:
    code = "import modelplex; c = modelplex.Client(); print(c.chat('fake/echo', 'bye').text)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         check=True)
    assert out.stdout.strip() == "echo: bye"


# -- close() with a stream open in another thread ----------------------------------------------------------
def test_close_returns_promptly_while_a_stream_waits_on_the_wire() -> None:
    with LineServer(["one", "two"], stall=True) as server:
        client = line_client(server)
        got: list[str] = []

        def read() -> None:
            with client.stream("line/m", "hi") as stream:
                got.extend(stream.text_stream())

        reader, outcome = in_thread(read)
        assert wait_until(lambda: len(got) == 2), got  # now waiting for a line that never comes
        took = close_took(client)
        assert took is not None, "close() blocked while a stream was open"
        assert took < PROMPT
        reader.join(PROMPT)
        assert not reader.is_alive(), "the stream's reader was left waiting"
        assert is_closed_error(outcome.error), repr(outcome.error)
        assert server.wait_closed() == 0, "the stream's HTTP response was left open"
        assert loop_threads() == []


def test_close_ends_a_stream_read_in_another_thread_with_a_typed_error() -> None:
    client = fake_client([{"text": "one two three four five six"}])
    got: list[str] = []
    first, resume = threading.Event(), threading.Event()

    def read() -> None:
        with client.stream("fake/echo", "hi") as stream:
            for text in stream.text_stream():
                got.append(text)
                first.set()
                resume.wait(10)  # the reader is busy with its first piece while the client closes

    reader, outcome = in_thread(read)
    assert first.wait(5)
    took = close_took(client)
    resume.set()
    reader.join(PROMPT)
    assert took is not None and took < PROMPT, took
    assert not reader.is_alive()
    assert got == ["one "]
    assert is_closed_error(outcome.error), repr(outcome.error)
    assert loop_threads() == []


# -- close() with calls in flight in other threads ---------------------------------------------------------
def close_during_16_stalled_calls(server: LineServer) -> None:
    client = line_client(server)
    calls = [in_thread(lambda: client.chat("line/m", "hi")) for _ in range(16)]
    assert server.wait_for(16) == 16
    took = close_took(client)
    assert took is not None, "close() blocked with calls in flight"
    assert took < PROMPT
    for thread, outcome in calls:
        thread.join(PROMPT)
        assert not thread.is_alive()
        assert is_closed_error(outcome.error), repr(outcome.error)


def test_close_while_16_threads_call_chat_ends_every_call_typed_and_leaks_nothing() -> None:
    with LineServer(stall=True) as server, leak_watch() as problems:
        sockets = open_sockets()
        close_during_16_stalled_calls(server)  # returns with the client unreachable, for the leak watch
        assert server.wait_closed() == 0
        assert wait_until(lambda: open_sockets() == sockets), (open_sockets(), sockets)
    assert problems == []
    assert loop_threads() == []


def close_during_calls_that_come_and_go(server: LineServer) -> None:
    client = line_client(server)
    outcomes: list[Outcome] = []
    stop = threading.Event()

    def caller() -> None:
        while not stop.is_set():
            outcome = Outcome()
            outcomes.append(outcome)
            try:
                outcome.value = client.chat("line/m", "hi").text
            except BaseException as exc:
                outcome.error = exc
                return

    threads = [threading.Thread(target=caller, daemon=True) for _ in range(16)]
    for t in threads:
        t.start()
    assert server.wait_for(50) >= 50
    took = close_took(client)
    stop.set()
    for t in threads:
        t.join(PROMPT)
        assert not t.is_alive()
    assert took is not None and took < PROMPT, took
    assert all(o.value == "hi from the wire" or is_closed_error(o.error) for o in outcomes), \
        {repr(o.error) for o in outcomes}


def test_close_racing_calls_that_come_and_go_leaves_each_one_answered_or_typed() -> None:
    with LineServer() as server, leak_watch() as problems:
        sockets = open_sockets()
        close_during_calls_that_come_and_go(server)
        assert server.wait_closed() == 0
        assert wait_until(lambda: open_sockets() == sockets), (open_sockets(), sockets)
    assert problems == []
    assert loop_threads() == []


def test_close_is_idempotent_and_safe_from_many_threads() -> None:
    client = fake_client()
    assert client.chat("fake/echo", "x").text == "echo: x"
    closers = [in_thread(client.close) for _ in range(8)]
    for thread, outcome in closers:
        thread.join(PROMPT)
        assert not thread.is_alive()
        assert outcome.error is None
    client.close()
    assert loop_threads() == []


# -- a closed client starts nothing -----------------------------------------------------------------------
CALLS: dict[str, Callable[[Client], Any]] = {
    "chat": lambda c: c.chat("fake/echo", "x"),
    "stream": lambda c: c.stream("fake/echo", "x").__enter__(),
    "embed": lambda c: c.embed("fake/embedder", "x"),
    "list_models": lambda c: c.list_models("fake"),
    "health": lambda c: c.health(),
}


@pytest.mark.parametrize("used", [True, False], ids=["used", "never-used"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_closed_client_raises_without_starting_anything(call: str, used: bool) -> None:
    client = fake_client()
    if used:
        client.chat("fake/echo", "warm up")
    client.close()
    before = set(threading.enumerate())
    with pytest.raises(ConfigurationError, match="closed"):
        CALLS[call](client)
    assert set(threading.enumerate()) == before
    assert loop_threads() == []


# -- streams ------------------------------------------------------------------------------------------------
def test_leaving_a_stream_early_closes_its_response_promptly() -> None:
    with LineServer(["one", "two"], stall=True) as server, line_client(server) as client:
        start = time.monotonic()
        with client.stream("line/m", "hi") as stream:
            for _ in stream:
                break
        assert time.monotonic() - start < PROMPT
        assert server.wait_closed(PROMPT) == 0, "the HTTP response outlived the with block"
        assert stream.trace is not None


def test_a_sync_stream_yields_the_async_streams_events_in_order() -> None:
    words = " ".join(f"w{i}" for i in range(3 * BUFFERED_EVENTS + 7))  # more than a buffer's worth
    script = [{"text": words, "reasoning": "think", "usage": {"input": 3, "output": 2}}]
    with fake_client(script) as client:
        with client.stream("fake/thinker", "q") as stream:
            sync_events = list(stream)
        sync_response = stream.response

    async def collect() -> tuple[list[modelplex.StreamEvent], Any]:
        async with AsyncClient(plugins={"fake": fake}, autoload=False, env={},
                               config_file=False, providers={"fake": {"script": script}}) as c, \
                c.stream("fake/thinker", "q") as s:
            return [e async for e in s], s.response

    import anyio
    async_events, async_response = anyio.run(collect)
    assert sync_events == async_events
    assert sync_response == async_response


def test_an_error_opening_a_stream_comes_from_the_with_statement() -> None:
    script = [{"error": {"status": 429, "message": "slow down"}}]
    with fake_client(script) as client, pytest.raises(RateLimitError, match="slow down"):
        client.stream("fake/echo", "x").__enter__()


class CountingPlugin:
    """A provider whose stream yields ``total`` text events, counting how many it has handed out."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.handed_out = 0

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat_stream(self, ctx: modelplex.ProviderContext, request: Any) -> Any:
        @asynccontextmanager
        async def open_stream() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async def events() -> AsyncIterator[modelplex.StreamEvent]:
                for i in range(self.total):
                    self.handed_out += 1
                    yield TextDelta(text=f"{i} ")
                yield modelplex.Finished(reason=modelplex.FinishReason.STOP)
            yield events()
        return open_stream()


def test_a_slow_reader_holds_the_provider_back() -> None:
    plugin = CountingPlugin(total=20 * BUFFERED_EVENTS)
    with Client(plugins={"count": plugin}, autoload=False, env={}, config_file=False) as client, \
            client.stream("count/m", "x") as stream:
        events = iter(stream)
        next(events)
        time.sleep(0.3)  # the reader dawdles: the stream must not be read ahead without bound
        assert plugin.handed_out <= 2 * BUFFERED_EVENTS + 2, plugin.handed_out
        rest = sum(1 for e in events if isinstance(e, TextDelta))
    assert rest == plugin.total - 1
    assert stream.response is not None and stream.response.text.startswith("0 1 2 ")


def test_a_sync_stream_hands_events_over_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # The reader waits for the loop once per batch of what has arrived, not once per event: that is
    # what brought a sync stream from ~70 µs to within 1.5x of the async one per chunk (bench/run.py).
    waits = 0
    wait = SyncChatStream._wait

    def counted(stream: SyncChatStream) -> None:
        nonlocal waits
        waits += 1
        wait(stream)

    monkeypatch.setattr(SyncChatStream, "_wait", counted)
    plugin = CountingPlugin(total=10 * BUFFERED_EVENTS)
    with Client(plugins={"count": plugin}, autoload=False, env={}, config_file=False) as client, \
            client.stream("count/m", "x") as stream:
        assert sum(1 for _ in stream) == plugin.total + 1
    assert waits <= plugin.total // 16, waits


def test_a_stream_used_outside_its_with_block_says_so() -> None:
    with fake_client() as client, pytest.raises(RuntimeError, match=r"with client\.stream"):
        list(client.stream("fake/echo", "x"))


# -- the two clients cannot drift apart ------------------------------------------------------------------
# Methods only the asynchronous client has, and why.
ASYNC_ONLY = {
    "aclose": "the synchronous client's is close()",
    "context": "a provider's context lives on the event loop: client.async_client.context(name)",
}
# A synchronous method returns what its asynchronous twin returns, or the synchronous wrapper of it.
SYNC_OF = {"ChatStream": "SyncChatStream", "AsyncConversation": "Conversation"}


def public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    return {name: fn for name, fn in vars(cls).items()
            if inspect.isfunction(fn) and (not name.startswith("_") or name == "__init__")}


def test_the_sync_and_async_clients_offer_the_same_methods() -> None:
    sync, async_ = public_methods(Client), public_methods(AsyncClient)
    assert set(async_) - set(ASYNC_ONLY) == set(sync) - {"close"}


@pytest.mark.parametrize("name", sorted(set(public_methods(AsyncClient)) - set(ASYNC_ONLY)))
def test_a_sync_method_has_its_async_twins_signature(name: str) -> None:
    async_fn, sync_fn = getattr(AsyncClient, name), getattr(Client, name)
    a, s = inspect.signature(async_fn), inspect.signature(sync_fn)
    shape = [(p.name, p.kind, p.default, p.annotation) for p in a.parameters.values()]
    assert [(p.name, p.kind, p.default, p.annotation) for p in s.parameters.values()] == shape
    assert s.return_annotation == SYNC_OF.get(a.return_annotation, a.return_annotation)
    assert not inspect.iscoroutinefunction(sync_fn)
    assert name == "__init__" or sync_fn.__doc__, f"Client.{name} has no docstring"


def test_the_sync_client_is_a_driver_of_the_async_one() -> None:
    with fake_client() as client:
        assert isinstance(client.async_client, AsyncClient)
        assert client.registry is client.async_client.registry


def test_a_call_error_keeps_its_type_through_the_sync_client() -> None:
    script = [{"error": {"status": 429, "message": "slow down"}}]
    with fake_client(script) as client, pytest.raises(RateLimitError) as info:
        client.chat("fake/echo", "x")
    assert isinstance(info.value, ModelplexError)
