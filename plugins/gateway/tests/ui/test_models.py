"""The Models tab in a browser: the catalog grouped by provider with unconfigured providers' models
disabled; filters that narrow it; live listings merged in; the default model and aliases saved."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from dashboard_world import World


def addresses(page: Any) -> list[str]:
    """The addresses of the models shown."""
    found: list[str] = page.locator("tr.model").evaluate_all("els => els.map(e => e.dataset.address)")
    return found


def wait_count_change(page: Any, before: str) -> str:
    """The model count once the table has been swapped after a filter changed."""
    page.wait_for_function(f"document.querySelector('#models-table .count').textContent !== '{before}'")
    count: str = page.locator("#models-table .count").inner_text()
    return count


def test_the_catalog_is_grouped_by_provider_and_unconfigured_ones_are_disabled(page: Any, world: World,
                                                                                screenshot: Any) -> None:
    page.goto("/ui/models")
    groups = page.locator("h2.group").evaluate_all("els => els.map(e => e.dataset.provider)")
    assert {"openai", "anthropic", "gemini"} <= set(groups) and groups == sorted(groups)
    openai = page.locator('tr.model[data-address="openai/gpt-4o-mini"]')
    assert openai.get_attribute("aria-disabled") is None
    assert openai.locator("button.set-default").is_enabled()
    gemini = page.locator('tr.model[data-address^="gemini/"]').first
    assert gemini.get_attribute("aria-disabled") == "true"
    assert gemini.locator("button").is_disabled()
    assert "no API key" in page.locator('h2.group[data-provider="gemini"]').inner_text()
    screenshot(page, "models")
    openai.locator("summary").click()
    detail = openai.locator(".model-detail").inner_text()
    assert "input 0.15 (catalog)" in detail and "output 0.6 (catalog)" in detail  # prices and sources
    assert "price list:" in detail and "limits: context" in detail
    ollama = page.locator('tr.model[data-address^="ollama/"]').first
    assert "local: nothing leaves this machine" in ollama.inner_text()
    assert "6E+1" not in page.content()  # prices in plain digits


def test_filters_narrow_the_catalog(page: Any, world: World, screenshot: Any) -> None:
    page.goto("/ui/models")
    everything = page.locator("#models-table .count").inner_text()
    # "gpt" finds OpenAI's models and the open-weight gpt-oss that Groq and Together serve, whichever
    # plugins are installed, so the provider and vision filters below have something to take away.
    page.fill("#filters input[name=search]", "gpt")
    searched = wait_count_change(page, everything)
    assert 0 < int(searched) < int(everything)
    found = addresses(page)
    assert all("gpt" in a for a in found)
    assert len({a.partition("/")[0] for a in found}) > 1
    # One filter at a time, each waited for by the address the server pushes once the table is swapped:
    # a count that did not change (every OpenAI "gpt" model has vision) cannot be waited for.
    page.select_option("#filters select[name=provider]", "openai")
    page.wait_for_url(re.compile(r"[?&]provider=openai(&|$)"))
    narrowed = page.locator("#models-table .count").inner_text()
    assert 0 < int(narrowed) < int(searched)
    assert all(a.startswith("openai/") and "gpt" in a for a in addresses(page))
    page.check('#filters input[name=capability][value="vision"]')
    page.wait_for_url(re.compile(r"[?&]capability=vision(&|$)"))
    with_vision = page.locator("#models-table .count").inner_text()
    assert 0 < int(with_vision) <= int(narrowed) and all(a.startswith("openai/") for a in addresses(page))
    assert "search=gpt" in page.url and "provider=openai" in page.url  # the filters are in the URL
    page.reload()  # and so survive a reload
    assert page.locator("#models-table .count").inner_text() == with_vision
    page.goto("/ui/models?local=on")
    local = addresses(page)
    assert local and all(a.startswith("ollama/") for a in local)
    page.goto("/ui/models?min_context=1000000&max_price=5")
    for row in page.locator("tr.model").all():
        assert int(row.locator("td").nth(2).inner_text()) >= 1_000_000
    screenshot(page, "models-filtered")


def test_live_listings_are_merged_into_the_catalog(page: Any, world: World) -> None:
    page.goto("/ui/models?provider=openai")
    assert "openai/ft:gpt-4o-mini:acme:support" not in addresses(page)
    page.click("button.refresh")
    page.locator("#models-table .live-note").wait_for()
    assert "openai/ft:gpt-4o-mini:acme:support" in addresses(page)  # only the listing knows it
    listed = page.locator('tr.model[data-address="openai/gpt-4o-mini"] .badge.ok').inner_text()
    assert listed == "live"
    assert any(r.path.endswith("/models") for r in world.openai.requests)


def test_the_default_model_and_aliases_are_saved_in_the_config(page: Any, world: World) -> None:
    page.goto("/ui/models?provider=openai&search=gpt-4o")
    page.locator('tr.model[data-address="openai/gpt-4o"] button.set-default').click()
    page.wait_for_function("document.querySelector('.default-model').textContent === 'openai/gpt-4o'")
    assert tomllib.loads(world.config.read_text())["default_model"] == "openai/gpt-4o"
    form = page.locator("form.alias-form")
    form.locator("input[name=name]").fill("smart")
    form.locator("input[name=address]").fill("openai/gpt-4oo")
    form.locator("button").click()
    problem = page.locator("#models-settings p.problem")
    problem.wait_for()
    assert "openai/gpt-4o" in problem.inner_text()  # the close name is suggested
    form = page.locator("form.alias-form")
    form.locator("input[name=name]").fill("smart")
    form.locator("input[name=address]").fill("chain/fast")
    form.locator("button").click()
    page.locator('span.alias[data-alias="smart"]').wait_for()
    page.reload()
    assert page.locator(".default-model").inner_text() == "openai/gpt-4o"
    assert "smart → chain/fast" in page.locator('span.alias[data-alias="smart"]').inner_text()
    assert tomllib.loads(world.config.read_text())["aliases"]["smart"] == "chain/fast"
    page.locator('span.alias[data-alias="smart"] button').click()
    page.wait_for_function("!document.querySelector('span.alias[data-alias=smart]')")
    assert "smart" not in tomllib.loads(world.config.read_text())["aliases"]


def test_a_key_added_in_the_dashboard_counts_for_the_next_live_listing(page: Any, world: World) -> None:
    page.goto("/ui/models?provider=together")
    assert "no API key" in page.locator('h2.group[data-provider="together"]').inner_text()
    page.goto("/ui/providers")
    together = page.locator('section[data-provider="together"]')
    together.locator("form.key-form input[name=key]").fill("tg-dashboard-key-0123456789-ABCD")
    together.locator("form.key-form button").click()
    page.locator('section[data-provider="together"] p.notice').wait_for()
    page.goto("/ui/models?provider=together")
    assert page.locator('h2.group[data-provider="together"] .badge').count() == 0  # callable now
    page.click("button.refresh")
    page.locator("#models-table .live-note").wait_for()
    assert "together (" not in page.locator("#models-table").inner_text()  # not among those that failed
    assert "together/ft:gpt-4o-mini:acme:support" in addresses(page)  # only its listing knows it
