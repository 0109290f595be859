"""Azure replies, recorded and with the content filter's results, broken one field at a time and
replayed through the client: each is read or refused with a ResponseParseError naming the JSON path,
never the catch-all; the filter's results above all, since a misread one hides what was filtered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from azure_helpers import (
    KEY,
    SAFE,
    filtered_violence,
    prompt_filter_chunk,
    reply,
    response_body,
)
from modelplex_azure import plugin

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing.compat_server import Reply, chunk
from modelplex_testing.malformed import Event, judge, replay, reply_cases, sse_reply, stream_cases

CATEGORIES = ("hate", "self_harm", "sexual", "violence", "jailbreak", "protected_material_code",
              "protected_material_text")


def _filter_types(at: str) -> dict[str, set[str]]:
    """The JSON types of a ``content_filter_results`` object at ``at`` and in it."""
    out = {at: {"object", "null"}}
    for name in CATEGORIES:
        out[f"{at}.{name}"] = {"object", "array"}
        out[f"{at}.{name}.filtered"] = {"boolean", "null"}
        out[f"{at}.{name}.severity"] = {"string", "null"}
    return out


# Where the parser insists on a JSON type (the types it takes there): another type is refused naming
# exactly that path. Elsewhere a wrong type may be ignored or refused, naming the path.
TYPES = {
    "prompt_filter_results": {"array", "null"},
    "prompt_filter_results[*]": {"object"},
    "prompt_filter_results[*].prompt_index": {"number", "null"},
    **_filter_types("prompt_filter_results[*].content_filter_results"),
    **_filter_types("choices[*].content_filter_results"),
    "choices": {"array"},
    "choices[0]": {"object"},
    "choices[0].message": {"object", "null"},
    "choices[0].message.tool_calls": {"array", "null"},
    "choices[0].message.tool_calls[*]": {"object"},
    "choices[0].message.tool_calls[*].function": {"object"},
    "choices[0].message.tool_calls[*].function.name": {"string"},
    "choices[0].finish_reason": {"string", "null"},
}
CHUNK_TYPES = {key: allowed | {"null"} if key == "choices" else allowed for key, allowed in TYPES.items()
               if not key.startswith("choices[0].message")}
SKIP = ("*logprobs*", "*system_fingerprint", "*service_tier", "created", "object", "usage*",
        "*detected", "*annotations*")
WIRE: dict[str, Any] = {"provider": "azure", "settings": {"api_key": KEY},  # for replay
                        "plugins": {"azure": plugin.PLUGIN}}


def _chat(client: modelplex.Client) -> None:
    client.chat("azure/my-deployment", "hi")


def _stream(client: modelplex.Client) -> None:
    with client.stream("azure/my-deployment", "hi") as events:
        for _ in events:
            pass


def _unshared(value: Any) -> Any:
    """``value`` with no object in two places (the helpers share SAFE's): one break, one place."""
    return json.loads(json.dumps(value))


REPLIES = {
    "recorded deployment reply": response_body("01_openai_deployment_chat_completions"),
    "recorded foundry tool calls": response_body("03_foundry_parallel_tool_calls"),
    "a reply filtered for violence": _unshared(reply("", finish="content_filter",
                                                     filter_results=filtered_violence())),
    "a blocklist hit": _unshared(reply("", finish="content_filter", filter_results={
        **SAFE, "custom_blocklists": {"filtered": True, "details": [{"filtered": True, "id": "words"}]}})),
}


@pytest.mark.parametrize("name", list(REPLIES))
def test_every_broken_field_of_a_reply_is_read_or_named(name: str) -> None:
    outcomes = replay(reply_cases(REPLIES[name], skip=SKIP), _chat, **WIRE)
    assert len(outcomes) > 20
    assert judge(outcomes, types=TYPES) == []


def _filtered(text: str, finish: str | None, results: Mapping[str, Any]) -> dict[str, Any]:
    out = chunk(content=text, finish=finish, id="chatcmpl-s1", model="gpt-4o-2024-11-20")
    out["choices"][0]["content_filter_results"] = dict(results)
    return out


STREAM: list[Event] = [(None, data) for data in _unshared([
    prompt_filter_chunk(), _filtered("Here is how", None, SAFE),
    _filtered("", "content_filter", filtered_violence())])] + [(None, "[DONE]")]


def test_every_broken_field_of_a_filtered_stream_is_read_or_named() -> None:
    [(_, as_sent)] = replay([("as sent", sse_reply(STREAM))], _stream, **WIRE)
    assert as_sent is None
    # A chunk of a new shape broken every way (a chunk may leave out any field), the others as sent.
    cases = stream_cases(STREAM, skip=(*SKIP, "id", "model"), missing=False)
    outcomes = replay(cases, _stream, **WIRE)
    assert len(outcomes) > 20
    assert judge(outcomes, types=CHUNK_TYPES) == []


def test_a_filter_verdict_that_is_not_an_object_is_named() -> None:
    body = reply("", finish="content_filter", filter_results={**SAFE, "violence": "high"})
    [(_, error)] = replay([("broken", Reply.json(body))], _chat, **WIRE)
    assert isinstance(error, ResponseParseError)
    assert str(error) == ("azure/my-deployment: choices[0].content_filter_results.violence: "
                          "expected object, got str")
