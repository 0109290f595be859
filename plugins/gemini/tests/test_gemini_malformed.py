"""Recorded replies broken one field at a time, on the wire: whatever breaks, the error is a
ResponseParseError naming the JSON path, never the core's catch-all for a plugin that crashed; where
the format fixes a field's type, another type is refused naming exactly that field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex_testing import Recording, Reply, ScriptedServer
from modelplex_testing.corrupt import Corruption, corruptions
from modelplex_testing.malformed import shape, verdict

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


def recorded(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def stream_cases(name: str) -> Iterator[tuple[Corruption, Reply]]:
    """Each corruption of the first chunk of each shape in a recorded stream, the rest as it was."""
    body = str(recorded(name).response["body_text"])
    chunks = [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")]
    shapes = set()
    for i, data in enumerate(chunks):
        if shape(data) in shapes:
            continue  # a chunk like one before: nothing new to break
        shapes.add(shape(data))
        for case in corruptions(data):
            broken = [*chunks[:i], case.data, *chunks[i + 1:]]
            events = [f"data: {json.dumps(c)}\n\n".encode() for c in broken]
            yield case, Reply(headers={"content-type": "text/event-stream"}, events=events)


def whole_cases(body: Any) -> Iterator[tuple[Corruption, Reply]]:
    for case in corruptions(body):
        yield case, Reply.json(case.data)


def misread(cases: list[tuple[Corruption, Reply]], call: Callable[[modelplex.Client], object], *,
            types: dict[str, set[str]], required: list[str]) -> list[str]:
    """Serve every case in turn through the client; what was wrong with each answer."""
    wrong = []
    with ScriptedServer([reply for _, reply in cases]) as server, modelplex.Client(
            providers={"gemini": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY}},
            config_file=False, env={}) as client:
        for case, _ in cases:
            outcome: BaseException | None = None
            try:
                call(client)
            except Exception as exc:  # judged by verdict: only a ResponseParseError may come out
                outcome = exc
            found = verdict(case, outcome, types=types, required=required)
            if (isinstance(outcome, StreamInterruptedError) and case.how == "missing"
                    and case.where in ENDS_A_STREAM):
                found = None
            if found is not None:
                wrong.append(found)
    return wrong


def chat(client: modelplex.Client) -> object:
    return client.chat("gemini/gemini-2.5-flash", "hi")


def stream(client: modelplex.Client) -> object:
    with client.stream("gemini/gemini-2.5-flash", "hi") as s:
        return list(s)


@pytest.mark.parametrize("name", ["01_generate_text", "04_gemini3_function_calls_thought_signature"])
def test_a_whole_reply_broken_anywhere(name: str) -> None:
    cases = list(whole_cases(recorded(name).response["body"]))
    assert misread(cases, chat, types=TYPES, required=REQUIRED) == []


@pytest.mark.parametrize("name", ["06_stream_function_call", "07_stream_thinking"])
def test_a_stream_chunk_broken_anywhere(name: str) -> None:
    cases = list(stream_cases(name))
    assert misread(cases, stream, types=STREAM_TYPES, required=REQUIRED) == []


def test_embeddings_broken_anywhere() -> None:
    body = recorded("08_batch_embed_contents").response["body"]
    for item in body["embeddings"]:
        item["values"] = item["values"][:3]  # three values break the ways three thousand would
    count = len(body["embeddings"])
    cases = list(whole_cases(body))

    def embed(client: modelplex.Client) -> object:
        return client.embed("gemini/gemini-embedding-001", [f"text {i}" for i in range(count)])

    assert misread(cases, embed, types=EMBED_TYPES, required=EMBED_REQUIRED) == []


def test_a_model_listing_broken_anywhere() -> None:
    """A listing is read leniently (an entry it cannot use is left out), but never crashes."""
    body = {"models": [{"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash",
                        "inputTokenLimit": 1048576, "outputTokenLimit": 65536, "thinking": True,
                        "supportedGenerationMethods": ["generateContent", "countTokens"]}],
            "nextPageToken": ""}
    cases = list(whole_cases(body))
    assert misread(cases, lambda client: client.list_models("gemini"), types={}, required=[]) == []


def test_what_the_example_of_the_issue_looks_like_here() -> None:
    body = recorded("04_gemini3_function_calls_thought_signature").response["body"]
    body["candidates"][0]["content"]["parts"][1]["functionCall"] = "generate_topic"
    with ScriptedServer([Reply.json(body)]) as server, modelplex.Client(
            providers={"gemini": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY}},
            config_file=False, env={}) as client, pytest.raises(ResponseParseError) as info:
        chat(client)
    assert str(info.value) == ("gemini/gemini-2.5-flash: candidates[0].content.parts[1].functionCall: "
                               "expected object, got str")
