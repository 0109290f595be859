"""The Providers tab in a browser: every installed plugin, configured or not; a key added is shown by
its last four characters and is in no page or response whole; a test connection that succeeds and one
that fails with a readable reason; the health a failed call leaves; settings saved to the config file."""

from __future__ import annotations

import tomllib
from typing import Any

import httpx
from dashboard_world import OPENAI_KEY, World


def card(page: Any, name: str) -> Any:
    """The provider's card on the page."""
    return page.locator(f'section[data-provider="{name}"]')


def test_every_installed_provider_is_listed_configured_or_not(page: Any, world: World,
                                                              screenshot: Any) -> None:
    page.goto("/ui/providers")
    shown = page.locator("section[data-provider]").evaluate_all("els => els.map(e => e.dataset.provider)")
    assert {"openai", "anthropic", "gemini", "ollama", "mistral"} <= set(shown)
    openai = card(page, "openai")
    assert "configured" in openai.locator("h2").inner_text()
    assert openai.locator("td.key").inner_text().startswith("…" + OPENAI_KEY[-4:])
    assert world.openai.url in openai.inner_text()
    assert "gpt-4o-mini" in openai.inner_text()
    assert "not configured" in card(page, "gemini").locator("h2").inner_text()
    screenshot(page, "providers")


def test_a_key_is_added_replaced_and_removed_and_never_shown_whole(page: Any, world: World) -> None:
    key = "gsk_dashboard_added_key_0123456789_QRST"
    replaced = "gsk_dashboard_second_key_987654321_UVWX"
    page.goto("/ui/providers")
    groq = card(page, "groq")
    groq.locator("form.key-form input[name=key]").fill(key)
    groq.locator("form.key-form button").click()
    groq.locator("p.notice").wait_for()
    assert groq.locator("td.key code").inner_text() == "…QRST"
    assert "configured" in groq.locator("h2").inner_text()
    groq.locator("form.key-form input[name=key]").fill(replaced)
    groq.locator("form.key-form button").click()
    page.wait_for_function("document.querySelector('section[data-provider=groq] td.key code')"
                           ".textContent.includes('UVWX')")
    page.reload()
    assert card(page, "groq").locator("td.key code").inner_text() == "…UVWX"
    assert replaced in world.keys.read_text()  # kept in the key store, as 'modelplex keys set' keeps it
    for secret in (key, replaced, OPENAI_KEY):
        assert secret not in page.content()
        leaks = [url for url, body in page.bodies if secret.encode() in body]
        assert leaks == [], f"the key was sent whole in {leaks}"
        assert secret[:-4] not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    card(page, "groq").locator("button.remove-key").click()
    page.wait_for_function("!document.querySelector('section[data-provider=groq] td.key code')")
    assert "groq" not in world.keys.read_text()
    assert "not configured" in card(page, "groq").locator("h2").inner_text()


def test_test_connection_succeeds_with_its_latency_and_fails_with_a_reason(page: Any, world: World,
                                                                           screenshot: Any) -> None:
    page.goto("/ui/providers")
    listed_before = sum(1 for r in world.openai.requests if r.path.endswith("/models"))
    card(page, "openai").locator("button.test").click()
    ok = card(page, "openai").locator(".test-result span")
    ok.wait_for()
    assert ok.get_attribute("data-ok") == "true"
    assert "ok in" in ok.inner_text() and "ms, 4 models listed" in ok.inner_text()
    assert sum(1 for r in world.openai.requests if r.path.endswith("/models")) == listed_before + 1
    assert all(not r.path.endswith("/chat/completions") for r in world.openai.requests[listed_before:])
    card(page, "anthropic").locator("button.test").click()
    failed = card(page, "anthropic").locator(".test-result span")
    failed.wait_for()
    assert failed.get_attribute("data-ok") == "false"
    text = failed.inner_text()
    assert "authentication failed" in text and "refused the key from the key store" in text
    assert "modelplex keys set anthropic" in text
    screenshot(page, "providers-test-connection")


def test_health_shows_the_failures_and_last_error_of_calls(page: Any, world: World) -> None:
    for _ in range(3):
        reply = httpx.post(f"{world.url}/v1/chat/completions", timeout=60,
                           json={"model": "deepseek/deepseek-chat",
                                 "messages": [{"role": "user", "content": "hi"}]})
        assert reply.status_code >= 500
    page.goto("/ui/providers")
    deepseek = card(page, "deepseek")
    health = deepseek.locator("td.health-detail").inner_text()
    assert "deepseek/deepseek-chat" in health and "failure(s) in a row" in health
    assert "last error" in health and "over capacity" in health
    assert deepseek.locator(".badge.health").inner_text() in ("failing", "cooling down")


def test_settings_are_saved_to_the_config_file(page: Any, world: World) -> None:
    page.goto("/ui/providers")
    mistral = card(page, "mistral")
    mistral.locator("summary").click()
    form = mistral.locator("form.settings-form")
    form.locator("input[name=base_url]").fill("ftp://nowhere")
    form.locator("button").click()
    assert "is not an http:// or https:// URL" in card(page, "mistral").locator("p.problem").inner_text()
    card(page, "mistral").locator("summary").click()
    form = card(page, "mistral").locator("form.settings-form")
    form.locator("input[name=base_url]").fill("http://127.0.0.1:9/v1")
    form.locator("textarea[name=headers]").fill("X-Team=search")
    form.locator("button").click()
    card(page, "mistral").locator("p.notice").wait_for()
    saved = tomllib.loads(world.config.read_text())["providers"]["mistral"]
    assert saved["base_url"] == "http://127.0.0.1:9/v1" and saved["headers"] == {"X-Team": "search"}
    assert "# The dashboard tests' config" in world.config.read_text()  # the file's comments kept
    page.reload()
    assert "http://127.0.0.1:9/v1" in card(page, "mistral").inner_text()
    assert "X-Team: search" in card(page, "mistral").inner_text()
