"""The recorder through a real client on the wire (issue 14, items 1 and 2): one row per call, per failed
call and per attempt of a routed call; streamed and whole versions of one exchange give the same row;
cut and cancelled calls are recorded with what they used; a call's row is durable before the call
returns (journaled, or committed); nothing secret reaches a row. Each test runs on SQLite and on
PostgreSQL (``store_url``), and through each writer: a process, with calls returning once their rows
are journaled (the default) or once committed, and a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from exchange import (
    KEY,
    MODEL,
    client,
    closing,
    journaled,
    recorder,
    rollups,
    rows,
    streamed_exchange,
    table_text,
    whole_exchange,
)
from modelplex_store.recorder import Recorder

from modelplex import AsyncClient, ChatResponse
from modelplex.errors import ServerError, StreamInterruptedError
from modelplex_testing import Reply, ScriptedServer, serving

OK = Reply.json({"id": "c1", "object": "chat.completion", "model": "llama-3.3-70b-versatile",
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "Paris."}}],
                 "usage": {"prompt_tokens": 48, "completion_tokens": 8, "total_tokens": 56}})
UNPRICED = Reply.json({"id": "c2", "object": "chat.completion", "model": "a-model-nobody-prices",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": "Paris."}}],
                       "usage": {"prompt_tokens": 48, "completion_tokens": 8, "total_tokens": 56}})
BUSY = Reply.json({"error": {"message": "over capacity", "type": "server_error"}}, status=503)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


WRITERS = {"journal": {"writer": "process", "durability": "journal"},
           "commit": {"writer": "process", "durability": "commit"},
           "thread": {"writer": "thread"}}


@pytest.fixture(params=list(WRITERS))
def rec(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """A recorder on ``store_url``, through each writer (see the module's docstring)."""
    yield from closing(recorder(store_url, tmp_path / "data", **WRITERS[request.param]))


def test_a_call_has_its_row_durable_before_it_returns(rec: Recorder, store_url: str,
                                                      serve: Callable[..., ScriptedServer]) -> None:
    server = serve(OK)
    journal = rec.config.writer == "process" and rec.config.durability == "journal"

    async def main() -> tuple[ChatResponse, list[dict[str, Any]]]:
        async with client(rec, server.url) as c:
            response = await c.chat(MODEL, "What is the capital of France?", caller="svc-a",
                                    tags={"user": "u-7", "conversation": "conv-1", "team": "search"})
            # Read at once, from outside the writer: the journal's files, or another connection.
            return response, journaled(rec) if journal else rows(store_url, settle=False)

    response, held = asyncio.run(main())
    (row,) = rows(store_url)
    assert held == [row]  # what was durable as the call returned is the row the store keeps
    assert row["kind"] == "chat" and row["status"] == "ok" and row["parent_id"] is None
    assert (row["provider"], row["model"], row["requested"]) == ("groq", "llama-3.3-70b-versatile", MODEL)
    assert (row["caller"], row["user_id"], row["conversation_id"], row["tags"]) == \
        ("svc-a", "u-7", "conv-1", '{"team":"search"}')
    assert (row["input"], row["output"], row["finish_reason"], row["stream"], row["partial"]) == \
        (48, 8, "stop", 0, 0)
    assert row["ended_at"] - row["started_at"] == row["duration_us"] > 0
    assert row["route"] is None and row["chain"] is None  # one direct attempt: no trace to keep
    # The cost engine's figure, in nano-dollars, with its status and price version.
    assert response.cost is not None and response.cost.total is not None
    assert row["cost_nanos"] == response.cost.total * 10**9 > 0
    assert (row["cost_status"], row["price_version"]) == (response.cost.status, response.cost.price_version)
    (hour,) = [v for k, v in rollups(store_url).items() if k[0] == "hour"]
    assert (hour["calls"], hour["input"], hour["output"], hour["priced_calls"], hour["unpriced_calls"],
            hour["cost_nanos"]) == (1, 48, 8, 1, 0, row["cost_nanos"])


def test_a_call_at_an_unknown_price_has_an_unknown_cost_not_zero(
        rec: Recorder, store_url: str, serve: Callable[..., ScriptedServer]) -> None:
    server = serve(UNPRICED)

    async def main() -> None:
        async with client(rec, server.url) as c:
            await c.chat("groq/a-model-nobody-prices", "hi")

    asyncio.run(main())
    (row,) = rows(store_url)
    assert (row["input"], row["cost_nanos"], row["cost_status"]) == (48, None, "unknown")
    (hour,) = [v for k, v in rollups(store_url).items() if k[0] == "hour"]
    assert (hour["priced_calls"], hour["unpriced_calls"], hour["cost_nanos"]) == (0, 1, 0)


def test_a_failed_call_has_its_row(rec: Recorder, store_url: str,
                                   serve: Callable[..., ScriptedServer]) -> None:
    server = serve(BUSY)

    async def main() -> None:
        async with client(rec, server.url, routing={"retries": 0}) as c:
            with pytest.raises(ServerError):
                await c.chat(MODEL, "hi")

    asyncio.run(main())
    (row,) = rows(store_url)
    assert (row["status"], row["error_class"], row["status_code"]) == ("error", "ServerError", 503)
    assert (row["provider"], row["model"], row["input"], row["output"]) == \
        ("groq", "llama-3.3-70b-versatile", 0, 0)
    assert "over capacity" not in table_text(store_url)  # no error message: it may quote a request
    (hour,) = [v for k, v in rollups(store_url).items() if k[0] == "hour" and k[4] == "error"]
    assert (hour["calls"], hour["errors"]) == (1, 1)


def test_each_attempt_of_a_chain_has_a_row_linked_to_its_call(rec: Recorder, store_url: str,
                                                              serve: Callable[..., ScriptedServer]) -> None:
    server = serve(BUSY, OK)
    chains = {"fb": ["groq/model-a", "groq/llama-3.3-70b-versatile"]}

    async def main() -> None:
        async with client(rec, server.url, chains=chains, routing={"retries": 0}) as c:
            await c.chat("chain/fb", "hi", caller="svc")

    asyncio.run(main())
    call, first, second = sorted(rows(store_url), key=lambda r: (r["kind"] == "attempt", r["started_at"]))
    assert (call["kind"], call["requested"], call["chain"], call["status"]) == \
        ("chat", "chain/fb", "fb", "ok")
    assert (call["provider"], call["model"], call["input"]) == ("groq", "llama-3.3-70b-versatile", 48)
    assert call["route"] == "groq/model-a ServerError/503 > groq/llama-3.3-70b-versatile ok"
    assert [r["parent_id"] for r in (first, second)] == [call["id"]] * 2
    assert [(r["kind"], r["model"], r["status"], r["status_code"]) for r in (first, second)] == \
        [("attempt", "model-a", "error", 503), ("attempt", "llama-3.3-70b-versatile", "ok", None)]
    assert first["input"] == second["input"] == 0 and first["cost_status"] is None  # usage is the call's
    assert first["caller"] is None  # no copy of the call's data in its attempts
    # The rollups count calls, not attempts.
    assert sum(v["calls"] for k, v in rollups(store_url).items() if k[0] == "hour") == 1


def test_streamed_and_whole_versions_of_one_exchange_give_the_same_row(
        rec: Recorder, store_url: str, serve: Callable[..., ScriptedServer]) -> None:
    server = serve(streamed_exchange(), whole_exchange())

    async def main() -> None:
        async with client(rec, server.url) as c:
            async with c.stream(MODEL, "hi", caller="svc") as stream:
                async for _ in stream:
                    pass
            await c.chat(MODEL, "hi", caller="svc")

    asyncio.run(main())
    streamed, whole = rows(store_url)
    assert (streamed["kind"], streamed["stream"], whole["kind"], whole["stream"]) == ("stream", 1, "chat", 0)
    assert streamed["ttft_us"] is not None and whole["ttft_us"] is None
    assert (streamed["input"], streamed["output"], streamed["reasoning"]) == (339, 20, 38)
    differ = {"id", "kind", "stream", "started_at", "ended_at", "duration_us", "ttft_us"}
    assert {k: v for k, v in streamed.items() if k not in differ} == \
        {k: v for k, v in whole.items() if k not in differ}


async def read_all(c: AsyncClient) -> None:
    """Read a stream of ``MODEL`` to its end."""
    async with c.stream(MODEL, "hi") as stream:
        async for _ in stream:
            pass


def test_a_cut_stream_is_recorded_partial_with_what_it_used(rec: Recorder, store_url: str,
                                                             serve: Callable[..., ScriptedServer]) -> None:
    cut = streamed_exchange()
    server = serve(Reply.stream([e.decode()[6:-2] for e in cut.events[:-1]], done=False, cut_after=6))

    async def main() -> None:
        async with client(rec, server.url, routing={"retries": 0}) as c:
            with pytest.raises(StreamInterruptedError):
                await read_all(c)

    asyncio.run(main())
    (row,) = rows(store_url)
    assert (row["status"], row["error_class"], row["partial"], row["stream"]) == \
        ("error", "StreamInterruptedError", 1, 1)
    assert row["input"] > 0 and row["usage_estimated"] == 1  # the provider never counted: estimated
    assert row["cost_nanos"] > 0 and row["cost_status"] == "estimated"  # priced from estimated usage


def test_a_cancelled_call_is_recorded_as_cancelled(rec: Recorder, store_url: str,
                                                   serve: Callable[..., ScriptedServer]) -> None:
    slow = Reply(headers={"content-type": "application/json"}, events=[b'{"id": "x",', b'"choices": []}'],
                 delay=5.0)
    server = serve(slow)

    async def main() -> None:
        async with client(rec, server.url) as c:
            task = asyncio.create_task(c.chat(MODEL, "What is the capital of France?"))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    (row,) = rows(store_url)
    assert (row["status"], row["partial"], row["error_class"]) == ("cancelled", 1, None)
    assert row["input"] > 0 and row["usage_estimated"] == 1  # the prompt was sent: it may be billed


def test_a_call_tagged_store_off_leaves_no_row(rec: Recorder, store_url: str,
                                               serve: Callable[..., ScriptedServer]) -> None:
    server = serve(OK)

    async def main() -> None:
        async with client(rec, server.url) as c:
            await c.chat(MODEL, "private", tags={"store": "off"})
            await c.chat(MODEL, "public", tags={"store": "on"})

    asyncio.run(main())
    assert rec.flush()
    (row,) = rows(store_url)
    assert row["tags"] is None  # the switch itself is not kept as a tag


def test_bodies_are_kept_only_when_asked(store_url: str, tmp_path: Path,
                                         serve: Callable[..., ScriptedServer]) -> None:
    server = serve(OK)

    async def main(rec: Recorder, prompt: str) -> None:
        async with client(rec, server.url) as c:
            await c.chat(MODEL, prompt)

    for content in (False, True):
        for rec in closing(recorder(store_url, tmp_path / "data", content=content)):
            asyncio.run(main(rec, f"prompt kept={content}"))
    text = table_text(store_url)
    assert "prompt kept=True" in text and "Paris." in text
    assert "prompt kept=False" not in text


def test_no_secret_reaches_a_row(store_url: str, tmp_path: Path,
                                 serve: Callable[..., ScriptedServer]) -> None:
    echo = Reply.json({"error": {"message": f"Invalid API Key {KEY}", "type": "invalid_request_error"}},
                      status=401)
    server = serve(OK, echo)

    async def main(rec: Recorder) -> None:
        async with client(rec, server.url, routing={"retries": 0}) as c:
            await c.chat(MODEL, "hello", tags={"note": f"key {KEY}"}, caller="svc")
            with pytest.raises(Exception, match="API"):
                await c.chat(MODEL, "hello")

    for rec in closing(recorder(store_url, tmp_path / "data", content=True)):
        asyncio.run(main(rec))
    text = table_text(store_url)
    assert len(rows(store_url)) == 2 and "svc" in text
    assert KEY not in text and KEY[4:20] not in text


def test_calls_in_flight_share_commits(rec: Recorder, store_url: str,
                                       serve: Callable[..., ScriptedServer]) -> None:
    server = serve(OK)

    async def main() -> None:
        async with client(rec, server.url) as c:
            await asyncio.gather(*[c.chat(MODEL, f"q{i}") for i in range(60)])

    asyncio.run(main())
    assert rec.flush()  # journaled calls returned before their commits
    stats = rec.stats()
    assert (stats.recorded, stats.lost, stats.spooled) == (60, 0, 0)
    assert len(rows(store_url)) == 60
    assert stats.groups < 60  # calls that ended together were committed together


def test_a_call_under_trio_is_recorded(rec: Recorder, store_url: str,
                                       serve: Callable[..., ScriptedServer]) -> None:
    server = serve(OK)

    async def main() -> list[dict[str, Any]]:
        async with client(rec, server.url) as c:
            await c.chat(MODEL, "hi")
            return rows(store_url)

    assert [r["status"] for r in anyio.run(main, backend="trio")] == ["ok"]
