"""``client.estimate`` against the recorded traffic of every provider plugin: the pre-call worst case is
never below what the call used and cost.

Each recorded request is read back as canonical messages and options
(:mod:`modelplex_testing.wire_messages`), estimated, then sent through the plugin to the recorded
response (a replay), whose usage the plugin parses as in any call. With the request's ``max_tokens``
(or, when it set none, the output the provider reported, a bound the provider kept), the estimate's
input is at least the reported input, and its cost at least the cost the client gave the response
(and that usage at the requested model's prices, should the response name a snapshot priced apart).
Left out: exchanges whose input the request does not show (server-side tools such as web search and
code execution, Gemini's cached content, uploaded files, redacted prompts).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from modelplex import ChatResponse, Client
from modelplex._catalog.merge import model_info
from modelplex._catalog.pricing import price, version_of
from modelplex_testing.replay import Recording, Replayer
from modelplex_testing.wire_messages import read_request

ROOT = Path(__file__).resolve().parents[1] / "plugins"
# (fixture directory, provider, provider settings beyond a key)
SOURCES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("anthropic/tests/fixtures", "anthropic", {}),
    ("gemini/tests/fixtures", "gemini", {}),
    ("openai/tests/fixtures/openai", "openai", {"api": "chat_completions"}),
    ("openai/tests/fixtures/openai_responses", "openai", {"api": "responses"}),
    ("deepseek/tests/fixtures/deepseek", "deepseek", {}),
    ("groq/tests/fixtures/groq", "groq", {}),
    ("mistral/tests/fixtures/mistral", "mistral", {}),
    ("ollama/tests/fixtures/ollama", "ollama", {}),
)
_UNSEEN_INPUT = ("container_upload", "cachedContent", "<MASSIVE_TEXT>", "googleSearch", "codeExecution",
                 "web_search", "code_execution", "file_id")


def _eligible(recording: Recording) -> bool:
    body = recording.request_body
    if recording.status != 200 or not isinstance(body, dict) or not (
            "messages" in body or "contents" in body or "input" in body) or "embed" in recording.request_path:
        return False
    if "api.openai.com" not in recording.request["url"] and "/responses" in recording.request_path:
        return False  # OpenRouter's and xAI's Responses servers: not the openai plugin's models
    text = json.dumps(body)
    if any(marker in text for marker in _UNSEEN_INPUT):
        return False
    if recording.is_stream and '"error"' in str(recording.response.get("body_text")):
        return False  # a stream that ended in an error: no usage to compare
    tools = body.get("tools") or []
    return all(t.get("type", "function") in ("function", "custom") or "input_schema" in t
               or "functionDeclarations" in t for t in tools)


def _cases() -> list[tuple[Recording, str, dict[str, Any]]]:
    out = []
    for directory, provider, settings in SOURCES:
        for path in sorted((ROOT / directory).glob("*.json")):
            recording = Recording.load(path)
            if _eligible(recording):
                out.append((recording, provider, settings))
    return out


CASES = _cases()


def _model(recording: Recording) -> str:
    body = recording.request_body
    if "model" in body:
        return str(body["model"])
    path = recording.request_path  # Gemini: /v1beta/models/<model>:generateContent
    return path.rsplit("/models/", 1)[1].split(":", 1)[0]


def _replayed(recording: Recording, provider: str, settings: dict[str, Any], messages: Any,
              options: dict[str, Any]) -> ChatResponse:
    replayer = Replayer(recording)
    config = {provider: {"api_key": "k-test", **settings}}
    with Client(config_file=False, env={}, providers=config, transport=replayer.transport) as client:
        address = f"{provider}/{_model(recording)}"
        if recording.is_stream:
            with client.stream(address, messages, **options) as stream:
                for _ in stream:
                    pass
                return stream.get_response()
        return client.chat(address, messages, **options)


def _priced(recording: Recording, provider: str) -> bool:
    with Client(config_file=False, env={}) as client:
        info = model_info(client, provider, _model(recording))
    return info is not None and info.prices.known


def test_the_recordings_cover_every_provider_and_most_are_priced() -> None:
    assert {provider for _, provider, _ in CASES} == {s[1] for s in SOURCES}
    assert len(CASES) >= 40
    priced = {provider for recording, provider, _ in CASES if _priced(recording, provider)}
    assert priced >= {"anthropic", "gemini", "openai", "deepseek", "groq", "ollama"}
    assert sum(_priced(recording, provider) for recording, provider, _ in CASES) >= 30


@pytest.mark.parametrize(("recording", "provider", "settings"), CASES,
                         ids=[f"{c[1]}/{c[0].path.stem}" for c in CASES])
def test_the_estimate_is_never_below_the_recorded_call(recording: Recording, provider: str,
                                                       settings: dict[str, Any]) -> None:
    request = read_request(recording.request["url"], recording.request_body)
    options = request.options()
    response = _replayed(recording, provider, settings, list(request.messages),
                         {k: v for k, v in options.items() if k != "max_tokens"})
    usage = response.usage
    options.setdefault("max_tokens", max(usage.total_output, 1))
    address = f"{provider}/{_model(recording)}"
    with Client(config_file=False, env={}, providers={provider: {"api_key": "k-test", **settings}}) as client:
        estimate = client.estimate(address, list(request.messages), **options)
        info = model_info(client, provider, _model(recording))
    assert estimate.input_tokens >= usage.total_input, (estimate.input_tokens, usage)
    assert estimate.output_tokens is not None and estimate.output_tokens >= usage.total_output
    if info is None or not info.prices.known:
        assert estimate.cost.total is None  # unknown, never a guess
        return
    # what the call cost as the client priced it, and the same usage at the requested model's prices
    # (the response may name a dated snapshot priced apart, or one the catalog does not know)
    worst = estimate.cost.total
    assert worst is not None and (worst > Decimal(0) or info.local)
    for actual in (response.cost, price(usage, info.prices, price_version=version_of(info))):
        if actual is not None and actual.total is not None:
            assert worst >= actual.total, (estimate.cost, actual)
