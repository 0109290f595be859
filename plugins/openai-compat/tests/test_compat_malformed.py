"""Recorded replies and stream chunks broken one field at a time, replayed through the client: each
is read or refused with a ResponseParseError naming the JSON path, never the bare catch-all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from compat_helpers import BASE, FIXTURES, KEY
from modelplex_openai_compat import CompatConfig, Profile, compat_plugin

import modelplex
from modelplex.errors import ModelplexError, ResponseParseError
from modelplex_testing import Reply
from modelplex_testing.malformed import judge, replay, reply_cases, sse_events, sse_reply, stream_cases

# Where the parser insists on a JSON type (the types it takes there): a value of another type is
# refused naming exactly that path. Elsewhere a wrong type may be ignored, warned about or refused.
REPLY_TYPES = {
    "choices": {"array"},
    "choices[0]": {"object"},
    "choices[0].message": {"object", "null"},
    "choices[0].message.tool_calls": {"array", "null"},
    "choices[0].message.tool_calls[*]": {"object"},
    "choices[0].message.tool_calls[*].id": {"string", "null"},
    "choices[0].message.tool_calls[*].function": {"object"},
    "choices[0].message.tool_calls[*].function.name": {"string"},
    "choices[0].message.tool_calls[*].function.arguments": {"string", "object", "null"},
    "choices[0].message.refusal": {"string", "null"},
    "choices[0].message.reasoning_content": {"string", "null"},
    "choices[0].message.reasoning": {"string", "null"},
    "choices[0].finish_reason": {"string", "null"},
    "model": {"string", "null"},
    "id": {"string", "null"},
}
REPLY_REQUIRED = ("choices", "choices[0].message.tool_calls[*].function",
                  "choices[0].message.tool_calls[*].function.name")
CHUNK_TYPES = {
    "choices": {"array", "null"},
    "choices[*]": {"object"},
    "choices[*].index": {"number", "null"},
    "choices[*].delta": {"object", "null"},
    "choices[*].delta.tool_calls": {"array", "null"},
    "choices[*].delta.tool_calls[*]": {"object"},
    "choices[*].delta.tool_calls[*].index": {"number", "null"},
    "choices[*].delta.tool_calls[*].id": {"string", "null"},
    "choices[*].delta.tool_calls[*].function": {"object", "null"},
    "choices[*].delta.tool_calls[*].function.name": {"string", "null"},
    "choices[*].delta.tool_calls[*].function.arguments": {"string", "object", "null"},
    "choices[*].delta.refusal": {"string", "null"},
    "choices[*].delta.reasoning_content": {"string", "null"},
    "choices[*].delta.reasoning": {"string", "null"},
    "choices[*].finish_reason": {"string", "null"},
}
# Values no parser reads: breaking them proves nothing and costs a replay each.
SKIP = ("*logprobs*", "*system_fingerprint", "*service_tier", "created", "object", "obfuscation",
        "*prompt_filter_results*", "*content_filter_results*", "*annotations*", "x_groq.id")
# For replay: a compat provider ``acme`` with no quirks.
WIRE: dict[str, Any] = {"provider": "acme", "settings": {"api_key": KEY}, "plugins": {
    "acme": compat_plugin(CompatConfig(name="Acme", default_base_url=BASE), Profile())}}


def _load(path: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{path}.json").read_text())


def _chat_fixtures(streamed: bool) -> list[str]:
    out = []
    for file in sorted(FIXTURES.glob("*/*.json")):
        data = json.loads(file.read_text())
        response, url = data["response"], data["request"]["url"]
        if response["status"] == 200 and url.endswith("chat/completions") and (
                ("body_text" in response) == streamed):
            out.append(str(file.relative_to(FIXTURES).with_suffix("")))
    return out


def _chat(client: modelplex.Client) -> None:
    client.chat("acme/m-1", "hi")


def _stream(client: modelplex.Client) -> None:
    with client.stream("acme/m-1", "hi") as events:
        for _ in events:
            pass


@pytest.mark.parametrize("name", _chat_fixtures(streamed=False))
def test_every_broken_field_of_a_reply_is_read_or_named(name: str) -> None:
    outcomes = replay(reply_cases(_load(name)["response"]["body"], skip=SKIP), _chat, **WIRE)
    assert len(outcomes) > 20
    assert judge(outcomes, types=REPLY_TYPES, required=REPLY_REQUIRED) == []


@pytest.mark.parametrize("name", _chat_fixtures(streamed=True))
def test_every_broken_field_of_a_stream_chunk_is_read_or_named(name: str) -> None:
    chunks = sse_events(_load(name)["response"]["body_text"])
    [(_, recorded)] = replay([("as recorded", sse_reply(chunks))], _stream, **WIRE)
    if recorded is not None:  # a recorded stream that ends in an error event: nothing to break
        assert isinstance(recorded, ModelplexError) and not isinstance(recorded, ResponseParseError)
        return
    # Each chunk of a new shape broken every way, the others as recorded; a chunk may leave out any
    # field: only wrong types break one.
    cases = stream_cases(chunks, skip=(*SKIP, "id", "model", "usage*"), missing=False)
    outcomes = replay(cases, _stream, **WIRE)
    assert len(outcomes) > 10
    assert judge(outcomes, types=CHUNK_TYPES) == []


def test_the_example_of_the_issue_names_the_field() -> None:
    body = _load("openai/04_chat_parallel_tool_calls")["response"]["body"]
    body["choices"][0]["message"]["tool_calls"][1]["function"] = "create_file"
    [(_, error)] = replay([("broken", Reply.json(body))], _chat, **WIRE)
    assert isinstance(error, ResponseParseError)
    assert str(error) == ("acme/m-1: choices[0].message.tool_calls[1].function: expected object, "
                          "got str")
    assert error.field == "choices[0].message.tool_calls[1].function"


EMBEDDING_TYPES = {"data": {"array"}, "data[*]": {"object"}, "data[*].embedding": {"array", "string"},
                   "data[*].embedding[*]": {"number"}, "data[*].index": {"number", "null"},
                   "model": {"string", "null"}}


def _embed(client: modelplex.Client) -> None:
    client.embed("acme/text-embedding-3-small", "hi")


def test_every_broken_field_of_an_embeddings_reply_is_read_or_named() -> None:
    body = _load("openai/11_embeddings_dimensions")["response"]["body"]
    body["data"][0]["embedding"] = body["data"][0]["embedding"][:3]  # three numbers break as well
    outcomes = replay(reply_cases(body, skip=SKIP), _embed, **WIRE)
    assert len(outcomes) > 10
    assert judge(outcomes, types=EMBEDDING_TYPES, required=("data", "data[*].embedding")) == []
