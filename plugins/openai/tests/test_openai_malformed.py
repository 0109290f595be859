"""Recorded Responses API replies and stream events broken one field at a time, replayed through the
client: each is read or refused with a ResponseParseError naming the JSON path, never the catch-all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from modelplex import AsyncClient
from modelplex.errors import ResponseParseError
from modelplex_testing.corrupt import Corruption, corruptions
from modelplex_testing.malformed import shape, skipping, verdict

T = TypeVar("T")
RESPONSES = Path(__file__).parent / "fixtures" / "openai_responses"
KEY = "sk-malformed-test-key-0123456789abcdef"
WHOLE = ["01_text", "02_parallel_function_calls", "03_function_call_output_followup",
         "04_reasoning_then_function_call"]
STREAMS = ["05_stream_function_call", "06_stream_text", "07_stream_reasoning_text_and_function_call"]

# Where the parser insists on a JSON type (the types it takes there): another type is refused naming
# exactly that path. Elsewhere a wrong type may be ignored or refused, naming the path.
REPLY_TYPES = {
    "output": {"array"},
    "output[*]": {"object"},
    "output[*].type": {"string"},
    "output[*].content": {"array", "null"},
    "output[*].content[*]": {"object"},
    "output[*].content[*].type": {"string"},
    "output[*].content[*].text": {"string", "null"},
    "output[*].name": {"string"},
    "output[*].call_id": {"string", "null"},
    "output[*].arguments": {"string", "object", "null"},
    "output[*].summary": {"array", "null"},
    "output[*].summary[*]": {"object"},
    "output[*].summary[*].text": {"string", "null"},
    "output[*].encrypted_content": {"string", "null"},
    "status": {"string", "null"},
    "incomplete_details": {"object", "null"},
    "model": {"string", "null"},
    "id": {"string", "null"},
}
REPLY_REQUIRED = ("output", "output[*].type", "output[*].name")
EVENT_TYPES = {
    "type": {"string", "null"},
    "item": {"object"},
    "item.type": {"string"},
    "item.name": {"string", "null"},
    "item.call_id": {"string", "null"},
    "delta": {"string", "null"},
}
# Values no parser reads: breaking them proves nothing and costs a replay each.
SKIP = ("tools*", "text*", "reasoning*", "metadata*", "*usage*", "created_at", "object", "*parameters*",
        "sequence_number", "*logprobs*", "*annotations*", "response.tools*", "response.text*",
        "response.reasoning*", "response.metadata*", "response.output*", "response.instructions",
        "*temperature", "*top_p", "*truncation", "*tool_choice", "*store", "*user", "*service_tier",
        "*max_output_tokens", "*previous_response_id", "*parallel_tool_calls", "*background",
        "*prompt_cache_key", "*safety_identifier", "*top_logprobs", "*max_tool_calls")


class _Wire:
    """One client whose ``openai`` provider answers every request with :attr:`reply`."""

    def __init__(self) -> None:
        self.reply = httpx.Response(200)

    def client(self) -> AsyncClient:
        from modelplex_openai import plugin

        transport = httpx.MockTransport(lambda request: self.reply)
        return AsyncClient(plugins={"openai": plugin.PLUGIN}, autoload=False, config_file=False,
                           env={}, providers={"openai": {"api_key": KEY, "transport": transport}})


def _replay(cases: Iterable[tuple[T, httpx.Response]],
            run: Callable[[AsyncClient], Any]) -> list[tuple[T, BaseException | None]]:
    """Each case's reply served in turn to ``run``: what it raised, or ``None``."""
    wire = _Wire()

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
    await client.chat("openai/gpt-4o", "hi")


async def _stream(client: AsyncClient) -> None:
    async with client.stream("openai/gpt-4o", "hi") as events:
        async for _ in events:
            pass


def _load(name: str) -> dict[str, Any]:
    return json.loads((RESPONSES / f"{name}.json").read_text())["response"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", WHOLE)
def test_every_broken_field_of_a_reply_is_read_or_named(name: str) -> None:
    cases = ((case, httpx.Response(200, json=case.data))
             for case in skipping(corruptions(_load(name)["body"]), SKIP))
    outcomes = _replay(cases, _chat)
    assert len(outcomes) > 20
    wrong = [w for case, outcome in outcomes
             if (w := verdict(case, outcome, types=REPLY_TYPES, required=REPLY_REQUIRED))]
    assert wrong == []


def _events(body_text: str) -> list[tuple[str, Any]]:
    """``(event, data)`` of each event of a recorded SSE body."""
    out = []
    for block in body_text.split("\n\n"):
        lines = block.strip().splitlines()
        kind = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), "message")
        data = next((ln[5:].strip() for ln in lines if ln.startswith("data:")), None)
        if data is not None:
            out.append((kind, json.loads(data)))
    return out


def _sse(events: list[tuple[str, Any]]) -> httpx.Response:
    body = "".join(f"event: {kind}\ndata: {json.dumps(data)}\n\n" for kind, data in events)
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def _stream_cases(events: list[tuple[str, Any]]) -> Iterator[tuple[Corruption, httpx.Response]]:
    """Each event of a new type and shape broken every way, the others as recorded."""
    seen: set[tuple[str, frozenset[str]]] = set()
    for i, (kind, data) in enumerate(events):
        if (kind, shape(data)) in seen:
            continue
        seen.add((kind, shape(data)))
        for case in skipping(corruptions(data, missing=False), SKIP):
            yield case, _sse([*events[:i], (kind, case.data), *events[i + 1:]])


@pytest.mark.parametrize("name", STREAMS)
def test_every_broken_field_of_a_stream_event_is_read_or_named(name: str) -> None:
    events = _events(_load(name)["body_text"])
    [(_, recorded)] = _replay([("as recorded", _sse(events))], _stream)
    assert recorded is None
    outcomes = _replay(_stream_cases(events), _stream)
    assert len(outcomes) > 20
    wrong = [w for case, outcome in outcomes if (w := verdict(case, outcome, types=EVENT_TYPES))]
    assert wrong == []


def test_a_function_call_that_is_not_an_object_is_named() -> None:
    body = _load("02_parallel_function_calls")["body"]
    body["output"][1] = "get_weather"
    [(_, error)] = _replay([("broken", httpx.Response(200, json=body))], _chat)
    assert isinstance(error, ResponseParseError)
    assert str(error) == "openai/gpt-4o: output[1]: expected object, got str"
    assert error.field == "output[1]"
