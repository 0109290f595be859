"""Resilience over real HTTP: the ``openai-like`` plugin, configured as three providers, against a
fault-injecting server on 127.0.0.1. Fallbacks for every kind of fault, streams before and after their
first token, timeouts, cancellation, free health probes, and the ``modelplex`` command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

import modelplex
from modelplex.errors import RequestTimeoutError, StreamInterruptedError
from modelplex_testing.faults import FaultServer
from modelplex_testing.services import RedisServer

NAMES = ("local-a", "local-b", "local-c")
EXE = Path(sys.executable).with_name("modelplex")


def write_config(path: Path, server: FaultServer, *, routing: str = "retries = 0", extra: str = "",
                 call_timeout: float = 2.0) -> Path:
    text = f"{extra}\n[routing]\n{routing}\n"
    for name in NAMES:
        text += (f'[providers.{name}]\nplugin = "openai-like"\nbase_url = "{server.url(name)}"\n'
                 f"call_timeout = {call_timeout}\n")
    text += '[chains.fast]\nmodels = ["local-a/m1", "local-b/m1", "local-c/m1"]\n'
    path.write_text(text)
    return path


def client(config: Path) -> modelplex.Client:
    return modelplex.Client(config_file=config, env={})


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


FAULT_ERRORS = {"429": "RateLimitError", "500": "ServerError", "503": "ServerError",
                "529": "ServerError", "reset": "TransportError", "cut": "TransportError",
                "malformed": "ResponseParseError", "slow": "RequestTimeoutError"}


@pytest.mark.parametrize("fault", sorted(FAULT_ERRORS))
def test_each_fault_falls_back_to_the_next_provider(fault: str, config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": [fault]}, slow=3.0) as server:
        with client(write_config(config, server, call_timeout=0.5)) as c:
            response = c.chat("chain/fast", "hello")
        assert server.wait_idle() == 0
        assert [e.server for e in server.requests()] == ["local-a", "local-b"]
    assert response.provider == "local-b" and response.text == "local-b: word0 word1 word2 word3"
    trace = response.trace
    assert trace is not None and trace.answered_by == "local-b/m1"
    assert [(a.model, a.error_type) for a in trace.attempts] == [("local-a/m1", FAULT_ERRORS[fault]),
                                                                 ("local-b/m1", None)]
    if fault == "slow":
        assert 0.5 <= trace.attempts[0].duration < 1.5


@pytest.mark.parametrize("fault", ["500", "cut", "malformed", "reset"])
def test_a_stream_that_fails_before_its_first_token_falls_back(fault: str, config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": [fault]}, cut_events=(1,)) as server, \
            client(write_config(config, server)) as c, c.stream("chain/fast", "hello") as stream:
        texts = list(stream.text_stream())
    assert "".join(texts) == "local-b: word0 word1 word2 word3"
    assert stream.response is not None and stream.response.provider == "local-b"
    assert stream.trace is not None
    assert [a.model for a in stream.trace.failures] == ["local-a/m1"]


def test_a_stream_that_fails_after_its_first_token_keeps_it_and_raises(config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": ["cut"]}, cut_events=(3,)) as server:
        got: list[str] = []
        with client(write_config(config, server)) as c:
            with pytest.raises(StreamInterruptedError) as info, c.stream("chain/fast", "hello") as stream:
                got.extend(stream.text_stream())
            assert [e.server for e in server.requests()] == ["local-a"], "no fallback after a token"
    assert got == ["local-a:", " word0"]
    assert (info.value.provider, info.value.model) == ("local-a", "m1")
    trace = info.value.trace
    assert trace is not None and trace == stream.trace
    assert trace.answered_by == "local-a/m1" and trace.attempts[-1].error_type == "StreamInterruptedError"


def test_a_fallback_trace_names_each_skipped_and_failed_candidate(config: Path) -> None:
    with FaultServer(NAMES, script={"local-b": ["503"]}) as server:
        write_config(config, server, extra='[providers.remote]\nplugin = "openai"\n')
        text = config.read_text().replace('models = ["local-a/m1"',
                                          'models = ["remote/gpt-4o-mini", "nowhere/m", "local-a/m1"')
        config.write_text(text)
        with client(config) as c:
            c.chat("chain/fast", "first")  # local-a answers...
            c.async_client.learned["local-a/m1"] = modelplex.ModelInfo(id="m1", provider="local-a",
                                                                       context_window=100)
            response = c.chat("chain/fast", "x" * 1000)  # ... but it is too small for this one
    trace = response.trace
    assert trace is not None
    skipped = {s.model: s.reason for s in trace.skipped}
    assert skipped["remote/gpt-4o-mini"].startswith("provider not configured: no API key (set OPENAI_API_KEY")
    assert "unknown provider 'nowhere'" in skipped["nowhere/m"]
    assert "more than the model's context window of 100" in skipped["local-a/m1"]
    assert [(a.model, a.error_type, a.status_code) for a in trace.attempts] == [
        ("local-b/m1", "ServerError", 503), ("local-c/m1", None, None)]
    assert trace.answered_by == "local-c/m1"


def test_retry_after_on_the_wire_is_honoured(config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": ["429"]}, retry_after=0.4) as server:
        with client(write_config(config, server, routing="retries = 1\nbackoff = 0")) as c:
            response = c.chat("local-a/m1", "hello")
        arrivals = [e.time for e in server.requests("local-a")]
    assert response.text.startswith("local-a:")
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 0.4


def test_a_slow_answer_times_out_and_its_connection_is_released(config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": ["slow"]}, slow=5.0) as server, \
            client(write_config(config, server, call_timeout=0.3)) as c:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match=r"local-a/m1: no answer within the call timeout"):
            c.chat("local-a/m1", "hello")
        assert time.monotonic() - started < 1.5
        # the client is still open: the timed-out request's connection was closed, not kept
        assert server.wait_idle(2.0) == 0
        assert c.chat("local-a/m1", "again").text.startswith("local-a:")


def test_cancelling_a_call_releases_its_connection(config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": ["slow", "slow"]}, slow=5.0) as server:
        write_config(config, server)

        async def go() -> tuple[int, int]:
            async with modelplex.AsyncClient(config_file=config, env={}) as c:
                with anyio.move_on_after(0.3):
                    await c.chat("local-a/m1", "hello")
                with anyio.move_on_after(0.3):
                    async with c.stream("local-a/m1", "hello") as stream:
                        async for _ in stream:
                            pass
                await anyio.lowlevel.checkpoint()
                open_while_client_lives = await anyio.to_thread.run_sync(server.wait_idle, 2.0)
                answer = await c.chat("local-a/m1", "still works")
                return open_while_client_lives, len(answer.text)
        still_open, answered = anyio.run(go)
        assert still_open == 0
        assert answered > 0
        assert server.wait_idle() == 0


def test_health_probes_use_the_model_lists_only(config: Path) -> None:
    with FaultServer(NAMES, models_fault={"local-b": "503", "local-c": "429"}, retry_after=90) as server:
        with client(write_config(config, server)) as c:
            statuses = {h.target: h for h in c.health(probe=True)}
            # what the probes found keeps local-c out of rotation: chains skip it
            response = c.chat("chain/fast", "hello")
        assert {(e.method, e.path) for e in server.log} == {("GET", "/v1/models"),
                                                            ("POST", "/v1/chat/completions")}
        assert [e.path for e in server.log[:3]] == ["/v1/models"] * 3, "probes send no completion"
    assert statuses["local-a"].state == "ok" and statuses["local-a"].models == 1
    assert statuses["local-b"].state == "failing" and "HTTP 503" in (statuses["local-b"].last_error or "")
    assert statuses["local-c"].state == "cooling_down" and 85 < statuses["local-c"].cooling_down_for <= 90
    assert response.provider == "local-a"


def test_a_provider_whose_probe_is_rate_limited_is_left_out_of_chains(config: Path) -> None:
    with FaultServer(NAMES, models_fault={"local-a": "429"}, retry_after=60) as server, \
            client(write_config(config, server)) as c:
        c.health(probe=True)
        response = c.chat("chain/fast", "hello")
    assert response.provider == "local-b"
    assert response.trace is not None
    assert [s.model for s in response.trace.skipped] == ["local-a/m1"]
    assert "its provider 'local-a' is cooling down" in response.trace.skipped[0].reason


# -- the command line -----------------------------------------------------------------------------------
def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_") and "API_KEY" not in k}
    env["MODELPLEX_CONFIG"] = str(config)
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=60, env=env,
                          check=False)


def test_the_command_chats_with_a_chain(config: Path) -> None:
    with FaultServer(NAMES, script={"local-a": ["500"]}) as server:
        write_config(config, server)
        streamed = run(config, "chat", "-m", "chain/fast", "--trace", "Hello")
        whole = run(config, "chat", "-m", "chain/fast", "--no-stream", "--json", "--trace", "Hello again")
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout == "local-b: word0 word1 word2 word3\n"
    assert "local-a/m1: failed: local-a/m1: The server had an error" in streamed.stderr
    assert "local-b/m1: answered" in streamed.stderr
    assert whole.returncode == 0, whole.stderr
    data = json.loads(whole.stdout)
    assert data["provider"] == "local-a" and data["text"].startswith("local-a:")
    assert data["trace"]["address"] == "chain/fast" and data["trace"]["answered_by"] == "local-a/m1"


def test_the_command_says_when_no_model_of_a_chain_answers(config: Path) -> None:
    with FaultServer(NAMES, script={name: ["503"] for name in NAMES}) as server:
        write_config(config, server)
        result = run(config, "chat", "-m", "chain/fast", "Hello")
    assert result.returncode == 1
    assert result.stderr.startswith("error: chain/fast: no model could answer: local-a/m1 failed:")
    assert "Traceback" not in result.stderr


def test_the_health_command_shows_cool_downs(config: Path) -> None:
    with FaultServer(NAMES, models_fault={"local-c": "429"}, retry_after=120) as server:
        write_config(config, server)
        table = run(config, "health")
        listed = run(config, "health", "--json")
        assert {e.path for e in server.log} == {"/v1/models"}
    assert table.returncode == 1  # something is cooling down
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:]}
    assert "cooling down" in rows["local-c"] and "RateLimitError" in rows["local-c"]
    assert rows["local-a"].split()[1] == "ok"
    data = {s["target"]: s for s in json.loads(listed.stdout)}
    assert data["local-c"]["state"] == "cooling_down" and data["local-c"]["cooling_down_for"] > 100
    assert data["local-a"]["state"] == "ok"


@pytest.mark.skipif(not RedisServer.available(),
                    reason="redis-server is not installed (apt-get install redis-server)")
def test_a_cool_down_recorded_by_one_command_shows_in_another(config: Path) -> None:
    with RedisServer() as redis, FaultServer(NAMES, script={"local-a": ["429"]}, retry_after=300) as server:
        write_config(config, server, extra=f'redis = "{redis.url}"')
        chat = run(config, "chat", "-m", "chain/fast", "Hello")
        health = run(config, "health", "--no-probe")
        again = run(config, "chat", "-m", "chain/fast", "--trace", "Hello")
        assert [e.server for e in server.requests()] == ["local-a", "local-b", "local-b"]
    assert chat.returncode == 0 and chat.stdout.startswith("local-b:")
    assert health.returncode == 1
    row = next(line for line in health.stdout.splitlines() if line.startswith("local-a/m1"))
    assert "cooling down" in row and "RateLimitError" in row
    assert "skipped local-a/m1: cooling down" in again.stderr

