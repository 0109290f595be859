"""Routing: chains and their skips, retries and back-off, deadlines, streams, limits, cool-downs, traces.

Every provider here is the scripted ``fake`` (under several names) or a small plugin defined below, so
the behaviour under test is the core's alone. The fault server and real HTTP plugins are exercised in
the workspace's ./tests.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

import modelplex
from modelplex import (
    AsyncClient,
    Chain,
    ChainEntry,
    ChatResponse,
    Client,
    ProviderInfo,
    RateLimits,
    RoutingPolicy,
    RoutingTrace,
    TextDelta,
    TextPart,
    structure,
    unstructure,
)
from modelplex.errors import (
    AuthenticationError,
    ConfigurationError,
    LocalRateLimitError,
    RateLimitError,
    RequestTimeoutError,
    RoutingError,
    ServerError,
    StreamInterruptedError,
    UnknownModelError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import fake

SECRET = "sk-routing-test-SECRET-0123456789"


def turns(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return list(items)


def client(providers: dict[str, Any], **kwargs: Any) -> Client:
    """A client of fake providers (each name's settings a fake script or options), no config file."""
    settings = {name: {"plugin": "fake", **(v if isinstance(v, dict) else {"script": v})}
                for name, v in providers.items()}
    plugins = {"fake": fake, **kwargs.pop("plugins", {})}
    return Client(plugins=plugins, autoload=False, config_file=kwargs.pop("config_file", False),
                  env=kwargs.pop("env", {}), providers=settings, **kwargs)


def used(c: Client, provider: str) -> int:
    """How many turns of ``provider``'s script were consumed (how many calls reached it)."""
    return int(c.async_client.context(provider).state.get("turn", 0))


OK = {"text": "fine"}
E500 = {"error": {"status": 500, "message": "boom"}}
FAST = {"retries": 0, "backoff": 0.0}


class KeyPlugin:
    """A provider that needs a key and records the options of each request it answers."""

    def __init__(self) -> None:
        self.options: list[modelplex.ChatOptions] = []

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("KEYP_API_KEY",))

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            ctx.api_key()
            self.options.append(request.options)
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text="keyed")])
        return run()


