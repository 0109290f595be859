"""A misconfigured agent or task (issue 16, item 3) is a typed error naming what is available, raised before
anything is sent, never a silent default: a bad table fails when the config file is read (naming the file,
the table and the field), what a profile points at when it is first used."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ConfigurationError, UnknownModelError
from modelplex_testing import ScriptedServer

from .conftest import wire_env

Config = Callable[[str], Path]
MODEL = 'model = "groq/llama-3.1-8b-instant"\n'


def refused(server: ScriptedServer, error: type[Exception], **call: Any) -> str:
    """The message of the error the call raises; nothing reached the server."""
    with modelplex.Client(env=wire_env(server)) as client, pytest.raises(error) as info:
        client.chat(messages="hi", **call)
    assert server.requests == []
    return str(info.value)


@pytest.mark.parametrize(("table", "expected"), [
    (MODEL + 'temperature = "hot"',
     r"\[agents.coder\] temperature: expected a number"),
    (MODEL + 'max_tokens = 0', r"\[agents.coder\] max_tokens: "),
    (MODEL + 'temprature = 0.2',
     r"\[agents.coder\]: unknown key 'temprature'; did you mean 'temperature'\? \(an agent takes budget, "),
    (MODEL + 'task = "quick"', r"\[agents.coder\]: give model or task, not both"),
    (MODEL + 'tags = { team = 1 }', r"\[agents.coder\] tags: expected a table"),
    ('model = ""', r"\[agents.coder\] model: expected a non-empty string"),
    (MODEL + 'include_raw = true', r"\[agents.coder\]: unknown key 'include_raw' "),
])
def test_a_bad_agent_table_fails_when_the_file_is_read(config: Config, server: ScriptedServer, table: str,
                                                      expected: str) -> None:
    path = config(f"[agents.coder]\n{table}\n")
    # Any call reads the file: a plain one fails too, since the file is wrong.
    message = refused(server, ConfigurationError, model="groq/llama-3.1-8b-instant")
    assert re.search(re.escape(f"config file {path}: ") + expected, message), message


def test_a_bad_task_route_fails_when_the_file_is_read(config: Config, server: ScriptedServer) -> None:
    path = config("[routing.tasks]\nquick = 3\n")
    message = refused(server, ConfigurationError, model="groq/llama-3.1-8b-instant")
    assert message.startswith(f"config file {path}: [routing.tasks] quick: expected an address")


def test_an_unknown_agent_names_the_agents_and_a_close_one(config: Config, server: ScriptedServer) -> None:
    path = config('[agents.coder]\nmodel = "groq/llama-3.1-8b-instant"\n[agents.writer]\ntask = "quick"\n')
    assert refused(server, ConfigurationError, agent="codr") == (
        f"unknown agent 'codr'; did you mean 'coder'? (agents: coder, writer; define it as [agents.codr] "
        f"in config file {path})")
    assert "did you mean" not in refused(server, ConfigurationError, agent="zzzz")


def test_with_no_agent_defined_the_error_says_so(server: ScriptedServer) -> None:
    message = refused(server, ConfigurationError, agent="coder")
    assert message.startswith("unknown agent 'coder' (no agent is defined; define it as [agents.coder] in ")


def test_an_unknown_task_names_the_tasks(config: Config, server: ScriptedServer) -> None:
    config('[routing.tasks]\nquick = "groq/llama-3.1-8b-instant"\n')
    assert refused(server, ConfigurationError, task="quik").startswith(
        "unknown task 'quik'; did you mean 'quick'? (tasks: coding, local, quick, reasoning, summarization; "
        "route it as quik = \"provider/model\" under [routing.tasks] in config file ")


@pytest.mark.parametrize(("model", "error", "expected"), [
    ("grok/llama-3.1-8b-instant", UnknownModelError,
     "unknown provider 'grok'; did you mean 'groq'? (installed: "),
    ("groq/llama-3.1-8b-instnat", UnknownModelError,
     "the catalog knows no model groq/llama-3.1-8b-instnat; did you mean groq/llama-3.1-8b-instant?"),
    ("chain/flagshp", UnknownModelError,
     "unknown chain 'flagshp'; did you mean 'flagship'? (chains: economy, "),
    ("tier/cheap", UnknownModelError, "unknown cost tier 'cheap' (tiers: premium, standard, economy)"),
    ("smal", UnknownModelError, "'smal' is neither provider/model, chain/NAME, tier/NAME nor an alias; did "
                                "you mean 'small'? (aliases: small)"),
    # Groq's catalog has no flagship model: with only Groq configured, the premium tier is empty.
    ("tier/premium", ConfigurationError, "cost tier 'premium' has no model here: no installed provider with "
                                         "a key has a chat model of the catalog tier 'flagship'; set a key "
                                         "with 'modelplex keys set PROVIDER', or route to a model"),
])
def test_an_agent_pointing_at_nothing_servable_is_a_typed_error(config: Config, server: ScriptedServer,
                                                                 model: str, error: type[Exception],
                                                                 expected: str) -> None:
    path = config(f'[aliases]\nsmall = "groq/llama-3.1-8b-instant"\n[agents.coder]\nmodel = "{model}"\n')
    message = refused(server, error, agent="coder")
    assert message.startswith(f"agent 'coder' (model = {model!r} in config file {path}): {expected}"), message


def test_a_task_route_pointing_at_nothing_is_a_typed_error_naming_the_task(config: Config,
                                                                           server: ScriptedServer) -> None:
    config('[routing.tasks]\nquick = "groq/no-such-model"\n[agents.triage]\ntask = "quick"\n')
    assert refused(server, UnknownModelError, task="quick").startswith(
        "task 'quick' (= 'groq/no-such-model'): the catalog knows no model groq/no-such-model")
    assert refused(server, UnknownModelError, agent="triage").startswith(
        "agent 'triage': task 'quick' (= 'groq/no-such-model'): the catalog knows no model")


def test_an_agent_with_neither_model_nor_task_needs_one_of_them(config: Config,
                                                                 server: ScriptedServer) -> None:
    path = config('[agents.bare]\nsystem = "Be kind."\n')
    assert refused(server, ConfigurationError, agent="bare") == (
        f"agent 'bare' names no model and no task: add model = \"provider/model\" or task = \"NAME\" to "
        f"[agents.bare] in config file {path}, or pass a model")
