"""Tool arguments that are JSON but not an object (issue 12, "Nothing misparsed in silence"): every
plugin keeps the provider's text verbatim in ``raw_arguments`` (``arguments`` stays ``{}``) and says
so with a ``tool-arguments-not-object`` warning, whole and streamed. Anthropic's streamed ``[null]``
stays the wire text ``"[null]"``, not Python's ``"[None]"``.

Each case is a real recorded exchange from the plugin's own ``tests/fixtures`` (sources and licences
in each README) with only the arguments replaced, served on the loopback wire.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import Event, sse_events, sse_reply

ROOT = Path(__file__).resolve().parent.parent / "plugins"
OPENAI = ROOT / "openai" / "tests" / "fixtures"
ANTHROPIC = ROOT / "anthropic" / "tests" / "fixtures"
OLLAMA = ROOT / "ollama" / "tests" / "fixtures" / "ollama"
WARNING = "tool-arguments-not-object"


def _response(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["response"]
    return data


def _pieces(events: list[Event], where: Callable[[Any], dict[str, Any] | None], key: str,
            text: str) -> list[Event]:
    """``events`` with the argument fragments (``where(data)[key]``, non-empty ones) replaced by
    ``text`` cut in two: the first fragment gets the first half, the next the rest, others none."""
    out = copy.deepcopy(events)
    holders = [h for _, data in out if (h := where(data)) is not None and h.get(key)]
    assert len(holders) >= 2
    half = len(text) // 2
    for i, holder in enumerate(holders):
        holder[key] = text[:half] if i == 0 else (text[half:] if i == 1 else "")
    return out


def _chat_delta(data: Any) -> dict[str, Any] | None:
    try:
        fn: dict[str, Any] = data["choices"][0]["delta"]["tool_calls"][0]["function"]
    except (KeyError, IndexError, TypeError):
        return None
    return fn


def _responses_delta(data: Any) -> dict[str, Any] | None:
    ok = isinstance(data, dict) and data.get("type") == "response.function_call_arguments.delta"
    return data if ok else None


def _anthropic_delta(data: Any) -> dict[str, Any] | None:
    delta = data.get("delta") if isinstance(data, dict) else None
    ok = isinstance(delta, dict) and delta.get("type") == "input_json_delta"
    return delta if ok else None


def chat_whole(text: str) -> tuple[str, dict[str, Any], Reply]:
    body = _response(OPENAI / "openai" / "02_chat_tool_call.json")["body"]
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = text
    return "openai/gpt-4o", {"api": "chat_completions"}, Reply.json(body)


def chat_stream(text: str) -> tuple[str, dict[str, Any], Reply]:
    events = sse_events(_response(OPENAI / "openai" / "05_chat_stream_tool_call_with_usage.json")
                        ["body_text"])
    return ("openai/gpt-4o-mini", {"api": "chat_completions"},
            sse_reply(_pieces(events, _chat_delta, "arguments", text)))


def responses_whole(text: str) -> tuple[str, dict[str, Any], Reply]:
    body = _response(OPENAI / "openai_responses" / "02_parallel_function_calls.json")["body"]
    body["output"] = body["output"][:1]
    body["output"][0]["arguments"] = text
    return "openai/gpt-4o", {"api": "responses"}, Reply.json(body)


def responses_stream(text: str) -> tuple[str, dict[str, Any], Reply]:
    events = sse_events(_response(OPENAI / "openai_responses" / "05_stream_function_call.json")
                        ["body_text"])
    events = _pieces(events, _responses_delta, "delta", text)
    for _, data in events:
        if data.get("type") == "response.function_call_arguments.done":
            data["arguments"] = text
        elif data.get("type") == "response.output_item.done":
            data["item"]["arguments"] = text
    return "openai/gpt-4o", {"api": "responses"}, sse_reply(events)


def anthropic_whole(text: str) -> tuple[str, dict[str, Any], Reply]:
    body = _response(ANTHROPIC / "02_parallel_tool_use.json")["body"]
    body["content"] = [b for b in body["content"] if b["type"] == "tool_use"][:1]
    body["content"][0]["input"] = json.loads(text)
    return "anthropic/claude-sonnet-4-5", {}, Reply.json(body)


def anthropic_stream(text: str) -> tuple[str, dict[str, Any], Reply]:
    events = sse_events(_response(ANTHROPIC / "05_stream_tool_use_input_json_delta.json")["body_text"])
    return ("anthropic/claude-haiku-4-5", {},
            sse_reply(_pieces(events, _anthropic_delta, "partial_json", text)))


def anthropic_stream_given(text: str) -> tuple[str, dict[str, Any], Reply]:
    """The input given whole in ``content_block_start``, with no ``input_json_delta`` after it."""
    events = [(kind, data) for kind, data in sse_events(
        _response(ANTHROPIC / "05_stream_tool_use_input_json_delta.json")["body_text"])
        if _anthropic_delta(data) is None]
    for kind, data in events:
        if kind == "content_block_start":
            data["content_block"]["input"] = json.loads(text)
    return "anthropic/claude-haiku-4-5", {}, sse_reply(events)


def ollama_whole(text: str) -> tuple[str, dict[str, Any], Reply]:
    body = _response(OLLAMA / "04_api_chat_nonstream_tools_docs.json")["body"]
    body["message"]["tool_calls"] = body["message"]["tool_calls"][:1]
    body["message"]["tool_calls"][0]["function"]["arguments"] = json.loads(text)
    return "ollama/llama3.2", {}, Reply.json(body)


def ollama_stream(text: str) -> tuple[str, dict[str, Any], Reply]:
    lines = [json.loads(line) for line in _response(OLLAMA / "03_api_chat_stream_tools_docs.json")
             ["body_text"].splitlines() if line.strip()]
    for line in lines:
        for call in line.get("message", {}).get("tool_calls") or ():
            call["function"]["arguments"] = json.loads(text)
    return ("ollama/llama3.2", {}, Reply(headers={"content-type": "application/x-ndjson"},
                                         events=[json.dumps(x).encode() + b"\n" for x in lines]))


CASES = [chat_whole, chat_stream, responses_whole, responses_stream, anthropic_whole,
         anthropic_stream, anthropic_stream_given, ollama_whole, ollama_stream]


def _run(case: Callable[[str], tuple[str, dict[str, Any], Reply]], text: str) -> modelplex.ChatResponse:
    model, settings, reply = case(text)
    provider = model.split("/", 1)[0]
    streamed = "_stream" in case.__name__
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={provider: {"api_key": "sk-test-0123456789", **settings,
                                  "base_url": f"http://127.0.0.1:{server.port}"
                                              + ("/v1" if provider == "openai" else "")}},
            config_file=False, env={}) as client:
        if not streamed:
            return client.chat(model, "hi")
        with client.stream(model, "hi") as events:
            for _ in events:
                pass
            return events.response


@pytest.mark.parametrize("text", ["7", "[1, 2]", "[null]"])
@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_arguments_not_an_object_are_kept_verbatim_with_a_warning(
        case: Callable[[str], tuple[str, dict[str, Any], Reply]], text: str) -> None:
    response = _run(case, text)
    calls = response.tool_calls
    assert len(calls) >= 1
    for call in calls:
        assert dict(call.arguments) == {}
        # A whole reply's parsed value comes back as its JSON text; a stream's text is as sent.
        assert call.raw_arguments is not None and json.loads(call.raw_arguments) == json.loads(text)
        if case.__name__.endswith("_stream") and not case.__name__.startswith("ollama"):
            assert call.raw_arguments == text
    assert WARNING in [w.code for w in response.warnings]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_an_object_gives_no_warning(case: Callable[[str], tuple[str, dict[str, Any], Reply]]) -> None:
    response = _run(case, '{"city": "Paris"}')
    assert all(dict(c.arguments) == {"city": "Paris"} and c.raw_arguments is None
               for c in response.tool_calls)
    assert WARNING not in [w.code for w in response.warnings]
