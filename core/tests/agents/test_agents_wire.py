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
from modelplex.errors import ServerError
from modelplex.hookspecs import hookimpl
from modelplex_testing import Reply, ScriptedServer, serving

from .conftest import Connect

Config = Callable[[str], Path]
CODER = '''
[agents.coder]
model = "acme/big-1"
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
quick = "acme/small-1"
'''


class Seen:
    """A lifecycle plugin that keeps what ``modelplex_after_call`` was told."""

    def __init__(self) -> None:
        self.calls: list[CallInfo] = []

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.calls.append(call)


def test_an_agent_sends_its_model_system_prompt_and_options(config: Config, connect: Connect,
                                                            server: ScriptedServer) -> None:
    config(CODER)
    response = connect(server).chat("Write a sort.", agent="coder")
    assert response.text == "ok"
    assert server.requests[-1].json == {
        "model": "big-1", "stream": False,
        "messages": [{"role": "system", "content": "You are a careful senior engineer."},
                     {"role": "user", "content": "Write a sort."}],
        "temperature": 0.2, "max_tokens": 300, "stop": ["END"], "service_tier": "flex", "user": "agent"}


def test_the_calls_own_arguments_win_over_the_profile(config: Config, connect: Connect,
                                                      server: ScriptedServer) -> None:
    config(CODER)
    connect(server).chat("acme/small-1", "hi", agent="coder", system="Be brief.", temperature=0.9,
                         extra={"user": "caller"})
    body = server.requests[-1].json
    assert body["model"] == "small-1"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["temperature"] == 0.9
    assert (body["max_tokens"], body["stop"]) == (300, ["END"])  # not given by the call: the agent's
    assert (body["service_tier"], body["user"]) == ("flex", "caller")  # extra merged, the call's key wins


def test_an_options_object_wins_field_by_field(config: Config, connect: Connect,
                                               server: ScriptedServer) -> None:
    config(CODER)
    connect(server).chat(messages="hi", agent="coder", options=modelplex.ChatOptions(max_tokens=5))
    body = server.requests[-1].json
    assert (body["max_tokens"], body["temperature"]) == (5, 0.2)


def test_the_agent_its_tags_and_budget_reach_the_call_lifecycle(config: Config, connect: Connect,
                                                                server: ScriptedServer) -> None:
    config(CODER)
    seen = Seen()
    client = connect(server, plugins={"seen": seen})
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
    assert [c.address for c in seen.calls] == ["acme/big-1", "acme/big-1", "acme/small-1", "acme/small-1"]


@pytest.mark.parametrize(("call", "model"), [
    ({"task": "quick"}, "small-1"),
    ({"agent": "triage"}, "small-1"),  # an agent that names a task
    ({"agent": "coder", "task": "quick"}, "small-1"),  # the call's task over the agent's model
    ({"model": "acme/mid-1", "task": "quick"}, "mid-1"),  # the call's model over all
])
def test_a_task_routes_to_its_model_and_the_call_decides_first(config: Config, connect: Connect,
                                                               server: ScriptedServer, call: dict[str, Any],
                                                               model: str) -> None:
    config(CODER)
    connect(server).chat(messages="hi", **call)
    assert server.requests[-1].json["model"] == model


def test_an_agent_may_name_an_alias(config: Config, connect: Connect, server: ScriptedServer) -> None:
    config('[aliases]\nsmall = "acme/small-1"\n[agents.helper]\nmodel = "small"\n')
    connect(server).chat("hi", agent="helper")
    assert server.requests[-1].json["model"] == "small-1"


def test_a_stream_takes_the_agent_too(config: Config, connect: Connect, server: ScriptedServer) -> None:
    config(CODER)
    with connect(server).stream("hi", agent="coder") as stream:
        text = "".join(e.text for e in stream if isinstance(e, modelplex.TextDelta))
    assert text == "ok"
    body = server.requests[-1].json
    assert (body["model"], body["stream"], body["temperature"]) == ("big-1", True, 0.2)
    assert body["messages"][0]["content"] == "You are a careful senior engineer."


@pytest.mark.parametrize(("route", "model"), [("tier/economy", "small-2"), ("tier/standard", "mid-1"),
                                              ("tier/premium", "big-1"), ("chain/economy", "small-2")])
def test_a_cost_tier_calls_its_model_on_the_wire(config: Config, connect: Connect, server: ScriptedServer,
                                                 route: str, model: str) -> None:
    # economy: the cheapest priced fast model (small-x has no price; small-2 costs 0.10 to small-1's 0.30);
    # standard and premium: the first of the tier that calls tools, in catalog order
    config(f'[routing.tasks]\nbulk = "{route}"\n')
    connect(server).chat("hi", task="bulk")
    assert server.requests[-1].json["model"] == model


def test_routing_tasks_alone_is_not_a_retry_policy(config: Config, connect: Connect) -> None:
    # [routing] with a policy key makes plain calls retry; [routing.tasks] alone must not (and, before
    # tasks existed, 'tasks' was refused as an unknown [routing] key).
    config('[routing.tasks]\nquick = "acme/small-1"\n')
    with serving(lambda: ScriptedServer([Reply.json({"error": "boom"}, status=500)])) as start:
        failing = start()
        with pytest.raises(ServerError):
            connect(failing).chat("acme/small-1", "hi")
    assert len(failing.requests) == 1


def test_the_agent_tag_is_the_profiles_name_unless_the_call_says_otherwise(config: Config, connect: Connect,
                                                                         server: ScriptedServer) -> None:
    config('[agents.coder]\nmodel = "acme/small-1"\ntags = { agent = "someone-else", team = "platform" }\n')
    seen = Seen()
    client = connect(server, plugins={"seen": seen})
    client.chat("hi", agent="coder")
    client.chat("hi", agent="coder", tags={"agent": "coder-v2"})
    assert [c.tags["agent"] for c in seen.calls] == ["coder", "coder-v2"]
