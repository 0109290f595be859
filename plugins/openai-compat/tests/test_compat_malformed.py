"""Recorded replies and stream chunks broken one field at a time, replayed through the client: each
is read or refused with a ResponseParseError naming the JSON path, never the bare catch-all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from compat_helpers import BASE, FIXTURES, KEY
from modelplex_openai_compat import CompatConfig, Profile, compat_plugin

from modelplex import AsyncClient
from modelplex.errors import ModelplexError, ResponseParseError
from modelplex_testing.corrupt import Corruption, corruptions
from modelplex_testing.malformed import shape, skipping, verdict

T = TypeVar("T")

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


class _Wire:
    """One client whose provider ``acme`` answers every request with :attr:`reply`."""

    def __init__(self) -> None:
        self.reply = httpx.Response(200)
        self.plugin = compat_plugin(CompatConfig(name="Acme", default_base_url=BASE), Profile())

    def client(self) -> AsyncClient:
        transport = httpx.MockTransport(lambda request: self.reply)
        return AsyncClient(plugins={"acme": self.plugin}, autoload=False, config_file=False, env={},
                           providers={"acme": {"api_key": KEY, "transport": transport}})


def _replay(wire: _Wire, cases: Iterable[tuple[T, httpx.Response]],
            run: Callable[[AsyncClient], Any]) -> list[tuple[T, BaseException | None]]:
    """Each case's reply served in turn to ``run``: what it raised, or ``None``."""
    async def go() -> list[tuple[T, BaseException | None]]:
        outcomes: list[tuple[T, BaseException | None]] = []
        async with wire.client() as client:
            for case, reply in cases:
                wire.reply = reply
                try:
                    await run(client)
                except Exception as exc:  # raw errors too: they are what this test looks for
                    outcomes.append((case, exc))
                else:
                    outcomes.append((case, None))
        return outcomes

    return asyncio.run(go())


async def _chat(client: AsyncClient) -> None:
    await client.chat("acme/m-1", "hi")


async def _stream(client: AsyncClient) -> None:
    async with client.stream("acme/m-1", "hi") as events:
        async for _ in events:
            pass


@pytest.mark.parametrize("name", _chat_fixtures(streamed=False))
def test_every_broken_field_of_a_reply_is_read_or_named(name: str) -> None:
    body = _load(name)["response"]["body"]
    cases = ((case, httpx.Response(200, json=case.data)) for case in skipping(corruptions(body), SKIP))
    outcomes = _replay(_Wire(), cases, _chat)
    assert len(outcomes) > 20
    wrong = [w for case, outcome in outcomes
             if (w := verdict(case, outcome, types=REPLY_TYPES, required=REPLY_REQUIRED))]
    assert wrong == []


def _chunks(body_text: str) -> list[str]:
    return [line[len("data:"):].strip() for line in body_text.splitlines()
            if line.startswith("data:")]


def _sse(chunks: list[str]) -> httpx.Response:
    body = "".join(f"data: {c}\n\n" for c in chunks)
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def _stream_cases(chunks: list[str]) -> Iterator[tuple[Corruption, httpx.Response]]:
    """Each chunk of a new shape broken every way, the others as recorded."""
    seen: set[frozenset[str]] = set()
    for i, text in enumerate(chunks):
        if text == "[DONE]":
            continue
        chunk = json.loads(text)
        if shape(chunk) in seen:
            continue
        seen.add(shape(chunk))
        # A chunk may leave out any field: only wrong types break one.
        for case in skipping(corruptions(chunk, missing=False), (*SKIP, "id", "model", "usage*")):
            yield case, _sse([*chunks[:i], json.dumps(case.data), *chunks[i + 1:]])


@pytest.mark.parametrize("name", _chat_fixtures(streamed=True))
def test_every_broken_field_of_a_stream_chunk_is_read_or_named(name: str) -> None:
    chunks = _chunks(_load(name)["response"]["body_text"])
    wire = _Wire()
    [(_, recorded)] = _replay(wire, [("as recorded", _sse(chunks))], _stream)
    if recorded is not None:  # a recorded stream that ends in an error event: nothing to break
        assert isinstance(recorded, ModelplexError) and not isinstance(recorded, ResponseParseError)
        return
    outcomes = _replay(wire, _stream_cases(chunks), _stream)
    assert len(outcomes) > 10
    wrong = [w for case, outcome in outcomes if (w := verdict(case, outcome, types=CHUNK_TYPES))]
    assert wrong == []


def test_the_example_of_the_issue_names_the_field() -> None:
    body = _load("openai/04_chat_parallel_tool_calls")["response"]["body"]
    body["choices"][0]["message"]["tool_calls"][1]["function"] = "create_file"
    [(_, error)] = _replay(_Wire(), [("broken", httpx.Response(200, json=body))], _chat)
    assert isinstance(error, ResponseParseError)
    assert str(error) == ("acme/m-1: choices[0].message.tool_calls[1].function: expected object, "
                          "got str")
    assert error.field == "choices[0].message.tool_calls[1].function"


EMBEDDING_TYPES = {"data": {"array"}, "data[*]": {"object"}, "data[*].embedding": {"array", "string"},
                   "data[*].embedding[*]": {"number"}, "data[*].index": {"number", "null"},
                   "model": {"string", "null"}}


async def _embed(client: AsyncClient) -> None:
    await client.embed("acme/text-embedding-3-small", "hi")


def test_every_broken_field_of_an_embeddings_reply_is_read_or_named() -> None:
    body = _load("openai/11_embeddings_dimensions")["response"]["body"]
    body["data"][0]["embedding"] = body["data"][0]["embedding"][:3]  # three numbers break as well
    cases = ((case, httpx.Response(200, json=case.data))
             for case in skipping(corruptions(body), SKIP))
    outcomes = _replay(_Wire(), cases, _embed)
    assert len(outcomes) > 10
    wrong = [w for case, outcome in outcomes
             if (w := verdict(case, outcome, types=EMBEDDING_TYPES,
                              required=("data", "data[*].embedding")))]
    assert wrong == []
