"""The agent's name reaches the governance policy (issue 16, item 3, with issue 15's ``[policy]``): a rule
matching ``agent = "coder"`` decides the agent's calls, and only those, before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelplex.errors import PolicyDenied
from modelplex_testing import ScriptedServer

from .conftest import Connect

CONFIG = '''
[agents.coder]
model = "acme/big-1"

[agents.helper]
model = "acme/big-1"

[[policy.rules]]
name = "coders use small models"
match = { agent = "coder" }
models = ["acme/small-*"]
'''


def test_a_policy_rule_matching_an_agent_decides_that_agents_calls(config: Callable[[str], Path],
                                                                    connect: Connect,
                                                                    server: ScriptedServer) -> None:
    config(CONFIG)
    client = connect(server)
    with pytest.raises(PolicyDenied, match="coders use small models"):
        client.chat("hi", agent="coder")
    assert server.requests == []
    client.chat("acme/small-1", "hi", agent="coder")  # the call's model, which the rule allows
    client.chat("hi", agent="helper")  # another agent: the rule does not match
    client.chat("acme/big-1", "hi")  # no agent
    assert [r.json["model"] for r in server.requests] == ["small-1", "big-1", "big-1"]
