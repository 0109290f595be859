"""Conversations from Python (issue 16, item 1), through the call path with the scripted fake provider
configured as two providers (``a`` and ``b``) and an observer of the call lifecycle that keeps what each
call was asked: the history sent, the model, the options and the tags that link a reply to its usage row.

Storage is a plugin's (``modelplex_conversation_store``): here a small one kept in a dict, which the
hook contract is tested against; without any, a conversation lives in memory. The store itself and the
wire (every pair of real providers) are tested in ``plugins/store/tests/test_conversations.py`` and
``tests/test_conversations_handoff.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import attrs
import pytest

import modelplex
from modelplex import CallInfo, CallOutcome, ReasoningPart
from modelplex._conversation import ConversationMessage, ConversationRecord, ConversationSummary
from modelplex.errors import ConfigurationError, ServerError
from modelplex.hookspecs import hookimpl
from modelplex_testing import fake


class Observer:
    """Keeps each call's info, as the usage store would see it."""

    def __init__(self) -> None:
        self.calls: list[CallInfo] = []

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        if outcome.status == "ok":
            self.calls.append(call)

    def sent(self, index: int = -1) -> list[tuple[str, str]]:
        request = self.calls[index].request
        assert isinstance(request, modelplex.ChatRequest)
        return [(m.role, m.text) for m in request.messages]


class DictStore:
    """A conversation store in memory, as a plugin gives one (``modelplex_conversation_store``)."""

    def __init__(self) -> None:
        self.records: dict[str, ConversationRecord] = {}
        self.messages: dict[str, list[ConversationMessage]] = {}
        self.saves = 0

    @hookimpl
    def modelplex_conversation_store(self, config: Any, env: Any) -> DictStore:
        return self

    def save(self, record: ConversationRecord) -> None:
        self.saves += 1
        self.records[record.id] = record

    def append(self, conversation_id: str, messages: Sequence[ConversationMessage],
               record: ConversationRecord) -> list[ConversationMessage]:
        linked = [attrs.evolve(m, call_id=f"call-of-{m.id}") if m.role == "assistant" else m
                  for m in messages]
        self.messages.setdefault(conversation_id, []).extend(linked)
        self.records[record.id] = record
        return linked

    def load(self, id: str) -> tuple[ConversationRecord, list[ConversationMessage]]:
        if id not in self.records:
            raise ConfigurationError(f"no conversation {id!r}")
        return self.records[id], list(self.messages.get(id, []))

    def latest(self) -> str | None:
        return max(self.records.values(), key=lambda r: r.updated_at).id if self.records else None

    def list(self, limit: int = 20) -> list[ConversationSummary]:
        return [ConversationSummary(record=r) for r in self.records.values()][:limit]

    def delete(self, id: str) -> str:
        del self.records[id]
        return id


SCRIPT = [{"text": "first answer", "reasoning": "thinking one", "usage": {"input": 5, "output": 2}},
          {"text": "second answer", "usage": {"input": 9, "output": 2}},
          {"text": "third answer", "usage": {"input": 13, "output": 2}}]


def client(observer: Observer, store: DictStore | None = None) -> modelplex.Client:
    plugins: dict[str, object] = {"fake": fake, "observer": observer}
    if store is not None:
        plugins["store"] = store
    return modelplex.Client(plugins=plugins, autoload=False, config_file=False, env={},
                            providers={"a": {"plugin": "fake", "script": SCRIPT},
                                       "b": {"plugin": "fake", "script": SCRIPT}})


def test_switching_the_model_affects_only_later_messages() -> None:
    seen = Observer()
    with client(seen) as c:
        conversation = c.conversation(model="a/m1")
        first = conversation.send("hello")
        conversation.model = "b/m2"
        conversation.send("and you?")
    assert [call.address for call in seen.calls] == ["a/m1", "b/m2"]
    assert seen.sent() == [("user", "hello"), ("assistant", "first answer"), ("user", "and you?")]
    assert [m.label for m in conversation.messages] == [None, "a/m1", None, "b/m2"]
    assert [m.requested for m in conversation.messages] == [None, "a/m1", None, "b/m2"]
    reply = conversation.messages[1]
    assert reply.parts == first.parts and reply.usage == first.usage and reply.cost == first.cost
    # The reasoning keeps its origin: the next model's plugin decides by it (the hand-off rules).
    assert next(p for p in reply.parts if isinstance(p, ReasoningPart)).origin == modelplex.Origin(
        provider="a", model="m1")
    assert conversation.title == "hello" and not conversation.saved


def test_each_call_is_tagged_with_the_conversation_and_its_reply_beside_the_callers_tags() -> None:
    seen = Observer()
    with client(seen) as c:
        conversation = c.conversation(model="a/m1")
        conversation.send("hello", tags={"team": "search"})
        conversation.send("again")
    replies = [m for m in conversation.messages if m.role == "assistant"]
    assert [dict(call.tags) for call in seen.calls] == [
        {"team": "search", "conversation": conversation.id, "message": replies[0].id},
        {"conversation": conversation.id, "message": replies[1].id}]


