"""``modelplex chat --agent NAME`` and ``--task TASK`` (issue 16, item 3), against a scripted server: the
model, system prompt and options sent; ``-m``, ``--system`` and ``-o`` winning; errors in one line. The
command is handed a client with the tests' acme plugin (``cli.main(obj=client)``: used as is)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex_testing import ScriptedServer

from .conftest import Connect

Config = Callable[[str], Path]
CONFIG = '''
[agents.coder]
model = "acme/big-1"
system = "You are a careful senior engineer."
temperature = 0.2
max_tokens = 300

[routing.tasks]
quick = "acme/small-1"
'''


Run = Callable[[Sequence[str]], Result]


@pytest.fixture
def run(connect: Connect, server: ScriptedServer) -> Run:
    """``modelplex ARGS`` with a client (its config file read anew) reaching acme at ``server``."""
    def invoke(args: Sequence[str]) -> Result:
        return CliRunner().invoke(cli, list(args), obj=connect(server), catch_exceptions=False)
    return invoke


@pytest.mark.parametrize("how", [[], ["--no-stream"], ["--json"]])
def test_chat_with_an_agent_sends_its_model_system_prompt_and_options(config: Config, server: ScriptedServer,
                                                                       run: Run, how: list[str]) -> None:
    config(CONFIG)
    result = run(["chat", *how, "--agent", "coder", "Write a sort."])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)["text"] if how == ["--json"] else result.stdout.strip()
    assert shown == "ok"
    body = server.requests[-1].json
    assert body["model"] == "big-1"
    assert body["messages"] == [{"role": "system", "content": "You are a careful senior engineer."},
                                {"role": "user", "content": "Write a sort."}]
    assert (body["stream"], body["temperature"], body["max_tokens"]) == (how != ["--no-stream"], 0.2, 300)


def test_model_system_and_options_on_the_command_line_win(config: Config, server: ScriptedServer,
                                                          run: Run) -> None:
    config(CONFIG)
    result = run(["chat", "--agent", "coder", "-m", "acme/mid-1", "--system", "Be brief.",
                  "-o", "temperature=0.9", "hi"])
    assert result.exit_code == 0, result.output
    body = server.requests[-1].json
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("mid-1", 0.9, 300)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_chat_with_a_task_uses_its_route(config: Config, server: ScriptedServer, run: Run) -> None:
    config(CONFIG)
    assert run(["chat", "--task", "quick", "hi"]).exit_code == 0
    assert server.requests[-1].json["model"] == "small-1"
    # an agent's or a task's model is theirs: it does not become the model of a plain chat
    plain = run(["chat", "hi"])
    assert plain.exit_code == 2
    assert "no model given and no default" in plain.stderr


def test_an_unknown_agent_or_task_is_one_line_naming_what_there_is(config: Config, server: ScriptedServer,
                                                                  run: Run) -> None:
    path = config(CONFIG)
    agent = run(["chat", "--agent", "codr", "hi"])
    assert agent.exit_code == 1
    assert agent.stderr.strip().splitlines() == [
        f"error: unknown agent 'codr'; did you mean 'coder'? (agents: coder; define it as [agents.codr] in "
        f"config file {path})"]
    task = run(["chat", "--task", "quik", "hi"])
    assert task.exit_code == 1
    assert "unknown task 'quik'; did you mean 'quick'? (tasks: coding, local, quick, " in task.stderr
    assert server.requests == []


def test_agents_lists_each_profile_and_task_with_what_it_resolves_to(config: Config, server: ScriptedServer,
                                                                      run: Run) -> None:
    config(CONFIG + '[agents.triage]\ntask = "summarization"\ndescription = "sorts tickets"\n'
                    '[agents.typo]\nmodel = "acme/bgi-1"\nbudget = "ops"\n')
    result = run(["agents", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["agents"] == [
        {"name": "coder", "route": "acme/big-1", "budget": None, "description": None,
         "resolves_to": {"address": "acme/big-1"}},
        {"name": "triage", "route": "task summarization", "budget": None, "description": "sorts tickets",
         "resolves_to": {"address": "chain/economy", "models": ["acme/small-2"]}},
        {"name": "typo", "route": "acme/bgi-1", "budget": "ops", "description": None,
         "resolves_to": {"error": "the catalog knows no model acme/bgi-1; did you mean acme/big-1? (see "
                                  "'modelplex models acme', or declare it under [models.\"acme/bgi-1\"])"}},
    ]
    tasks = {t["name"]: (t["source"], t["route"]) for t in listed["tasks"]}
    assert tasks == {"coding": ("built-in", "tier/premium"), "local": ("built-in", "chain/local"),
                     "quick": ("config", "acme/small-1"),
                     "reasoning": ("built-in", "tier/premium"), "summarization": ("built-in", "tier/economy")}
    table = run(["agents"]).stdout.splitlines()
    assert table[0].split() == ["AGENT", "ROUTE", "RESOLVES", "TO", "DESCRIPTION"]
    assert table[2].split() == ["triage", "task", "summarization", "chain/economy",
                                "(acme/small-2)", "sorts", "tickets"]
    assert table[3].startswith("typo ") and "unavailable: the catalog knows no model" in table[3]
    assert server.requests == []  # listing sends nothing
