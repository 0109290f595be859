"""``modelplex chat --agent NAME`` and ``--task TASK`` (issue 16, item 3), against a scripted server: the
model, system prompt and options sent; ``-m``, ``--system`` and ``-o`` winning; errors in one line."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex_testing import ScriptedServer

from .conftest import KEY

Config = Callable[[str], Path]
CONFIG = '''
[agents.coder]
model = "groq/llama-3.3-70b-versatile"
system = "You are a careful senior engineer."
temperature = 0.2
max_tokens = 300

[routing.tasks]
quick = "groq/llama-3.1-8b-instant"
'''


@pytest.fixture(autouse=True)
def groq(streamer: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    monkeypatch.setenv("GROQ_BASE_URL", streamer.url)


def run(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_chat_with_an_agent_sends_its_model_system_prompt_and_options(config: Config,
                                                                       streamer: ScriptedServer) -> None:
    config(CONFIG)
    result = run(["chat", "--agent", "coder", "Write a sort."])
    assert (result.exit_code, result.stdout.strip()) == (0, "ok"), result.output
    body = streamer.requests[-1].json
    assert body["model"] == "llama-3.3-70b-versatile"
    assert body["messages"] == [{"role": "system", "content": "You are a careful senior engineer."},
                                {"role": "user", "content": "Write a sort."}]
    assert (body["temperature"], body["max_completion_tokens"]) == (0.2, 300)


def test_model_system_and_options_on_the_command_line_win(config: Config, streamer: ScriptedServer) -> None:
    config(CONFIG)
    result = run(["chat", "--agent", "coder", "-m", "groq/qwen/qwen3-32b", "--system", "Be brief.",
                  "-o", "temperature=0.9", "hi"])
    assert result.exit_code == 0, result.output
    body = streamer.requests[-1].json
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == ("qwen/qwen3-32b", 0.9, 300)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_chat_with_a_task_uses_its_route(config: Config, streamer: ScriptedServer) -> None:
    config(CONFIG)
    assert run(["chat", "--task", "quick", "hi"]).exit_code == 0
    assert streamer.requests[-1].json["model"] == "llama-3.1-8b-instant"
    # an agent's or a task's model is theirs: it does not become the model of a plain chat
    plain = run(["chat", "hi"])
    assert plain.exit_code == 2
    assert "no model given and no default" in plain.stderr


def test_an_unknown_agent_or_task_is_one_line_naming_what_there_is(config: Config,
                                                                  streamer: ScriptedServer) -> None:
    path = config(CONFIG)
    agent = run(["chat", "--agent", "codr", "hi"])
    assert agent.exit_code == 1
    assert agent.stderr.strip().splitlines() == [
        f"error: unknown agent 'codr'; did you mean 'coder'? (agents: coder; define it as [agents.codr] in "
        f"config file {path})"]
    task = run(["chat", "--task", "quik", "hi"])
    assert task.exit_code == 1
    assert "unknown task 'quik'; did you mean 'quick'? (tasks: coding, local, quick, " in task.stderr
    assert streamer.requests == []


def test_agents_lists_each_profile_and_task_with_what_it_resolves_to(config: Config,
                                                                      streamer: ScriptedServer) -> None:
    config(CONFIG + '[agents.triage]\ntask = "summarization"\ndescription = "sorts tickets"\n'
                    '[agents.typo]\nmodel = "groq/llama-3.3-70b-versatil"\nbudget = "ops"\n')
    result = run(["agents", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["agents"] == [
        {"name": "coder", "route": "groq/llama-3.3-70b-versatile", "budget": None, "description": None,
         "resolves_to": {"address": "groq/llama-3.3-70b-versatile"}},
        {"name": "triage", "route": "task summarization", "budget": None, "description": "sorts tickets",
         "resolves_to": {"address": "chain/economy", "models": ["groq/llama-3.1-8b-instant"]}},
        {"name": "typo", "route": "groq/llama-3.3-70b-versatil", "budget": "ops", "description": None,
         "resolves_to": {"error": "the catalog knows no model groq/llama-3.3-70b-versatil; did you mean "
                                  "groq/llama-3.3-70b-versatile? (see 'modelplex models groq', or declare it "
                                  "under [models.\"groq/llama-3.3-70b-versatil\"])"}},
    ]
    tasks = {t["name"]: (t["source"], t["route"]) for t in listed["tasks"]}
    assert tasks == {"coding": ("built-in", "tier/premium"), "local": ("built-in", "chain/local"),
                     "quick": ("config", "groq/llama-3.1-8b-instant"),
                     "reasoning": ("built-in", "tier/premium"), "summarization": ("built-in", "tier/economy")}
    table = run(["agents"]).stdout.splitlines()
    assert table[0].split() == ["AGENT", "ROUTE", "RESOLVES", "TO", "DESCRIPTION"]
    assert table[2].split() == ["triage", "task", "summarization", "chain/economy",
                                "(groq/llama-3.1-8b-instant)", "sorts", "tickets"]
    assert table[3].startswith("typo ") and "unavailable: the catalog knows no model" in table[3]
    assert streamer.requests == []  # listing sends nothing
