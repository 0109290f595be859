"""Recorded replies broken one field at a time, on the wire: whatever breaks, the error is a
ResponseParseError naming the JSON path, never the core's catch-all for a plugin that crashed; where
the format fixes a field's type, another type is refused naming exactly that field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex_testing import Recording, Reply
from modelplex_testing.corrupt import Corruption
from modelplex_testing.malformed import judge, replay, reply_cases, sse_events, stream_cases

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "AIzaSy-malformed-test-key-0123456789abc"
OPTIONAL = {"string", "null"}
PART = "candidates[0].content.parts[*]"

# The JSON types the Gemini API fixes for what the parser reads, in a whole reply and in each chunk of
# a stream alike (token counts stay lenient), and the keys it cannot do without.
TYPES = {
    "candidates": {"array", "null"}, "candidates[0]": {"object"},
    "candidates[0].content": {"object", "null"}, "candidates[0].content.parts": {"array", "null"},
    PART: {"object"}, f"{PART}.text": OPTIONAL, f"{PART}.thought": {"boolean", "null"},
    f"{PART}.thoughtSignature": OPTIONAL, f"{PART}.functionCall": {"object", "null"},
    f"{PART}.functionCall.name": {"string"}, f"{PART}.functionCall.id": OPTIONAL,
    f"{PART}.functionCall.args": {"object", "null"}, "candidates[0].finishReason": OPTIONAL,
    "candidates[0].finishMessage": OPTIONAL, "usageMetadata": {"object", "null"},
    "modelVersion": OPTIONAL, "responseId": OPTIONAL,
}
REQUIRED = [f"{PART}.functionCall.name"]
# The model version is read from a stream's first chunk only; the finish reason ends a stream, so a
# stream without it (its key or its candidate removed) was cut off, rightly.
STREAM_TYPES = {k: v for k, v in TYPES.items() if k != "modelVersion"}
ENDS_A_STREAM = {"candidates", "candidates[0].finishReason"}
EMBED_TYPES = {"embeddings": {"array"}, "embeddings[*]": {"object"}, "embeddings[*].values": {"array"},
               "embeddings[*].values[*]": {"number"}}
EMBED_REQUIRED = ["embeddings", "embeddings[*].values"]
WIRE: dict[str, Any] = {"provider": "gemini", "settings": {"api_key": KEY}}  # for replay


def recorded(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def ends_the_stream(case: Corruption, outcome: BaseException | None) -> bool:
    """Whether the break took what ends a stream, so the stream was rightly cut off."""
    return (isinstance(outcome, StreamInterruptedError) and case.how == "missing"
            and case.where in ENDS_A_STREAM)


def chat(client: modelplex.Client) -> object:
    return client.chat("gemini/gemini-2.5-flash", "hi")


def stream(client: modelplex.Client) -> object:
    with client.stream("gemini/gemini-2.5-flash", "hi") as s:
        return list(s)


@pytest.mark.parametrize("name", ["01_generate_text", "04_gemini3_function_calls_thought_signature"])
def test_a_whole_reply_broken_anywhere(name: str) -> None:
    outcomes = replay(reply_cases(recorded(name).response["body"]), chat, **WIRE)
    assert judge(outcomes, types=TYPES, required=REQUIRED, excused=ends_the_stream) == []


@pytest.mark.parametrize("name", ["06_stream_function_call", "07_stream_thinking"])
def test_a_stream_chunk_broken_anywhere(name: str) -> None:
    events = sse_events(str(recorded(name).response["body_text"]))
    outcomes = replay(stream_cases(events), stream, **WIRE)
    assert judge(outcomes, types=STREAM_TYPES, required=REQUIRED, excused=ends_the_stream) == []


def test_embeddings_broken_anywhere() -> None:
    body = recorded("08_batch_embed_contents").response["body"]
    for item in body["embeddings"]:
        item["values"] = item["values"][:3]  # three values break the ways three thousand would
    count = len(body["embeddings"])
    cases = reply_cases(body)

    def embed(client: modelplex.Client) -> object:
        return client.embed("gemini/gemini-embedding-001", [f"text {i}" for i in range(count)])

    outcomes = replay(cases, embed, **WIRE)
    assert judge(outcomes, types=EMBED_TYPES, required=EMBED_REQUIRED, excused=ends_the_stream) == []


def test_a_model_listing_broken_anywhere() -> None:
    """A listing is read leniently (an entry it cannot use is left out), but never crashes."""
    body = {"models": [{"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash",
                        "inputTokenLimit": 1048576, "outputTokenLimit": 65536, "thinking": True,
                        "supportedGenerationMethods": ["generateContent", "countTokens"]}],
            "nextPageToken": ""}
    outcomes = replay(reply_cases(body), lambda client: client.list_models("gemini"), **WIRE)
    assert judge(outcomes, types={}, required=[], excused=ends_the_stream) == []


def test_what_the_example_of_the_issue_looks_like_here() -> None:
    body = recorded("04_gemini3_function_calls_thought_signature").response["body"]
    body["candidates"][0]["content"]["parts"][1]["functionCall"] = "generate_topic"
    [(_, error)] = replay([("broken", Reply.json(body))], chat, **WIRE)
    assert isinstance(error, ResponseParseError)
    assert str(error) == ("gemini/gemini-2.5-flash: candidates[0].content.parts[1].functionCall: "
                          "expected object, got str")
