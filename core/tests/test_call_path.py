"""The one call path (issue 11, item 1): the direct branch and the general (routed) path give the same
results for every scripted provider behaviour; the core's modules import each other without a cycle
and each reads in one sitting.
"""

from __future__ import annotations

import ast
import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import modelplex
from modelplex import (
    AsyncClient,
    CallInfo,
    CallOutcome,
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    ProviderContext,
    ProviderInfo,
    RoutingTrace,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from modelplex.errors import (
    AuthenticationError,
    BadRequestError,
    InvalidRequestError,
    ModelplexError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnknownModelError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl

SRC = Path(modelplex.__file__).parent
USAGE = Usage(input=3, output=2)
CALL = ToolCallPart(id="call_1", name="lookup", arguments={"q": "x"})


def failure(kind: str) -> BaseException:
    """What a plugin raises for each failing behaviour (typed, or foreign for the core to translate)."""
    return {
        "auth": AuthenticationError("bad key", provider="p", model="m", status_code=401),
        "rate": RateLimitError("slow down", provider="p", model="m"),
        "server": ServerError("boom", provider="p", model="m", status_code=500),
        "bad-request": BadRequestError("no such option", provider="p", model="m", status_code=400),
        "transport": TransportError("connection reset", provider="p", model="m"),
        "foreign-build": KeyError("choices"),  # raised before anything was sent
        "foreign-connect": httpx.ConnectError("refused"),
    }[kind]


BEHAVIOURS = ["text", "tool", "auth", "rate", "server", "bad-request", "transport", "foreign-build",
              "foreign-connect", "timeout", "cut"]


class Scripted:
    """A provider that does what ``behaviour`` says, for chat and stream alike."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def answer() -> ChatResponse:
            b = self.behaviour
            if b == "timeout":
                await anyio.sleep(5)
            if b in ("text", "cut"):
                return ChatResponse(provider="p", model="m", parts=(TextPart(text="hello"),), usage=USAGE)
            if b == "tool":
                return ChatResponse(provider="p", model="m", parts=(CALL,), usage=USAGE,
                                    finish_reason=FinishReason.TOOL_CALLS)
            raise failure(b)
        return answer()

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        @asynccontextmanager
        async def opened() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            b = self.behaviour
            if b == "timeout":
                await anyio.sleep(5)
            if b not in ("text", "tool", "cut"):
                raise failure(b)

            async def events() -> AsyncIterator[modelplex.StreamEvent]:
                if b == "tool":
                    yield ToolCallStarted(index=0, id="call_1", name="lookup")
                    yield ToolCallDelta(index=0, arguments='{"q": "x"}')
                    yield ToolCallEnded(index=0, call=CALL)
                    yield UsageReported(usage=USAGE)
                    yield Finished(reason=FinishReason.TOOL_CALLS)
                    return
                yield TextDelta(text="hel")
                yield TextDelta(text="lo")
                if b == "cut":
                    return  # no Finished: the stream was cut
                yield UsageReported(usage=USAGE)
                yield Finished(reason=FinishReason.STOP)
            yield events()
        return opened()


class Recorder:
    """A plugin of the call lifecycle alone: records what it is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def modelplex_before_call(self, call: CallInfo) -> None:
        self.seen.append(("before", call))

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.seen.append(("after", outcome))


def shape(trace: RoutingTrace | None) -> Any:
    if trace is None:
        return None
    return (trace.address, trace.candidates, trace.answered_by, [s.model for s in trace.skipped],
            [(a.model, a.error, a.error_type, a.status_code) for a in trace.attempts])


def summary(result: Any) -> Any:
    """What must be equal between the two paths (times left out)."""
    if isinstance(result, BaseException):
        return ("error", type(result).__name__, str(result), shape(getattr(result, "trace", None)))
    return ("ok", result.parts, result.usage, result.finish_reason, result.warnings, shape(result.trace))


def lifecycle(seen: list[tuple[str, Any]]) -> Any:
    out: list[Any] = []
    for when, item in seen:
        if when == "before":
            out.append((when, item.kind, item.address, item.provider, item.model, item.request,
                        item.estimated_tokens, dict(item.tags), item.caller))
        else:
            out.append((when, item.status, type(item.error).__name__, item.provider, item.model, item.usage,
                        item.partial, shape(item.trace), summary(item.response) if item.response else None))
    return out


async def run(behaviour: str, kind: str, general: bool) -> tuple[Any, Any]:
    recorder = Recorder()
    # Limits for the provider take its calls through the general path (candidates, attempt loop).
    limits = {"p": {"rpm": 10**6}} if general else None
    async with AsyncClient(plugins={"p": Scripted(behaviour), "rec": recorder}, autoload=False,
                           config_file=False, env={}, providers={"p": {"call_timeout": 0.2}},
                           limits=limits) as client:
        assert (client.router.route("p/m") is not None) is general
        result: Any
        try:
            if kind == "chat":
                result = await client.chat("p/m", "hi", tags={"team": "a"}, caller="svc")
            else:
                async with client.stream("p/m", "hi", tags={"team": "a"}, caller="svc") as stream:
                    result = await stream.get_response()
        except ModelplexError as exc:
            result = exc
    return summary(result), lifecycle(recorder.seen)


@pytest.mark.parametrize("kind", ["chat", "stream"])
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_the_direct_branch_and_the_general_path_give_the_same_results(behaviour: str, kind: str) -> None:
    direct = asyncio.run(run(behaviour, kind, general=False))
    general = asyncio.run(run(behaviour, kind, general=True))
    assert direct == general
    result, events = direct
    assert [e[0] for e in events] == ["before", "after"]  # the lifecycle heard the call once
    if behaviour in ("text", "tool") or (behaviour == "cut" and kind == "chat"):
        assert result[0] == "ok" and events[1][1] == "ok"
    else:
        expected = {"foreign-build": "RequestBuildError", "foreign-connect": "TransportError",
                    "timeout": "RequestTimeoutError", "cut": "StreamInterruptedError",
                    "auth": "AuthenticationError", "rate": "RateLimitError", "server": "ServerError",
                    "bad-request": "BadRequestError", "transport": "TransportError"}[behaviour]
        assert result[:2] == ("error", expected) and events[1][1:3] == ("error", expected)


# -- the deadline, one mechanism on every event loop ---------------------------------------------------------
class Forever(Scripted):
    """Streams text without end (a text event every few milliseconds); a chat that never answers."""

    def __init__(self) -> None:
        super().__init__("timeout")

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        @asynccontextmanager
        async def opened() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async def events() -> AsyncIterator[modelplex.StreamEvent]:
                while True:
                    yield TextDelta(text="x")
                    await anyio.sleep(0.01)
            yield events()
        return opened()


async def forever(address: str, seen: list[str]) -> None:
    routing = {"deadline": 0.3, "retries": 0}
    async with AsyncClient(plugins={"p": Forever()}, autoload=False, config_file=False, env={},
                           chains={"x": {"models": ["p/m"], "retries": 0}},
                           providers={"p": {"call_timeout": 5}}, routing=routing) as c:
        if address == "chat":
            await c.chat("p/m", "hi")
            return
        async with c.stream(address, "hi") as stream:
            async for text in stream.text_stream():
                seen.append(text)


def forever_sync(address: str, seen: list[str]) -> None:
    """As :func:`forever`, through the synchronous client (which reads each event in a task of its own)."""
    with modelplex.Client(plugins={"p": Forever()}, autoload=False, config_file=False, env={},
                          chains={"x": {"models": ["p/m"], "retries": 0}},
                          providers={"p": {"call_timeout": 5}}, routing={"deadline": 0.3, "retries": 0}) as c:
        if address == "chat":
            c.chat("p/m", "hi")
            return
        with c.stream(address, "hi") as stream:
            seen.extend(stream.text_stream())


@pytest.mark.parametrize("address", ["p/m", "chain/x", "chat"])
@pytest.mark.parametrize("loop", ["asyncio", "trio", "sync"])
def test_the_deadline_bounds_the_whole_call_on_either_event_loop(loop: str, address: str) -> None:
    """A direct chat's one attempt, and a stream's reading, direct or chained, end at ``deadline``."""
    seen: list[str] = []
    run = {"trio": lambda f, *a: pytest.importorskip("trio").run(f, *a),
           "asyncio": lambda f, *a: asyncio.run(f(*a)),
           "sync": lambda f, *a: forever_sync(*a)}[loop]
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"deadline \(0\.3s\)"):
        run(forever, address, seen)
    assert 0.25 < time.monotonic() - started < 2.0
    assert (address == "chat") == (seen == [])


# -- the modules themselves -----------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_imports(tree: ast.Module, name: str, package: bool, known: set[str],
                    everywhere: bool = False) -> set[str]:
    """The modelplex modules ``name`` imports when it is imported: its top-level statements only
    (function bodies run later; ``if TYPE_CHECKING:`` blocks never run). With ``everywhere``, the
    imports inside functions too."""
    out: set[str] = set()
    base = name if package else name.rpartition(".")[0]
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if everywhere and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                                     | ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            pending += node.body + getattr(node, "orelse", [])
        elif isinstance(node, ast.If):
            if not _is_type_checking(node):
                pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
                module = f"{parent}.{node.module}" if node.module else parent
            else:
                module = node.module or ""
            for alias in node.names:  # ``from modelplex import hookspecs`` imports a module
                if f"{module}.{alias.name}" in known:
                    out.add(f"{module}.{alias.name}")
                elif module in known:
                    out.add(module)
    out.discard(name)
    return out


