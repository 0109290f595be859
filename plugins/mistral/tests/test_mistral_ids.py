"""Mistral's tool-call id rule (exactly nine letters and digits) on a conversation begun elsewhere,
sent through the plugin to a replay of the real Mistral follow-up (``03_tool_result_followup``)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from modelplex_mistral.ids import NineCharIds, takes
from modelplex_mistral.plugin import PLUGIN

from modelplex import AsyncClient, Message, TextPart, ToolCallPart
from modelplex_testing import Recording, Replayer

FOLLOWUP = Recording.load(Path(__file__).parent / "fixtures" / "mistral" / "03_tool_result_followup.json")
NINE = re.compile(r"[A-Za-z0-9]{9}")
# Ids as other providers gave them: xAI's, Claude's through OpenRouter, OpenAI's, and Mistral's own.
FOREIGN = ["call_05822893", "toolu_bdrk_01ADw53o3uvrGvccVaVYUX4G", "call_abc-def", "wyFNfgjhN"]


def sent_messages(messages: list[Message]) -> list[dict[str, object]]:
    replayer = Replayer(FOLLOWUP)

    async def go() -> None:
        async with AsyncClient(autoload=False, config_file=False, env={}, plugins={"mistral": PLUGIN},
                providers={"mistral": {"api_key": "k", "transport": replayer.transport}}) as client:
            await client.chat("mistral/mistral-small-latest", messages)
    asyncio.run(go())
    sent: list[dict[str, object]] = replayer.sent_json(0)["messages"]
    return sent


def conversation(ids: list[str]) -> list[Message]:
    calls = [ToolCallPart(id=i, name="weather", arguments={"n": n}) for n, i in enumerate(ids)]
    return [Message.user("weather?"), Message.assistant([TextPart(text=""), *calls]),
            *[Message.tool(i, f"result {n}") for n, i in enumerate(ids)]]


def test_foreign_ids_are_sent_as_nine_characters_matching_their_results() -> None:
    sent = sent_messages(conversation(FOREIGN))
    calls = [c["id"] for c in sent[1]["tool_calls"]]  # type: ignore[union-attr]
    results = [m["tool_call_id"] for m in sent[2:]]
    assert all(NINE.fullmatch(i) for i in [*calls, *results]), (calls, results)
    assert calls == results  # each result still answers its call
    assert len(set(calls)) == len(calls)
    assert calls[3] == "wyFNfgjhN"  # Mistral's own id travels as it came
    assert sent_messages(conversation(FOREIGN)) == sent  # the same conversation, the same ids


def test_a_made_id_never_takes_an_id_mistral_gave() -> None:
    ids = NineCharIds(kept={"wyFNfgjhN"})
    made = {ids(f"call_{n}") for n in range(2000)}
    assert len(made) == 2000 and "wyFNfgjhN" not in made
    assert all(takes(i) for i in made)
    assert not takes("call_05822893") and not takes("abc_12345") and takes("5K7IOShCC")