def test_system_prompt_and_default_options_apply_and_a_calls_own_options_win() -> None:
    seen = Observer()
    with client(seen) as c:
        conversation = c.conversation(model="a/m1", system="Be brief.", options={"temperature": 0.2})
        conversation.send("one")
        conversation.send("two", temperature=0.9)
        conversation.options = {"max_tokens": 50}
        conversation.send("three")
    requests = [call.request for call in seen.calls]
    assert all(isinstance(r, modelplex.ChatRequest) for r in requests)
    assert [r.options.temperature for r in requests] == [0.2, 0.9, None]  # type: ignore[union-attr]
    assert requests[2].options.max_tokens == 50  # type: ignore[union-attr]
    assert seen.sent(0) == [("system", "Be brief."), ("user", "one")]


def test_regenerate_and_edit_make_siblings_and_branch_moves_between_them() -> None:
    seen = Observer()
    with client(seen) as c:
        conversation = c.conversation(model="a/m1")
        conversation.send("question")
        first_reply = conversation.messages[1]
        conversation.regenerate(model="b/m2")  # this message alone from b
        assert seen.sent() == [("user", "question")]  # the old reply is not sent again
        second_reply = conversation.messages[1]
        assert [m.id for m in conversation.siblings(first_reply.id)] == [first_reply.id, second_reply.id]
        assert (second_reply.sibling, second_reply.label, conversation.model) == (1, "b/m2", "a/m1")

        question = conversation.messages[0]
        conversation.edit(question.id, "a better question")
        assert seen.sent() == [("user", "a better question")]
        assert [m.text for m in conversation.messages] == ["a better question", "second answer"]
        assert [m.sibling for m in conversation.siblings(question.id)] == [0, 1]

        conversation.branch(first_reply.id)
        assert [m.id for m in conversation.messages] == [question.id, first_reply.id]
        assert len(conversation.all_messages) == 5
        with pytest.raises(ConfigurationError, match="only a user message can be edited"):
            conversation.edit(first_reply.id, "no")
        with pytest.raises(ConfigurationError, match="no message 'nope'"):
            conversation.branch("nope")


def test_a_failed_call_keeps_nothing_and_the_conversation_goes_on() -> None:
    seen, store = Observer(), DictStore()
    with modelplex.Client(plugins={"a": fake, "observer": seen, "store": store}, autoload=False,
                          config_file=False, env={},
                          providers={"a": {"script": [{"error": {"status": 500}}, {"text": "ok"}]}},
                          routing={"retries": 0}) as c:
        conversation = c.conversation(model="a/m1")
        with pytest.raises(ServerError):
            conversation.send("first try")
        assert len(conversation.messages) == 0
        conversation.model = "a/m2"
        assert store.records == {} and store.saves == 0  # a first call that failed leaves nothing stored
        conversation.send("second try")
        assert list(store.records) == [conversation.id] and store.records[conversation.id].model == "a/m2"
    kept: tuple[ConversationMessage, ...] = conversation.messages
    assert [m.text for m in kept] == ["second try", "ok"]


def test_streams_keep_their_exchange_once_the_reply_came() -> None:
    seen = Observer()
    with client(seen) as c:
        conversation = c.conversation(model="a/m1")
        with conversation.stream("streamed") as stream:
            text = "".join(e.text for e in stream if isinstance(e, modelplex.TextDelta))
        assert text == "first answer" and stream.response is not None
        assert [m.text for m in conversation.messages] == ["streamed", "first answer"]

    async def main() -> list[str]:
        async with modelplex.AsyncClient(plugins={"b": fake}, autoload=False, config_file=False, env={},
                                         providers={"b": {"script": SCRIPT}}) as ac:
            conv = ac.conversation(model="b/m2")
            await conv.send("one")
            async with conv.stream("two") as s:
                async for _ in s:
                    pass
            return [m.label or m.text for m in conv.messages]

    assert asyncio.run(main()) == ["one", "b/m2", "two", "b/m2"]


def test_a_plugins_store_keeps_the_conversation_and_another_client_continues_it() -> None:
    store, seen = DictStore(), Observer()
    with client(seen, store) as c:
        conversation = c.conversation(model="a/m1", title="Plans")
        conversation.send("hello")
        conversation.model = "b/m2"
        assert store.records[conversation.id].model == "b/m2"  # the switch is kept at once
        cid = conversation.id
    assert conversation.saved and conversation.messages[1].call_id == f"call-of-{conversation.messages[1].id}"

    with client(seen, store) as again:
        continued = again.conversation(cid)
        assert (continued.model, continued.title, len(continued.messages)) == ("b/m2", "Plans", 2)
        continued.send("more")
        assert seen.sent() == [("user", "hello"), ("assistant", "first answer"), ("user", "more")]
        assert seen.calls[-1].address == "b/m2"
        switched = again.conversation(cid, model="a/m1")  # given fields switch a stored one
        assert switched.model == "a/m1" and store.records[cid].model == "a/m1"
    assert [m.label for m in store.messages[cid]] == [None, "a/m1", None, "b/m2"]


def test_without_a_store_a_conversation_lives_in_memory_and_cannot_be_reopened() -> None:
    with client(Observer()) as c:
        assert not c.conversation(model="a/m1").saved
        with pytest.raises(ConfigurationError, match="pip install modelplex-store"):
            c.conversation("0123abc")
