"""``client.chat(..., agent=...)`` and ``task=...`` on the wire (issue 16, item 3): what the server receives
(model, system prompt, options), what the call lifecycle sees (the agent's name and tags), and the
precedence of the call's own arguments over the profile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import CallInfo, CallOutcome
from modelplex.errors import ProviderError
from modelplex.hookspecs import hookimpl
from modelplex_testing import Reply, ScriptedServer, serving

from .conftest import wire_env

Config = Callable[[str], Path]
CODER = '''
[agents.coder]
model = "groq/llama-3.3-70b-versatile"
system = "You are a careful senior engineer."
temperature = 0.2
max_tokens = 300
stop = ["END"]
extra = { service_tier = "flex", user = "agent" }
tags = { team = "platform" }
budget = "engineering"
description = "writes code"

[agents.triage]
task = "quick"

[routing.tasks]
quick = "groq/llama-3.1-8b-instant"
'''


class Seen:
    """A lifecycle plugin that keeps what ``modelplex_after_call`` was told."""

    def __init__(self) -> None:
        self.calls: list[CallInfo] = []

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.calls.append(call)


def test_an_agent_sends_its_model_system_prompt_and_options(config: Config, server: ScriptedServer) -> None:
    config(CODER)
    with modelplex.Client(env=wire_env(server)) as client:
        response = client.chat("Write a sort.", agent="coder")
    assert response.text == "ok"
    body = server.requests[-1].json
    assert body["model"] == "llama-3.3-70b-versatile"
    assert body["messages"] == [{"role": "system", "content": "You are a careful senior engineer."},
                                {"role": "user", "content": "Write a sort."}]
    assert body["temperature"] == 0.2
    assert body["max_completion_tokens"] == 300
    assert body["stop"] == ["END"]
    assert (body["service_tier"], body["user"]) == ("flex", "agent")


def test_the_calls_own_arguments_win_over_the_profile(config: Config, server: ScriptedServer) -> None:
    config(CODER)
    with modelplex.Client(env=wire_env(server)) as client:
        client.chat("groq/llama-3.1-8b-instant", "hi", agent="coder", system="Be brief.", temperature=0.9,
                    extra={"user": "caller"})
    body = server.requests[-1].json
    assert body["model"] == "llama-3.1-8b-instant"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["temperature"] == 0.9
    assert body["max_completion_tokens"] == 300  # not given by the call: the agent's
    assert (body["service_tier"], body["user"]) == ("flex", "caller")  # extra merged, the call's key wins


def test_an_options_object_wins_field_by_field(config: Config, server: ScriptedServer) -> None:
    config(CODER)
    with modelplex.Client(env=wire_env(server)) as client:
        client.chat(messages="hi", agent="coder", options=modelplex.ChatOptions(max_tokens=5))
    body = server.requests[-1].json
    assert (body["max_completion_tokens"], body["temperature"]) == (5, 0.2)


def test_the_agent_its_tags_and_budget_reach_the_call_lifecycle(config: Config,
                                                                server: ScriptedServer) -> None:
    config(CODER)
    seen = Seen()
    with modelplex.Client(env=wire_env(server), plugins={"seen": seen}) as client:
        client.chat("hi", agent="coder", caller="ci-bot")
        client.chat("hi", agent="coder", tags={"team": "search", "ticket": "T-1"})
        client.chat("hi", agent="triage")
        client.chat("hi", task="quick")
    assert [dict(c.tags) for c in seen.calls] == [
        {"team": "platform", "agent": "coder", "budget": "engineering"},
        {"team": "search", "agent": "coder", "budget": "engineering", "ticket": "T-1"},
        {"agent": "triage", "task": "quick"},
        {"task": "quick"},
    ]
    assert seen.calls[0].caller == "ci-bot"
    assert [c.address for c in seen.calls] == ["groq/llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile",
                                               "groq/llama-3.1-8b-instant", "groq/llama-3.1-8b-instant"]


@pytest.mark.parametrize(("call", "model"), [
    ({"task": "quick"}, "llama-3.1-8b-instant"),
    ({"agent": "triage"}, "llama-3.1-8b-instant"),  # an agent that names a task
    ({"agent": "coder", "task": "quick"}, "llama-3.1-8b-instant"),  # the call's task over the agent's model
    ({"model": "groq/qwen/qwen3-32b", "task": "quick"}, "qwen/qwen3-32b"),  # the call's model over all
])
def test_a_task_routes_to_its_model_and_the_call_decides_first(config: Config, server: ScriptedServer,
                                                               call: dict[str, Any], model: str) -> None:
    config(CODER)
    with modelplex.Client(env=wire_env(server)) as client:
        client.chat(messages="hi", **call)
    assert server.requests[-1].json["model"] == model


def test_an_agent_may_name_an_alias(config: Config, server: ScriptedServer) -> None:
    config('[aliases]\nsmall = "groq/llama-3.1-8b-instant"\n[agents.helper]\nmodel = "small"\n')
    with modelplex.Client(env=wire_env(server)) as client:
        client.chat("hi", agent="helper")
    assert server.requests[-1].json["model"] == "llama-3.1-8b-instant"


def test_a_stream_takes_the_agent_too(config: Config, streamer: ScriptedServer) -> None:
    config(CODER)
    with modelplex.Client(env=wire_env(streamer)) as client, client.stream("hi", agent="coder") as stream:
        text = "".join(e.text for e in stream if isinstance(e, modelplex.TextDelta))
    assert text == "ok"
    body = streamer.requests[-1].json
    assert (body["model"], body["stream"], body["temperature"]) == ("llama-3.3-70b-versatile", True, 0.2)
    assert body["messages"][0]["content"] == "You are a careful senior engineer."


def test_the_economy_tier_calls_the_cheapest_priced_fast_model_on_the_wire(config: Config,
                                                                            server: ScriptedServer) -> None:
    from modelplex._catalog.merge import known

    config('[routing.tasks]\nbulk = "tier/economy"\n')
    with modelplex.Client(env=wire_env(server)) as client:
        client.chat("hi", task="bulk")
        price = {m.id: m.prices.input + m.prices.output for m in known(client.async_client, "groq")
                 if m.tier == "fast" and m.prices.input is not None and m.prices.output is not None}
    assert len(price) > 1  # else nothing is chosen between
    assert server.requests[-1].json["model"] == min(price, key=lambda m: price[m])


def test_routing_tasks_alone_is_not_a_retry_policy(config: Config) -> None:
    # [routing] with a policy key makes plain calls retry; [routing.tasks] alone must not (and, before
    # tasks existed, 'tasks' was refused as an unknown [routing] key).
    config('[routing.tasks]\nquick = "groq/llama-3.1-8b-instant"\n')
    with serving(lambda: ScriptedServer([Reply.json({"error": {"message": "boom"}}, status=500)])) as start:
        failing = start()
        with modelplex.Client(env=wire_env(failing)) as client, pytest.raises(ProviderError):
            client.chat("groq/llama-3.1-8b-instant", "hi")
    assert len(failing.requests) == 1
