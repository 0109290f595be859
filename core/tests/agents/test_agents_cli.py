"""``modelplex chat --agent NAME`` and ``--task TASK`` (issue 16, item 3), against a scripted server: the
model, system prompt and options sent; ``-m``, ``--system`` and ``-o`` winning; errors in one line."""

from __future__ import annotations

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
