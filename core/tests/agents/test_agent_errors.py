"""A misconfigured agent or task (issue 16, item 3) is a typed error naming what is available, raised before
anything is sent, never a silent default: a bad table fails when the config file is read (naming the file,
the table and the field), what a profile points at when it is first used."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelplex.errors import ConfigurationError, UnknownModelError
from modelplex_testing import ScriptedServer

from .conftest import Connect

Config = Callable[[str], Path]
MODEL = 'model = "acme/small-1"\n'


@pytest.fixture
def refused(connect: Connect, server: ScriptedServer) -> Callable[..., str]:
    """The message of the error a call raises; nothing reached the server."""
    def call(error: type[Exception], **arguments: Any) -> str:
        with pytest.raises(error) as info:
            connect(server).chat(messages="hi", **arguments)
        assert server.requests == []
        return str(info.value)
    return call


Refused = Callable[..., str]


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
def test_a_bad_agent_table_fails_when_the_file_is_read(config: Config, refused: Refused, table: str,
                                                      expected: str) -> None:
    path = config(f"[agents.coder]\n{table}\n")
    # Any call reads the file: a plain one fails too, since the file is wrong.
    message = refused(ConfigurationError, model="acme/small-1")
    assert re.search(re.escape(f"config file {path}: ") + expected, message), message


def test_a_bad_task_route_fails_when_the_file_is_read(config: Config, refused: Refused) -> None:
    path = config("[routing.tasks]\nquick = 3\n")
    message = refused(ConfigurationError, model="acme/small-1")
    assert message.startswith(f"config file {path}: [routing.tasks] quick: expected an address")


def test_an_unknown_agent_names_the_agents_and_a_close_one(config: Config, refused: Refused) -> None:
    path = config('[agents.coder]\nmodel = "acme/small-1"\n[agents.writer]\ntask = "quick"\n')
    assert refused(ConfigurationError, agent="codr") == (
        f"unknown agent 'codr'; did you mean 'coder'? (agents: coder, writer; define it as [agents.codr] "
        f"in config file {path})")
    assert "did you mean" not in refused(ConfigurationError, agent="zzzz")


def test_with_no_agent_defined_the_error_says_so(config: Config, refused: Refused) -> None:
    config("")
    message = refused(ConfigurationError, agent="coder")
    assert message.startswith("unknown agent 'coder' (no agent is defined; define it as [agents.coder] in ")


def test_an_unknown_task_names_the_tasks(config: Config, refused: Refused) -> None:
    config('[routing.tasks]\nquick = "acme/small-1"\n')
    assert refused(ConfigurationError, task="quik").startswith(
        "unknown task 'quik'; did you mean 'quick'? (tasks: coding, local, quick, reasoning, summarization; "
        "route it as quik = \"provider/model\" under [routing.tasks] in config file ")


@pytest.mark.parametrize(("model", "error", "expected"), [
    ("acne/small-1", UnknownModelError, "unknown provider 'acne'; did you mean 'acme'? (installed: acme)"),
    ("acme/bgi-1", UnknownModelError,
     "the catalog knows no model acme/bgi-1; did you mean acme/big-1? (see 'modelplex models acme', or "
     "declare it under [models.\"acme/bgi-1\"])"),
    ("chain/flagshp", UnknownModelError,
     "unknown chain 'flagshp'; did you mean 'flagship'? (chains: economy, "),
    ("tier/cheap", UnknownModelError, "unknown cost tier 'cheap' (tiers: premium, standard, economy)"),
    ("smal", UnknownModelError, "'smal' is neither provider/model, chain/NAME, tier/NAME nor an alias; did "
                                "you mean 'small'? (aliases: small)"),
    # the override moves acme's one flagship model out of its tier: the premium tier is empty
    ("tier/premium", ConfigurationError, "cost tier 'premium' has no model here: no installed provider with "
                                         "a key has a chat model of the catalog tier 'flagship'; set a key "
                                         "with 'modelplex keys set PROVIDER', or route to a model"),
])
def test_an_agent_pointing_at_nothing_servable_is_a_typed_error(config: Config, refused: Refused,
                                                                 model: str, error: type[Exception],
                                                                 expected: str) -> None:
    path = config(f'[aliases]\nsmall = "acme/small-1"\n[models."acme/big-1"]\ntier = "standard"\n'
                  f'[agents.coder]\nmodel = "{model}"\n')
    message = refused(error, agent="coder")
    assert message.startswith(f"agent 'coder' (model = {model!r} in config file {path}): {expected}"), message


def test_a_task_route_pointing_at_nothing_is_a_typed_error_naming_the_task(config: Config,
                                                                           refused: Refused) -> None:
    config('[routing.tasks]\nquick = "acme/no-such-model"\n[agents.triage]\ntask = "quick"\n')
    assert refused(UnknownModelError, task="quick").startswith(
        "task 'quick' (= 'acme/no-such-model'): the catalog knows no model acme/no-such-model")
    assert refused(UnknownModelError, agent="triage").startswith(
        "agent 'triage': task 'quick' (= 'acme/no-such-model'): the catalog knows no model")


def test_an_agent_with_neither_model_nor_task_needs_one_of_them(config: Config,
                                                                 refused: Refused) -> None:
    path = config('[agents.bare]\nsystem = "Be kind."\n')
    assert refused(ConfigurationError, agent="bare") == (
        f"agent 'bare' names no model and no task: add model = \"provider/model\" or task = \"NAME\" to "
        f"[agents.bare] in config file {path}, or pass a model")
