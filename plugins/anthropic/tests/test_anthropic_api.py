"""The wire's fixed facts."""

from __future__ import annotations

from modelplex_anthropic import api


def test_what_every_request_says() -> None:
    assert api.API_VERSION == "2023-06-01"
    assert api.DEFAULT_BASE_URL == "https://api.anthropic.com"  # no /v1: the paths carry it
    assert (api.MESSAGES_PATH, api.MODELS_PATH) == ("/v1/messages", "/v1/models")
    assert api.API_KEY_ENV == ("ANTHROPIC_API_KEY",) and api.BASE_URL_ENV == ("ANTHROPIC_BASE_URL",)
    assert api.EPHEMERAL == {"type": "ephemeral"}


def test_effort_budgets_are_valid_thinking_budgets() -> None:
    budgets = [api.EFFORT_BUDGETS[e] for e in ("low", "medium", "high")]
    assert budgets == sorted(budgets) and budgets[0] >= api.MIN_THINKING_BUDGET

