"""Azure replies, recorded and with the content filter's results, broken one field at a time and
replayed through the client: each is read or refused with a ResponseParseError naming the JSON path,
never the catch-all; the filter's results above all, since a misread one hides what was filtered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
import pytest
from azure_helpers import (
    ENDPOINT,
    KEY,
    SAFE,
    filtered_violence,
    prompt_filter_chunk,
    reply,
    response_body,
)

from modelplex import AsyncClient
from modelplex.errors import ResponseParseError
from modelplex_testing.compat_server import chunk
from modelplex_testing.corrupt import Corruption, corruptions
from modelplex_testing.malformed import shape, skipping, verdict

T = TypeVar("T")
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


class _Wire:
    """One client whose ``azure`` provider answers every request with :attr:`reply`."""

    def __init__(self) -> None:
        self.reply = httpx.Response(200)

    def client(self) -> AsyncClient:
        from modelplex_azure import plugin

        transport = httpx.MockTransport(lambda request: self.reply)
        return AsyncClient(plugins={"azure": plugin.PLUGIN}, autoload=False, config_file=False,
                           env={}, providers={"azure": {"api_key": KEY, "base_url": ENDPOINT,
                                                        "transport": transport}})


def _replay(cases: Iterable[tuple[T, httpx.Response]],
            run: Callable[[AsyncClient], Any]) -> list[tuple[T, BaseException | None]]:
    """Each case's reply served in turn to ``run``: what it raised, or ``None``."""
    wire = _Wire()

    async def go() -> list[tuple[T, BaseException | None]]:
        outcomes: list[tuple[T, BaseException | None]] = []
        async with wire.client() as client:
            for case, answer in cases:
                wire.reply = answer
                try:
                    await run(client)
                except Exception as exc:  # raw errors too: they are what this test looks for
                    outcomes.append((case, exc))
                else:
                    outcomes.append((case, None))
        return outcomes

    return asyncio.run(go())


async def _chat(client: AsyncClient) -> None:
    await client.chat("azure/my-deployment", "hi")


async def _stream(client: AsyncClient) -> None:
    async with client.stream("azure/my-deployment", "hi") as events:
        async for _ in events:
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
    cases = ((case, httpx.Response(200, json=case.data))
             for case in skipping(corruptions(REPLIES[name]), SKIP))
    outcomes = _replay(cases, _chat)
    assert len(outcomes) > 20
    wrong = [w for case, outcome in outcomes if (w := verdict(case, outcome, types=TYPES))]
    assert wrong == []


def _sse(chunks: list[Mapping[str, Any]]) -> httpx.Response:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def _filtered(text: str, finish: str | None, results: Mapping[str, Any]) -> dict[str, Any]:
    out = chunk(content=text, finish=finish, id="chatcmpl-s1", model="gpt-4o-2024-11-20")
    out["choices"][0]["content_filter_results"] = dict(results)
    return out


STREAM = _unshared([prompt_filter_chunk(), _filtered("Here is how", None, SAFE),
                    _filtered("", "content_filter", filtered_violence())])


def _stream_cases(chunks: list[dict[str, Any]]) -> Iterator[tuple[Corruption, httpx.Response]]:
    """Each chunk of a new shape broken every way, the others as they were."""
    seen: set[frozenset[str]] = set()
    for i, data in enumerate(chunks):
        if shape(data) in seen:
            continue
        seen.add(shape(data))
        for case in skipping(corruptions(data, missing=False), (*SKIP, "id", "model")):
            yield case, _sse([*chunks[:i], case.data, *chunks[i + 1:]])


def test_every_broken_field_of_a_filtered_stream_is_read_or_named() -> None:
    [(_, as_sent)] = _replay([("as sent", _sse(STREAM))], _stream)
    assert as_sent is None
    outcomes = _replay(_stream_cases(STREAM), _stream)
    assert len(outcomes) > 20
    wrong = [w for case, outcome in outcomes if (w := verdict(case, outcome, types=CHUNK_TYPES))]
    assert wrong == []


def test_a_filter_verdict_that_is_not_an_object_is_named() -> None:
    body = reply("", finish="content_filter", filter_results={**SAFE, "violence": "high"})
    [(_, error)] = _replay([("broken", httpx.Response(200, json=body))], _chat)
    assert isinstance(error, ResponseParseError)
    assert str(error) == ("azure/my-deployment: choices[0].content_filter_results.violence: "
                          "expected object, got str")
