""""Did you mean" only for close names (issue 16: ``unknown provider 'nope' ... did you mean 'openai'?``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from modelplex import Client, ProviderInfo
from modelplex._cli import cli
from modelplex._suggest import close_names, edit_distance
from modelplex.errors import UnknownProviderError
from modelplex.hookspecs import SPEC_VERSION, hookimpl

PROVIDERS = ("anthropic", "azure", "deepseek", "gemini", "groq", "mistral", "ollama", "openai",
             "openai-like", "openrouter", "together", "xai")


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("openai", "openai", 0), ("opena", "openai", 1), ("opneai", "openai", 1), ("nope", "openai", 4),
    ("", "abc", 3), ("ca", "abc", 3), ("grok", "groq", 1),
])
def test_edit_distance_counts_a_swap_of_neighbours_once(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@pytest.mark.parametrize(("typed", "offered"), [
    ("nope", []), ("zzz", []), ("ab", []), ("local", []), ("opena", ["openai"]), ("opneai", ["openai"]),
    ("OpenAI", ["openai"]), ("anthropc", ["anthropic"]), ("olama", ["ollama"]), ("xa", ["xai"]),
    ("open-ai", ["openai"]),
])
def test_only_names_a_slip_away_are_offered(typed: str, offered: list[str]) -> None:
    assert close_names(typed, PROVIDERS, n=1) == offered


class _Named:
    """A plugin that only says who it is: the error is raised before any call reaches one."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)


def _client() -> Client:
    return Client(plugins={name: _Named() for name in ("openai", "anthropic", "ollama")}, autoload=False,
                  config_file=False, env={})


def test_an_unrelated_provider_name_gets_no_suggestion_but_the_install_hint() -> None:
    with _client() as client, pytest.raises(UnknownProviderError) as caught:
        client.chat("nope/m", "hi")
    assert "did you mean" not in caught.value.message
    assert caught.value.message.endswith("; install the plugin, for example: pip install modelplex-nope")


def test_a_typo_gets_the_provider_it_is_a_slip_away_from() -> None:
    with _client() as client, pytest.raises(UnknownProviderError) as caught:
        client.chat("opnai/m", "hi")
    assert caught.value.message.endswith("; did you mean 'openai'?")


def test_the_command_line_offers_nothing_for_nope(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    result = CliRunner().invoke(cli, ["chat", "-m", "nope/x", "hi"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown provider 'nope' (available: ")
    assert "did you mean" not in result.stderr