class Counting:
    """A provider that counts the calls in flight at once and answers after ``delay`` seconds."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.now = 0
        self.most = 0
        self.started: list[float] = []

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            self.now += 1
            self.most = max(self.most, self.now)
            self.started.append(time.monotonic())
            try:
                await anyio.sleep(self.delay)
            finally:
                self.now -= 1
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text="counted")],
                                usage=modelplex.Usage(input=10, output=10))
        return run()


# -- chains: order, fallback and the trace --------------------------------------------------------------
def test_a_chain_falls_back_and_its_trace_names_each_failure() -> None:
    with client({"a": [E500], "b": [{"error": {"status": 401, "message": "bad key"}}], "c": [OK]},
                chains={"mine": ["a/echo", "b/echo", "c/echo"]}, routing=FAST) as c:
        response = c.chat("chain/mine", "hi")
    assert (response.provider, response.text) == ("c", "fine")
    trace = response.trace
    assert trace is not None
    assert trace.address == "chain/mine"
    assert trace.candidates == ("a/echo", "b/echo", "c/echo")
    assert [(a.model, a.error_type, a.status_code) for a in trace.attempts] == [
        ("a/echo", "ServerError", 500), ("b/echo", "AuthenticationError", 401), ("c/echo", None, None)]
    assert "boom" in (trace.attempts[0].error or "") and "bad key" in (trace.attempts[1].error or "")
    assert trace.answered_by == "c/echo"


def test_every_response_carries_a_trace_even_without_routing() -> None:
    with client({"fake": []}) as c:
        response = c.chat("fake/echo", "hi")
        with c.stream("fake/echo", "hi") as s:
            s.get_response()
        embedded = c.embed("fake/embedder", "x")
    for trace in (response.trace, s.trace, s.response.trace if s.response else None, embedded.trace):
        assert trace is not None
        assert trace.candidates == (trace.address,) and trace.answered_by == trace.address
        assert len(trace.attempts) == 1 and trace.attempts[0].error is None


def test_entries_that_cannot_serve_are_skipped_with_a_reason_before_any_call() -> None:
    weather = modelplex.Tool(name="weather", description="d", parameters={"type": "object"})
    models = {"models": [{"id": "tiny", "context_window": 50,
                          "capabilities": {"tools": False, "json_schema": False}},
                         {"id": "unknown"}]}
    key = KeyPlugin()
    with client({"small": {**models, "script": [E500]}, "open": {**models, "script": [OK]}},
                plugins={"keyp": key}, routing=FAST,
                chains={"c": ["nowhere/m", "keyp/m", "small/tiny", "open/unknown"]}) as c:
        c.list_models("small")  # what the provider says of its models
        c.list_models("open")
        response = c.chat("chain/c", "x" * 400, tools=[weather],
                          response_format=modelplex.ResponseFormat(type="json_schema",
                                                                   schema={"type": "object"}))
        assert used(c, "small") == 0, "a skipped model is never called"
    assert response.provider == "open"  # capabilities unknown: not a reason to skip
    reasons = {s.model: s.reason for s in response.trace.skipped}  # type: ignore[union-attr]
    assert set(reasons) == {"nowhere/m", "keyp/m", "small/tiny"}
    assert "unknown provider 'nowhere'" in reasons["nowhere/m"]
    assert reasons["keyp/m"] == "provider not configured: no API key (set KEYP_API_KEY)"
    assert "tools were requested" in reasons["small/tiny"]
    assert response.trace.attempts[0].model == "open/unknown"  # type: ignore[union-attr]


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"response_format": modelplex.ResponseFormat(type="json_schema", schema={"type": "object"})},
     "JSON Schema reply was requested"),
    ({}, "more than the model's context window of 50"),
])
def test_each_skip_reason_on_its_own(kwargs: dict[str, Any], reason: str) -> None:
    models = {"models": [{"id": "tiny", "context_window": 50, "capabilities": {"json_schema": False}}]}
    with client({"small": {**models, "script": [E500]}, "b": [OK]}, routing=FAST,
                chains={"c": ["small/tiny", "b/echo"]}) as c:
        c.list_models("small")
        prompt = "x" * 400 if not kwargs else "short"
        response = c.chat("chain/c", prompt, **kwargs)
    assert response.provider == "b"
    skipped = response.trace.skipped  # type: ignore[union-attr]
    assert len(skipped) == 1 and skipped[0].model == "small/tiny" and reason in skipped[0].reason


def test_when_nothing_can_answer_the_error_lists_every_reason() -> None:
    with client({"a": [E500], "b": [E500]}, plugins={"keyp": KeyPlugin()}, routing=FAST,
                chains={"c": ["keyp/m", "a/echo", "b/echo"]}) as c, \
            pytest.raises(RoutingError) as info:
        c.chat("chain/c", "hi")
    err = info.value
    assert (err.provider, err.model) == ("chain", "c")
    assert "keyp/m skipped: provider not configured" in err.message
    assert "a/echo failed: a/echo: boom (HTTP 500)" in err.message and "b/echo failed" in err.message
    assert err.is_retryable  # server errors: a later try may work
    assert isinstance(err.__cause__, ServerError)
    assert err.trace is not None and err.trace.answered_by is None
    assert [a.model for a in err.trace.attempts] == ["a/echo", "b/echo"]


def test_embeddings_go_through_a_chain_too() -> None:
    with client({"b": []}, plugins={"keyp": KeyPlugin()}, env={"KEYP_API_KEY": SECRET},
                chains={"c": ["keyp/m", "b/embedder"]}) as c:
        response = c.embed("chain/c", ["one", "two"], dimensions=4)
    assert (response.provider, response.model, len(response.vectors)) == ("b", "embedder", 2)
    assert response.trace is not None and response.trace.answered_by == "b/embedder"
    assert [(s.model, s.reason) for s in response.trace.skipped] == [
        ("keyp/m", "the provider does not support embeddings")]


def test_chain_entry_options_override_the_call_options() -> None:
    key = KeyPlugin()
    with client({}, plugins={"keyp": key}, env={"KEYP_API_KEY": SECRET},
                chains={"c": [{"model": "keyp/m", "temperature": 0.2, "max_tokens": 7,
                               "extra": {"top_k": 3}}]}) as c:
        c.chat("chain/c", "hi", temperature=0.9, seed=5)
    options = key.options[0]
    assert (options.temperature, options.max_tokens, options.seed, dict(options.extra)) == (0.2, 7, 5,
                                                                                             {"top_k": 3})


def test_chains_come_from_the_config_file_and_code(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[providers.a]\nplugin = "fake"\n[providers.b]\nplugin = "fake"\n'
                      '[chains.filed]\nmodels = ["a/echo", {model = "b/echo", temperature = 0.2}]\n'
                      'retries = 0\n')
    with Client(plugins={"fake": fake}, autoload=False, env={}, config_file=config,
                chains={"coded": Chain.of("coded", ["b/echo"])}) as c:
        assert c.chat("chain/filed", "one").provider == "a"
        assert c.chat("chain/coded", "two").provider == "b"
        known = c.chains()
    assert known["filed"] == Chain(name="filed", retries=0, entries=(
        ChainEntry(model="a/echo"), ChainEntry(model="b/echo", options={"temperature": 0.2})))
    assert {"fast", "flagship", "local", "filed", "coded"} <= set(known)


@pytest.mark.parametrize(("text", "message"), [
    ('[chains.x]\nmodels = "a/echo"\n', "chain 'x': models must be a non-empty list"),
    ('[chains.x]\nmodels = [{model = "a/echo", temprature = 1}]\n', "unknown chat option(s) temprature"),
    ('[chains.x]\nmodels = ["gpt-4o"]\n', "'provider/model'"),
    ('[limits.a]\nrpm = 0\n', "[limits.a]: RateLimits.rpm must be a whole number >= 1"),
    ('[limits.a]\nrpms = 5\n', "[limits.a]: unknown key(s) rpms"),
    ('[routing]\nretries = "two"\n', "[routing]: 'retries' must be a whole number"),
    ('[routing]\non_limit = "shrug"\n', "on_limit must be 'wait' or 'fail'"),
    ('[routing]\non_cooldown = "retry"\n', "on_cooldown must be 'fail' or 'wait'"),
    ('redis = 5\n', "'redis' must be a URL"),
])
def test_bad_routing_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    with Client(plugins={"fake": fake}, autoload=False, env={}, config_file=config) as c, \
            pytest.raises(ConfigurationError) as info:
        c.chat("chain/x", "hi")
    assert message in str(info.value)


def test_an_unknown_chain_names_the_known_ones() -> None:
    with client({}) as c, pytest.raises(UnknownModelError, match=r"unknown chain 'nope' \(known: economy, "
                                                        r"fast, flagship, local, premium, standard\)"):
        c.chat("chain/nope", "hi")


# The built-in chains come from the catalog's tiers: core/tests/models/test_models_chains.py.


def test_the_local_chain_lists_the_models_of_local_servers() -> None:
    with Client(plugins={"fake": fake}, autoload=False, config_file=False, env={},
                providers={"lo": {"plugin": "fake", "base_url": "http://127.0.0.1:9/v1"},
                           "far": {"plugin": "fake", "base_url": "https://far.example/v1"}}) as c:
        response = c.chat("chain/local", "hi")
    assert response.trace is not None
    # the fake's embedder does not chat; "far" is not on this machine; "fake" has no server at all
    assert response.trace.candidates == ("lo/echo", "lo/thinker")
    assert response.provider == "lo"


# -- retries, back-off, deadlines ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_back_off_is_full_jitter_bounded_and_honours_retry_after(seed: int) -> None:
    policy = RoutingPolicy(retries=5, backoff=0.5, max_backoff=3.0, max_retry_after=10.0)
    rng = random.Random(seed)
    server = ServerError("x", provider="p", status_code=500)
    for retry in range(5):
        delay = policy.retry_delay(server, retry, rng)
        assert delay is not None and 0.0 <= delay <= min(3.0, 0.5 * 2 ** retry)
    assert policy.retry_delay(server, 5, rng) is None  # attempts are bounded
    limited = RateLimitError("slow", provider="p", retry_after=4.0)
    delay = policy.retry_delay(limited, 0, rng)
    assert delay is not None and delay >= 4.0
    assert policy.retry_delay(RateLimitError("x", provider="p", retry_after=11.0), 0, rng) is None
    assert policy.retry_delay(AuthenticationError("no", provider="p", status_code=401), 0, rng) is None
    assert policy.retry_delay(modelplex.errors.BadRequestError("no", provider="p", status_code=400), 0,
                              rng) is None


def test_full_jitter_spreads_the_waits() -> None:
    policy = RoutingPolicy(retries=3, backoff=1.0, max_backoff=8.0)
    rng = random.Random(1)
    server = ServerError("x", provider="p", status_code=500)
    delays = [policy.retry_delay(server, 2, rng) for _ in range(200)]
    assert min(d for d in delays if d is not None) < 0.5 and max(d for d in delays if d is not None) > 3.5


def test_only_retryable_errors_are_retried() -> None:
    script = [E500, E500, OK]
    with client({"a": script}, routing={"retries": 2, "backoff": 0.01}) as c:
        response = c.chat("a/echo", "hi")
        assert used(c, "a") == 3
    assert [a.error_type for a in response.trace.attempts] == ["ServerError", "ServerError", None]  # type: ignore[union-attr]
    for status, kind in ((401, AuthenticationError), (400, modelplex.errors.BadRequestError)):
        with client({"a": [{"error": {"status": status, "message": "no"}}, OK]},
                    routing={"retries": 3, "backoff": 0.0}) as c:
            with pytest.raises(kind) as info:
                c.chat("a/echo", "hi")
            assert used(c, "a") == 1, f"{status} must not be retried"
            assert info.value.trace is not None and len(info.value.trace.attempts) == 1


def test_limits_alone_do_not_make_plain_calls_retry() -> None:
    with client({"a": [E500, OK]}, limits={"a": {"rpm": 100}}) as c:
        with pytest.raises(ServerError):
            c.chat("a/echo", "hi")
        assert used(c, "a") == 1


def test_a_routed_call_to_an_unknown_provider_says_so() -> None:
    with client({}, routing={"retries": 2}) as c, \
            pytest.raises(modelplex.errors.UnknownProviderError, match="unknown provider 'nowhere'"):
        c.chat("nowhere/m", "hi")


def test_retry_after_is_honoured() -> None:
    with client({"a": [{"error": {"status": 429, "message": "slow", "retry_after": 0.3}}, OK]},
                routing={"retries": 1, "backoff": 0.0}) as c:
        started = time.monotonic()
        response = c.chat("a/echo", "hi")
        elapsed = time.monotonic() - started
    assert elapsed >= 0.3
    assert response.trace is not None and response.trace.attempts[1].waited >= 0.3


def test_a_rate_limited_model_in_a_chain_hands_over_at_once() -> None:
    with client({"a": [{"error": {"status": 429, "message": "slow", "retry_after": 5}}], "b": [OK]},
                chains={"c": ["a/echo", "b/echo"]}, routing={"retries": 3}) as c:
        started = time.monotonic()
        response = c.chat("chain/c", "hi")
        assert time.monotonic() - started < 1.0
        assert response.provider == "b" and used(c, "a") == 1


def test_the_deadline_bounds_the_whole_call() -> None:
    with client({"a": [{"delay": 5, "text": "late"}]}, routing={"deadline": 0.3, "retries": 3}) as c:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError,
                           match=r"a/echo: no answer within the routing deadline \(0\.3s\)"):
            c.chat("a/echo", "hi")
    assert time.monotonic() - started < 1.5


def test_the_call_timeout_applies_without_any_routing() -> None:
    with client({"a": {"script": [{"delay": 5, "text": "late"}], "call_timeout": 0.2}}) as c:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            c.chat("a/echo", "hi")
    assert time.monotonic() - started < 1.5
    assert info.value.trace is not None and info.value.trace.attempts[0].error_type == "RequestTimeoutError"


# -- streams --------------------------------------------------------------------------------------------
def test_a_stream_that_fails_before_its_first_content_falls_back() -> None:
    with client({"a": [{"text": "never seen", "cut_after": 1}], "b": [{"text": "from b"}]},
                chains={"c": ["a/echo", "b/echo"]}, routing=FAST) as c, c.stream("chain/c", "hi") as s:
        events = list(s)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "from b"
    assert [e.model for e in events if isinstance(e, modelplex.ResponseStarted)] == ["echo"]
    assert s.response is not None and s.response.provider == "b" and s.response.trace == s.trace
    assert s.trace is not None
    assert [(a.model, a.error_type) for a in s.trace.attempts] == [("a/echo", "StreamInterruptedError"),
                                                                    ("b/echo", None)]


def test_a_stream_that_fails_after_content_keeps_what_came_and_raises() -> None:
    with client({"a": [{"text": "one two three four", "cut_after": 3}], "b": [OK]},
                chains={"c": ["a/echo", "b/echo"]}, routing=FAST) as c:
        got: list[str] = []
        with pytest.raises(StreamInterruptedError) as info, c.stream("chain/c", "hi") as s:
            got.extend(s.text_stream())
        assert used(c, "b") == 0, "no fallback after the first content event"
    assert got == ["one ", "two "]
    assert info.value.provider == "a"
    assert s.trace is not None and info.value.trace == s.trace
    assert s.trace.answered_by == "a/echo" and s.trace.attempts[-1].error_type == "StreamInterruptedError"


def test_a_stream_error_on_opening_falls_back_too() -> None:
    with client({"a": [{"error": {"status": 503, "message": "down"}}], "b": [{"text": "up"}]},
                chains={"c": ["a/echo", "b/echo"]}, routing=FAST) as c, c.stream("chain/c", "hi") as s:
        assert "".join(s.text_stream()) == "up"


def test_leaving_a_routed_stream_early_is_not_a_failure() -> None:
    with client({"a": [{"text": "a b c d e f"}]}, chains={"c": ["a/echo"]}) as c:
        with c.stream("chain/c", "hi") as s:
            for _ in s.text_stream():
                break
        assert s.trace is not None and s.trace.attempts[-1].error is None
        assert c.health() == [h for h in c.health() if h.state != "failing"]


# -- rate limits ----------------------------------------------------------------------------------------
def test_concurrency_limit_holds_under_many_concurrent_calls() -> None:
    counting = Counting(delay=0.05)

    async def go() -> None:
        async with AsyncClient(plugins={"cnt": counting}, autoload=False, config_file=False, env={},
                               limits={"cnt": {"concurrency": 3}}) as c, anyio.create_task_group() as tg:
            for _ in range(30):
                tg.start_soon(c.chat, "cnt/m", "hi")
    anyio.run(go)
    assert counting.most == 3


def test_requests_per_window_are_spread_over_time() -> None:
    counting = Counting(delay=0.0)

    async def go() -> None:
        async with AsyncClient(plugins={"cnt": counting}, autoload=False, config_file=False, env={},
                               limits={"cnt/m": RateLimits(rpm=5, window=0.4)}) as c, \
                anyio.create_task_group() as tg:
            for _ in range(15):
                tg.start_soon(c.chat, "cnt/m", "hi")
    anyio.run(go)
    starts = sorted(counting.started)
    assert len(starts) == 15
    # any 0.4 s holds at most 5 starts, so 15 take at least two full windows
    assert starts[-1] - starts[0] >= 0.8 - 0.05
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 0.4 - 0.02


def test_tokens_per_window_are_reserved_then_settled_with_the_real_usage() -> None:
    counting = Counting(delay=0.05)  # reports 20 tokens of usage a call

    async def go(calls: int, concurrent: bool) -> list[float]:
        counting.started.clear()
        async with AsyncClient(plugins={"cnt": counting}, autoload=False, config_file=False, env={},
                               limits={"cnt": {"tpm": 1000, "window": 0.5}}) as c, \
                anyio.create_task_group() as tg:
            for _ in range(calls):
                if concurrent:
                    tg.start_soon(lambda: c.chat("cnt/m", "hi", max_tokens=600))
                else:
                    await c.chat("cnt/m", "hi", max_tokens=600)
        return sorted(counting.started)

    # Each call reserves about 600 tokens: two never fit in flight at once, so five queue up...
    starts = anyio.run(go, 5, True)
    assert counting.most == 1 and starts[-1] - starts[0] >= 4 * 0.05 - 0.01
    # ... but each settles at its real 20, so one after the other they all fit in one window.
    counting.delay = 0.0
    starts = anyio.run(go, 10, False)
    assert starts[-1] - starts[0] < 0.45


def test_fail_fast_at_a_limit_sends_nothing() -> None:
    counting = Counting(delay=0.0)
    with Client(plugins={"cnt": counting}, autoload=False, config_file=False, env={},
                limits={"cnt": {"rpm": 2, "window": 30}}, routing={"on_limit": "fail"}) as c:
        c.chat("cnt/m", "one")
        c.chat("cnt/m", "two")
        with pytest.raises(LocalRateLimitError) as info:
            c.chat("cnt/m", "three")
    assert len(counting.started) == 2
    err = info.value
    assert (err.provider, err.model, err.status_code) == ("cnt", "m", 429)
    assert err.retry_after is not None and 25 < err.retry_after <= 30
    assert isinstance(err, RateLimitError) and "no request was sent" in err.message


def test_a_chain_uses_the_next_model_when_the_first_is_at_its_limit() -> None:
    first, second = Counting(delay=0.2), Counting(delay=0.0)

    async def go() -> list[str]:
        results: list[str] = []
        async with AsyncClient(plugins={"one": first, "two": second}, autoload=False, config_file=False,
                               env={}, limits={"one": {"concurrency": 1}},
                               chains={"c": ["one/m", "two/m"]}) as c, anyio.create_task_group() as tg:

            async def call() -> None:
                results.append((await c.chat("chain/c", "hi")).provider)
            for _ in range(4):
                tg.start_soon(call)
        return results
    assert sorted(anyio.run(go)) == ["one", "two", "two", "two"]


def test_a_cancelled_call_gives_its_concurrency_slot_back() -> None:
    counting = Counting(delay=5.0)

    async def go() -> float:
        async with AsyncClient(plugins={"cnt": counting}, autoload=False, config_file=False, env={},
                               limits={"cnt": {"concurrency": 1}}) as c:
            with anyio.move_on_after(0.1):
                await c.chat("cnt/m", "hi")
            counting.delay = 0.0
            started = time.monotonic()
            await c.chat("cnt/m", "again")
            return time.monotonic() - started
    assert anyio.run(go) < 0.5


# -- cool-downs and health ------------------------------------------------------------------------------
def test_a_failing_model_cools_down_and_comes_back() -> None:
    failing = {"error": {"status": 503, "message": f"down (key {SECRET})"}}
    with client({"a": [failing, failing, failing, OK], "b": [OK]}, chains={"c": ["a/echo", "b/echo"]},
                routing={"retries": 0, "cooldown_after": 2, "cooldown": 0.3}) as c:
        c.chat("chain/c", "1")
        c.chat("chain/c", "2")  # the second failure in a row: a/echo cools down
        skipped = c.chat("chain/c", "3")
        assert used(c, "a") == 2
        assert [s.model for s in skipped.trace.skipped] == ["a/echo"]  # type: ignore[union-attr]
        assert "cooling down for" in skipped.trace.skipped[0].reason  # type: ignore[union-attr]
        health = {h.target: h for h in c.health()}
        state = health["a/echo"]
        assert state.state == "cooling_down" and state.consecutive_failures == 2
        assert 0 < state.cooling_down_for <= 0.3
        assert state.last_error is not None and "down" in state.last_error
        assert SECRET not in state.last_error and SECRET not in json.dumps(unstructure(state))
        time.sleep(0.35)
        c.chat("chain/c", "4")  # tried again: fails once more, and cools down again at once
        assert used(c, "a") == 3
        back = c.chat("chain/c", "5")
        assert back.provider == "b"
        time.sleep(0.35)
        assert c.chat("chain/c", "6").provider == "a"
        assert {h.target: h for h in c.health()}["a/echo"].state == "ok"


def test_a_429_with_retry_after_cools_the_model_down_for_that_long() -> None:
    with client({"a": [{"error": {"status": 429, "message": "slow", "retry_after": 40}}], "b": [OK]},
                chains={"c": ["a/echo", "b/echo"]}, routing=FAST) as c:
        c.chat("chain/c", "hi")
        state = {h.target: h for h in c.health()}["a/echo"]
    assert state.state == "cooling_down" and 39 < state.cooling_down_for <= 40
    assert state.consecutive_failures == 1


def test_when_every_model_cools_down_the_error_says_when_to_come_back() -> None:
    with client({"a": [{"error": {"status": 429, "message": "slow", "retry_after": 20}}]},
                chains={"c": ["a/echo"]}, routing=FAST) as c:
        with pytest.raises(RoutingError):
            c.chat("chain/c", "1")
        with pytest.raises(RoutingError) as info:
            c.chat("chain/c", "2")
    assert info.value.is_retryable and info.value.retry_after is not None
    assert 19 < info.value.retry_after <= 20
    assert "a/echo skipped: cooling down" in info.value.message


def test_on_cooldown_wait_waits_for_the_first_model_back_and_tries_it() -> None:
    """Both models cooled down by one failure each: the next call waits the 0.3 s until the first comes
    back and is answered by it, the wait shown on its attempt; the default fails at once."""
    failing = {"error": {"status": 503, "message": "down"}}
    routing = {"retries": 0, "cooldown_after": 1, "cooldown": 0.3, "deadline": 5}
    with client({"a": [failing, OK], "b": [failing, OK]}, chains={"c": ["a/echo", "b/echo"]},
                routing={**routing, "on_cooldown": "wait"}) as c:
        with pytest.raises(RoutingError):
            c.chat("chain/c", "1")  # a then b fail: both cool down
        started = time.monotonic()
        response = c.chat("chain/c", "2")
        took = time.monotonic() - started
    assert response.provider == "a" and 0.2 < took < 2.0
    trace = response.trace
    assert trace is not None and [a.model for a in trace.attempts] == ["a/echo"]
    assert 0.2 < trace.attempts[0].waited <= took
    assert [s.model for s in trace.skipped] == []  # a came back; b was not needed and not listed again

    with client({"a": [failing, OK], "b": [failing, OK]}, chains={"c": ["a/echo", "b/echo"]},
                routing=routing) as c:
        with pytest.raises(RoutingError):
            c.chat("chain/c", "1")
        started = time.monotonic()
        with pytest.raises(RoutingError) as info:
            c.chat("chain/c", "2")
        assert time.monotonic() - started < 0.2 and used(c, "a") == 1  # at once, nothing sent
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 0.3


def test_on_cooldown_wait_does_not_wait_past_the_deadline() -> None:
    failing = {"error": {"status": 503, "message": "down"}}
    with client({"a": [failing, OK]}, chains={"c": ["a/echo"]},
                routing={"retries": 0, "cooldown_after": 1, "cooldown": 30, "deadline": 1,
                         "on_cooldown": "wait"}) as c:
        with pytest.raises(RoutingError):
            c.chat("chain/c", "1")
        started = time.monotonic()
        with pytest.raises(RoutingError) as info:
            c.chat("chain/c", "2")
        assert time.monotonic() - started < 0.5 and used(c, "a") == 1
    assert "cooling down" in info.value.message and info.value.retry_after is not None


def test_health_probes_use_the_model_list_only() -> None:
    class Listing(KeyPlugin):
        @hookimpl
        def modelplex_list_models(self, ctx: modelplex.ProviderContext) -> Any:
            async def run() -> list[modelplex.ModelInfo]:
                raise ServerError(f"listing down {SECRET}", provider=ctx.name, status_code=503)
            return run()

    with Client(plugins={"fake": fake, "down": Listing(), "keyp": KeyPlugin()}, autoload=False,
                config_file=False, env={"KEYP_API_KEY": SECRET},
                providers={"good": {"plugin": "fake", "script": [E500]}}) as c:
        statuses = {h.target: h for h in c.health(probe=True)}
        assert used(c, "good") == 0, "a probe never asks for a completion"
    assert statuses["good"].state == "ok" and statuses["good"].models == 3
    assert statuses["good"].latency is not None
    assert statuses["down"].state == "failing" and statuses["down"].consecutive_failures == 1
    assert "listing down" in (statuses["down"].last_error or "")
    assert SECRET not in (statuses["down"].last_error or "")
    assert statuses["keyp"].state == "unknown"  # configured, but it has no model list to probe


def test_health_says_not_configured_without_a_key() -> None:
    with Client(plugins={"keyp": KeyPlugin()}, autoload=False, config_file=False, env={}) as c:
        assert [(h.target, h.state) for h in c.health(probe=True)] == [("keyp", "not_configured")]


# -- types ----------------------------------------------------------------------------------------------
def test_the_trace_survives_unstructure_and_structure() -> None:
    with client({"a": [E500], "b": [OK]}, chains={"c": ["a/echo", "b/echo"]}, routing=FAST) as c:
        response = c.chat("chain/c", "hi")
    data = json.loads(json.dumps(unstructure(response)))
    back = structure(data, ChatResponse)
    assert back == response and back.trace == response.trace
    assert isinstance(back.trace, RoutingTrace) and back.trace.attempts[0].status_code == 500


def test_a_routing_error_never_holds_a_key() -> None:
    leak = {"error": {"status": 500, "message": f"upstream said Bearer {SECRET}"}}
    with client({"a": [leak]}, chains={"c": ["a/echo"]}, routing=FAST) as c, \
            pytest.raises(RoutingError) as info:
        c.chat("chain/c", "hi")
    err = info.value
    assert SECRET not in str(err) and SECRET not in repr(err)
    assert SECRET not in json.dumps(unstructure(err.trace))


def test_nothing_heavy_is_imported_with_modelplex() -> None:
    import subprocess
    import sys

    code = ("import sys, modelplex; print(sorted(m for m in ('anyio', 'httpx', 'redis', 'cattrs') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=True)
    assert out.stdout.strip() == "[]"

