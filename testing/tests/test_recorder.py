"""The recorder captures real exchanges (whole and streamed, OpenAI and Anthropic) from loopback servers
into files the contract kit replays, and no key reaches a file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, Message
from modelplex_testing import Expect, ProviderContract, Recording, Scenario
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.recording import Recorder, validate
from modelplex_testing.secret_walk import find_secrets

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-recorder-test-SECRET-9f8e7d6c5b4a"


def recorded(plugin: str, name: str) -> Recording:
    """A real recorded exchange of a plugin's fixtures: what the loopback server will answer."""
    return Recording.load(REPO / "plugins" / plugin / "tests" / "fixtures" / f"{name}.json")


def replay_reply(rec: Recording) -> Reply:
    """The recorded answer, served again: an SSE stream one event at a time, else the whole body."""
    if rec.is_stream:
        text = rec.response["body_text"]
        events = [e.encode() + b"\n\n" for e in text.split("\n\n") if e.strip()]
        return Reply(headers={"content-type": rec.content_type}, events=events)
    return Reply.json(rec.response["body"], status=rec.status)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    from modelplex_testing import serving

    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


def record(provider: str, path: Path, scn: Scenario,
           settings: dict[str, Any]) -> Recorder:
    """Make ``scn``'s call once through a recorder, against ``server``."""
    recorder = Recorder(path, description=f"{scn.call} through the recorder test")
    client = modelplex.Client(providers={provider: {"api_key": KEY, **settings}}, config_file=False,
                              env={}, transport=recorder)
    with client:
        address = f"{provider}/{scn.model}"
        if scn.call == "stream":
            with client.stream(address, list(scn.messages), **scn.options) as stream:
                list(stream)
        else:
            client.chat(address, list(scn.messages), **scn.options)
    return recorder


def contract_for(provider: str, directory: Path, scenarios: dict[str, Scenario],
                 settings: dict[str, Any]) -> ProviderContract:
    """The contract kit, pointed at the freshly recorded files."""

    class Contract(ProviderContract):
        supports_streaming = True
        supports_reasoning = True

    Contract.provider = provider
    Contract.fixtures = directory
    Contract.scenarios = scenarios
    Contract.settings = settings
    return Contract()


def assert_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert KEY not in text
    assert find_secrets(json.loads(text), [KEY]) == []


OPENAI = {"api": "chat_completions"}
OPENAI_TEXT = Scenario(recording="01_chat_text", model="gpt-4o",
                       messages=[Message.system("You are a helpful assistant."),
                                 Message.user("What is the capital of France?")],
                       expect=Expect(text="The capital of France is Paris.",
                                     finish_reason=FinishReason.STOP))
OPENAI_STREAM = Scenario(recording="02_stream_text", model="gpt-4o", call="stream",
                         messages=[Message.user("Count to three")],
                         compare=("model", "messages", "stream", "stream_options"),
                         expect=Expect(finish_reason=FinishReason.STOP))
ANTHROPIC_TEXT = Scenario(recording="01_text", model="claude-3-opus-latest",
                          messages=[Message.system("You are a helpful assistant.\n\n"),
                                    Message.user("What is the capital of France?")],
                          options={"max_tokens": 4096},
                          compare=("model", "system", "messages", "max_tokens", "stream"),
                          expect=Expect(text="The capital of France is Paris.",
                                        finish_reason=FinishReason.STOP))
ANTHROPIC_STREAM = Scenario(recording="02_stream_thinking", model="claude-haiku-4-5-20251001",
                            call="stream", messages=[Message.user("Two names for a pet pelican, be brief")],
                            options={"reasoning_budget": 1024, "max_tokens": 8192, "temperature": 1.0},
                            compare=("model", "messages", "thinking", "max_tokens", "stream"),
                            expect=Expect(finish_reason=FinishReason.STOP))


CASES = [
    ("openai", "01_chat_text", OPENAI_TEXT, "openai/openai/01_chat_text", OPENAI),
    ("openai", "02_stream_text", OPENAI_STREAM, "openai/openai/06_chat_stream_text_with_usage", OPENAI),
    ("anthropic", "01_text", ANTHROPIC_TEXT, "anthropic/01_text", {}),
    ("anthropic", "02_stream_thinking", ANTHROPIC_STREAM, "anthropic/08_stream_thinking", {}),
]


@pytest.mark.parametrize(("provider", "name", "scn", "source", "settings"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_recorded_exchange_replays_through_the_contract(
        serve: Any, tmp_path: Path, provider: str, name: str, scn: Scenario, source: str,
        settings: dict[str, Any]) -> None:
    plugin, _, stem = source.partition("/")
    reply = replay_reply(recorded(plugin, stem))
    server = serve(reply)
    # OpenAI's base URL ends in /v1, Anthropic's does not.
    base = server.url if provider == "openai" else server.url.removesuffix("/v1")
    recorder = record(provider, tmp_path / f"{name}.json", scn, {"base_url": base, **settings})

    assert recorder.written == [tmp_path / f"{name}.json"]
    data = validate(recorder.written[0])
    assert_no_secret(recorder.written[0])
    assert data["request"]["body"] == server.requests[0].json  # the request as it travelled
    if reply.events:
        assert data["response"]["body_text"] == b"".join(reply.events).decode()
    else:
        assert data["response"]["body"] == json.loads(reply.body)

    group = {"01_chat_text": "chat_text", "02_stream_text": "stream_text", "01_text": "chat_text",
             "02_stream_thinking": "stream_reasoning"}[name]
    kit = contract_for(provider, tmp_path, {group: scn}, settings)
    getattr(kit, f"test_{group}")()
    if scn.call == "stream":
        kit.test_stream_chunk_boundaries_do_not_matter()
        kit.test_stream_cut_short_raises_after_delivered_events()


def test_a_compressed_answer_is_recorded_decoded(tmp_path: Path) -> None:
    """Transports hand over the bytes as they travelled; the file holds the body, not its gzip."""
    import gzip

    import httpx

    answer = {"choices": [{"message": {"role": "assistant", "content": "Hi"}}]}

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json", "content-encoding": "gzip"},
                              content=gzip.compress(json.dumps(answer).encode()))

    recorder = Recorder(tmp_path / "x.json", description="gzip", transport=httpx.MockTransport(server))
    with httpx.Client(transport=recorder) as client:
        assert client.post("https://api.acme.test/v1/chat/completions", json={"model": "m"}).json() == answer
    assert validate(recorder.written[0])["response"] == {
        "status": 200, "headers": {"content-type": "application/json"}, "body": answer}
