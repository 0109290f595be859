"""What OpenRouter's reasoning_details may hold that is not what it should: a typed error naming the
path, never a silent guess. The replies are real recordings with one field altered, served over a
loopback HTTP server."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import ReasoningPart
from modelplex.errors import ResponseParseError
from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

FIXTURES = Path(__file__).parent / "fixtures" / "openrouter"
SIGNED: dict[str, Any] = json.loads(
    Recording.load(FIXTURES / "02_reasoning_signature.json").response["body_text"])
MODEL = "anthropic/claude-haiku-4.5"


def chat(data: dict[str, Any]) -> modelplex.ChatResponse:
    with ScriptedServer([Reply.json(data)]) as server, modelplex.Client(
            providers={"openrouter": {"base_url": server.url, "api_key": "sk-or-test"}},
            config_file=False, env={}) as client:
        return client.chat(f"openrouter/{MODEL}", "What is 5 + 3?")


def altered(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(SIGNED)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


MESSAGE = ("choices", 0, "message")


@pytest.mark.parametrize(("path", "value", "named"), [
    ((*MESSAGE, "reasoning_details"), "oops", "choices[0].message.reasoning_details"),
    ((*MESSAGE, "reasoning_details", 0), 7, "choices[0].message.reasoning_details[0]"),
    ((*MESSAGE, "reasoning_details", 0, "text"), ["a"], "choices[0].message.reasoning_details[0].text"),
    ((*MESSAGE, "reasoning_details", 0, "signature"), 12, "reasoning_details[0].signature"),
])
def test_a_detail_of_the_wrong_type_is_a_parse_error_naming_it(path: tuple[str | int, ...], value: Any,
                                                              named: str) -> None:
    with pytest.raises(ResponseParseError, match=named.replace("[", r"\[").replace("]", r"\]")):
        chat(altered(path, value))


def test_a_detail_of_an_unknown_type_is_left_out_with_a_warning_and_the_rest_read() -> None:
    details = SIGNED["choices"][0]["message"]["reasoning_details"]
    data = altered((*MESSAGE, "reasoning_details"), [{"type": "reasoning.future", "blob": "x"}, *details])
    response = chat(data)
    assert [(w.code, w.field) for w in response.warnings] == [
        ("unknown-content", "choices[0].message.reasoning_details[0]")]
    reasoning = [p for p in response.parts if isinstance(p, ReasoningPart)]
    assert [p.signature for p in reasoning] == [SIGNED["choices"][0]["message"]["reasoning_details"][0][
        "signature"]]


@pytest.mark.parametrize("details", [None, []])
def test_without_details_the_plain_reasoning_field_is_read(details: list[Any] | None) -> None:
    message = SIGNED["choices"][0]["message"]
    response = chat(altered((*MESSAGE, "reasoning_details"), details))
    assert response.reasoning == message["reasoning"]
    assert [p.signature for p in response.parts if isinstance(p, ReasoningPart)] == [None]
