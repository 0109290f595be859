"""Conversations in the store (issue 16, item 1), on SQLite and PostgreSQL: every kind of part, usage and
cost round-trips; branches; ids by prefix; listing with costs (unknown stays unknown); deleting keeps the
usage rows; and, through a real client on the wire, each reply linked to its usage row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from exchange import KEY, MODEL, recorder, rows
from modelplex_groq.plugin import PLUGIN as GROQ
from modelplex_store.conversations import SqlConversations
from modelplex_store.db import connect
from modelplex_store.plugin import StorePlugin

import modelplex
from modelplex import (
    Cost,
    ImagePart,
    Origin,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from modelplex._conversation import ConversationMessage, ConversationRecord
from modelplex.errors import ConfigurationError
from modelplex_testing import Reply, ScriptedServer

ORIGIN = Origin(provider="anthropic", model="claude-sonnet-4-0")


@pytest.fixture
def store(store_url: str) -> Iterator[SqlConversations]:
    conversations = SqlConversations(store_url)
    yield conversations
    conversations.close()


def record(id: str, **fields: Any) -> ConversationRecord:
    return ConversationRecord(id=id, created_at=1_800_000_000.0, updated_at=1_800_000_000.5, **fields)


def reply(id: str, parent: str, *, sibling: int = 0, cost: Decimal | None = Decimal("0.0000123"),
          at: float = 1_800_000_001.0) -> ConversationMessage:
    zero = Decimal(0)
    priced = Cost(input=cost, cache_read=zero, cache_write=zero, cache_write_1h=zero, output=zero,
                  reasoning=zero, status="exact" if cost is not None else "unknown")
    return ConversationMessage(id=id, role="assistant", parts=(TextPart(text=f"reply {id}"),),
                               parent_id=parent, sibling=sibling, provider="anthropic",
                               requested="anthropic/claude-sonnet-4-0",
                               model="claude-sonnet-4-20250514", usage=Usage(input=12, output=3),
                               cost=priced, created_at=at)


def user(id: str, parent: str | None, text: str = "hi", *, sibling: int = 0,
         at: float = 1_800_000_000.0) -> ConversationMessage:
    return ConversationMessage(id=id, role="user", parts=(TextPart(text=text),), parent_id=parent,
                               sibling=sibling, created_at=at)


def test_every_kind_of_part_usage_and_cost_round_trip(store: SqlConversations, store_url: str) -> None:
    parts = (
        ReasoningPart(text="Let me think.", origin=ORIGIN, signature="sig-1", redacted_data="enc=="),
        TextPart(text="Zürich: 22 °C ☀ «ok» 東京"),
        ToolCallPart(id="toolu_1", name="weather", arguments={"city": "Zürich", "days": [1, 2]},
                     raw_arguments=None, signature="gem-sig", origin=ORIGIN),
        ImagePart(data=b"\x89PNG\r\n\x00\xff", media_type="image/png"),
    )
    usage = Usage(input=100, cache_read=20, cache_write=5, cache_write_1h=1, output=40, reasoning=9,
                  reported_cost=Decimal("0.0042"))
    cost = Cost(input=Decimal("0.0003"), cache_read=Decimal("0.000006"), cache_write=Decimal("0.00001875"),
                cache_write_1h=Decimal("0.000006"), output=Decimal("0.0006"), reasoning=Decimal("0.000135"),
                status="exact", price_version="catalog:2026-12-01")
    first = user("m1", None, "weather?")
    answer = ConversationMessage(id="m2", role="assistant", parts=parts, parent_id="m1", provider="anthropic",
                                 requested="anthropic/claude-sonnet-4-0", model="claude-sonnet-4-20250514",
                                 usage=usage, cost=cost, call_id="0193-call", created_at=1_800_000_002.25)
    result = ToolResultPart(tool_call_id="toolu_1", content="22", is_error=True)
    results = ConversationMessage(id="m3", role="tool", parent_id="m2", created_at=1_800_000_003.0,
                                  parts=(result,))
    saved = record("c1", title="Weather", model="anthropic/claude-sonnet-4-0", system="Be brief.",
                   options={"temperature": 0.2, "stop": ["END"]}, head="m3")
    store.save(record("c1"))
    stored = store.append("c1", [first, answer, results], saved)

    loaded, messages = store.load("c1")
    assert loaded == saved
    assert messages == stored == [first, answer, results]
    db = connect(store_url)
    try:
        nanos = db.execute("SELECT cost_nanos FROM messages WHERE id = 'm2'").fetchone()[0]
    finally:
        db.close()
    assert nanos == 1_065_750  # $0.00106575, exactly, in nano-dollars


def test_branches_keep_every_sibling_and_the_head(store: SqlConversations) -> None:
    store.save(record("c1"))
    store.append("c1", [user("u1", None), reply("a1", "u1")], record("c1", head="a1"))
    store.append("c1", [reply("a2", "u1", sibling=1, at=1_800_000_005.0)], record("c1", head="a2"))
    store.append("c1", [user("u2", None, "edited", sibling=1, at=1_800_000_006.0),
                        reply("a3", "u2", at=1_800_000_007.0)], record("c1", head="a3"))
    loaded, messages = store.load("c1")
    assert loaded.head == "a3"
    assert [(m.id, m.parent_id, m.sibling) for m in messages] == [
        ("u1", None, 0), ("a1", "u1", 0), ("a2", "u1", 1), ("u2", None, 1), ("a3", "u2", 0)]


def test_an_id_is_found_by_a_unique_beginning_and_refused_otherwise(store: SqlConversations) -> None:
    for id in ("0a1b2c-first", "0a1b2c-second", "ffee-third"):
        store.save(record(id))
    assert store.load("ffee")[0].id == "ffee-third"
    assert store.load("0a1b2c-first")[0].id == "0a1b2c-first"
    with pytest.raises(ConfigurationError, match="beginning of several conversations"):
        store.load("0a1b")
    with pytest.raises(ConfigurationError, match="no conversation 'nope'"):
        store.load("nope")
    with pytest.raises(ConfigurationError, match="no conversation '%'"):
        store.load("%")  # a LIKE wildcard is no prefix of every id


def test_list_is_newest_first_with_costs_and_unknown_stays_unknown(store: SqlConversations) -> None:
    store.save(record("old"))
    store.append("old", [user("u1", None), reply("a1", "u1"), user("u2", "a1", at=1_800_000_002.0),
                         reply("a2", "u2", at=1_800_000_003.0)],
                 attrs_evolve(record("old", head="a2"), updated_at=1_800_000_010.0))
    store.save(record("new"))
    store.append("new", [user("u3", None), reply("a3", "u3", cost=None)],
                 attrs_evolve(record("new", head="a3"), updated_at=1_800_000_020.0))
    listed = store.list()
    assert [(s.record.id, s.messages, s.cost) for s in listed] == [
        ("new", 2, None), ("old", 4, Decimal("0.0000246"))]
    assert store.latest() == "new"
    assert store.list(1)[0].record.id == "new"


def attrs_evolve(value: ConversationRecord, **changes: Any) -> ConversationRecord:
    import attrs

    return attrs.evolve(value, **changes)


def test_replies_link_to_their_usage_rows_and_deleting_keeps_those(
        store_url: str, tmp_path: Path) -> None:
    body = {"id": "c", "object": "chat.completion", "model": "llama-3.3-70b-versatile",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"},
                         "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 2}}
    rec = recorder(store_url, tmp_path)

    async def main(server: ScriptedServer) -> tuple[str, list[ConversationMessage]]:
        client = modelplex.AsyncClient(plugins={"groq": GROQ, "store": StorePlugin(rec)}, autoload=False,
                                       config_file=False, env={"MODELPLEX_STORE_URL": store_url},
                                       providers={"groq": {"api_key": KEY, "base_url": server.url}})
        async with client:
            conversation = client.conversation(model=MODEL)
            await conversation.send("hi", tags={"user": "ana"})
            await conversation.send("again")
            return conversation.id, list(conversation.messages)

    try:
        with ScriptedServer([Reply.json(body)]) as server:
            cid, messages = asyncio.run(main(server))
    finally:
        rec.close()
    calls = rows(store_url)
    replies = [m for m in messages if m.role == "assistant"]
    assert [m.call_id for m in replies] == [c["id"] for c in calls]
    assert [(c["conversation_id"], c["message_id"]) for c in calls] == [(cid, m.id) for m in replies]
    assert calls[0]["user_id"] == "ana"  # the caller's own tags kept beside the conversation's
    assert all(m.cost is not None and m.cost.total is not None for m in replies)

    conversations = SqlConversations(store_url)
    try:
        assert conversations.load(cid)[1] == messages  # as the client held them, call ids included
        assert conversations.delete(cid[:14]) == cid
        with pytest.raises(ConfigurationError):
            conversations.load(cid)
    finally:
        conversations.close()
    assert len(rows(store_url)) == 2  # the usage log keeps its calls
    db = connect(store_url)
    try:
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    finally:
        db.close()