def import_graph(everywhere: bool = False) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    known = set(files)
    return {name: _module_imports(ast.parse(path.read_text()), name, path.name == "__init__.py", known,
                                  everywhere) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_no_import_cycle_between_the_cores_modules() -> None:
    graph = import_graph()
    assert graph["modelplex._routing.router"] >= {"modelplex._call.direct", "modelplex._routing.attempts"}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def back_to(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    seen: set[str] = set()
    pending = [(nxt, [start, nxt]) for nxt in sorted(graph.get(start, ()))]
    while pending:
        node, path = pending.pop()
        if node == start:
            return path
        if node not in seen:
            seen.add(node)
            pending += [(nxt, [*path, nxt]) for nxt in sorted(graph.get(node, ()))]
    return None


CALL_PATH = ("modelplex._client", "modelplex._stream", "modelplex._health", "modelplex._plugins",
             "modelplex._call.", "modelplex._routing.")


def test_the_call_path_imports_nothing_that_imports_it_back_even_inside_functions() -> None:
    """``_client``, ``_router`` and ``_direct`` imported each other (inside functions) before the split."""
    graph = import_graph(everywhere=True)
    mine = [m for m in graph if m.startswith(CALL_PATH)]
    assert len(mine) > 10
    loops = {m: loop for m in mine if (loop := back_to(graph, m))}
    assert loops == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert back_to({"a": {"b"}, "b": {"c", "a"}, "c": set()}, "a") == ["a", "b", "a"]
    assert back_to({"a": {"b"}, "b": {"c"}, "c": set()}, "a") is None


def test_each_module_of_the_call_path_reads_in_one_sitting() -> None:
    """``_router.py`` did eight jobs in 722 lines."""
    modules = [*SRC.glob("_call/*.py"), *SRC.glob("_routing/*.py"),
               *(SRC / name for name in ("_client.py", "_stream.py", "_health.py"))]
    assert len(modules) > 15
    long = {p.name: n for p in modules if (n := len(p.read_text().splitlines())) > 250}
    assert long == {}


# -- the validate step ------------------------------------------------------------------------------------
class Ranged(Scripted):
    """Takes temperatures 0 to 1 and knows of no model giving more than 100 tokens; counts its calls."""

    def __init__(self) -> None:
        super().__init__("text")
        self.calls = 0

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False,
                            option_ranges={"temperature": (0, 1)}, option_limits={"max_tokens": 100})

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        self.calls += 1
        return super().modelplex_chat(ctx, request)

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        self.calls += 1
        return super().modelplex_chat_stream(ctx, request)


def ranged_client(ranged: Ranged, general: bool) -> AsyncClient:
    return AsyncClient(plugins={"p": ranged, "q": Scripted("text")}, autoload=False, config_file=False,
                       env={}, limits={"p": {"rpm": 10**6}} if general else None,
                       chains={"pq": {"models": ["p/m", "q/m"], "retries": 0}})


@pytest.mark.parametrize("general", [False, True])
def test_the_providers_own_checks_warn_on_the_response_and_at_the_start_of_a_stream(general: bool) -> None:
    async def main() -> tuple[ChatResponse, list[modelplex.StreamEvent], ChatResponse | None]:
        async with ranged_client(Ranged(), general) as c:
            response = await c.chat("p/m", "hi", max_tokens=500)
            async with c.stream("p/m", "hi", max_tokens=500) as stream:
                events = [event async for event in stream]
            return response, events, stream.response

    response, events, streamed = asyncio.run(main())
    assert [w.code for w in response.warnings] == ["above-known-limit"]
    assert isinstance(events[0], modelplex.WarningRaised) and events[0].warning == response.warnings[0]
    assert streamed is not None and streamed.warnings == response.warnings


def test_an_option_out_of_a_providers_range_is_refused_before_sending_and_a_chain_moves_on() -> None:
    ranged = Ranged()

    async def main() -> ChatResponse:
        async with ranged_client(ranged, False) as c:
            with pytest.raises(InvalidRequestError, match=r"p takes 0 to 1, got 1\.5"):
                await c.chat("p/m", "hi", temperature=1.5)
            return await c.chat("chain/pq", "hi", temperature=1.5)

    response = asyncio.run(main())
    assert ranged.calls == 0  # nothing was sent to the provider whose range it is
    assert response.trace is not None and response.trace.answered_by == "q/m"
    assert [a.error_type for a in response.trace.attempts] == ["InvalidRequestError", None]


@pytest.mark.parametrize("kind", ["chat", "stream", "embed"])
@pytest.mark.parametrize("address", [None, 123, "no-slash"])
def test_the_address_is_checked_first_on_every_kind_of_call(kind: str, address: Any) -> None:
    async def main() -> None:
        async with AsyncClient(plugins={"p": Scripted("text")}, autoload=False, config_file=False,
                               env={}) as c:
            if kind == "chat":
                await c.chat(address, "hi")
            elif kind == "embed":
                await c.embed(address, "hi")
            else:
                async with c.stream(address, "hi"):
                    pass

    with pytest.raises(ModelplexError, match="provider/model") as info:
        asyncio.run(main())
    assert isinstance(info.value, InvalidRequestError | UnknownModelError)
