"""The frame: six tabs in the navigation, the vendored scripts served from the package, access (the
machine itself with no keys; the admin key's login otherwise), and the CSRF check of every form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dashboard_world import World
from modelplex_gateway.app import create_app
from modelplex_gateway.auth import Principal, authenticate_local
from modelplex_gateway.errors import GatewayError
from starlette.testclient import TestClient

import modelplex

TAB_TITLES = ["Providers", "Models", "Chains & routing", "Usage & costs", "Conversations", "Local models"]


def test_every_tab_is_in_the_navigation_and_htmx_loads_from_the_package(page: Any, world: World) -> None:
    page.goto("/ui/")
    assert page.url.endswith("/ui/providers")
    assert page.locator("header nav a").all_inner_texts() == TAB_TITLES
    assert page.evaluate("typeof htmx") == "object"  # the vendored script ran: no network needed
    assert page.evaluate("htmx.version").startswith("2.")
    for slug in ("models", "chains", "usage", "conversations", "ollama"):
        page.click(f'header nav a[data-tab="{slug}"]')
        assert page.locator("header nav a.active").get_attribute("data-tab") == slug


def test_a_post_without_the_csrf_token_is_refused(page: Any, world: World) -> None:
    page.goto("/ui/providers")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    # The browser's own cookies go with these requests; only the token (or the origin) is wrong.
    missing = page.request.post("/ui/providers/openai/key", form={"key": "sk-not-saved-0000000000"})
    assert missing.status == 403 and "CSRF" in missing.text()
    wrong = page.request.post("/ui/providers/openai/key", form={"key": "sk-not-saved-0000000000"},
                              headers={"x-csrf-token": "forged"})
    assert wrong.status == 403
    elsewhere = page.request.post("/ui/providers/openai/key", form={"key": "sk-not-saved-0000000000"},
                                  headers={"x-csrf-token": token, "origin": "http://evil.example"})
    assert elsewhere.status == 403 and "another site" in elsewhere.text()
    assert "sk-not-saved" not in world.keys.read_text()


class _AdminKey:
    """An authenticator with one admin key, as the virtual keys' is; anyone else is refused."""

    admin_hash = "0" * 64

    async def __call__(self, request: Any) -> Principal:
        if request.headers.get("authorization") == "Bearer admin-key-0123456789":
            return Principal(caller="admin", admin=True)
        raise GatewayError(401, "authentication_error", "no key", code="missing_api_key")


def test_with_keys_the_dashboard_needs_the_admin_key_once() -> None:
    app = create_app(modelplex.AsyncClient(config_file=False, env={}), authenticate=_AdminKey())
    with TestClient(app, client=("127.0.0.1", 50000), follow_redirects=False) as http:
        first = http.get("/ui/providers")
        assert first.status_code == 303 and first.headers["location"] == "/ui/login?next=/ui/providers"
        form = http.get(first.headers["location"])
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        refused = http.post("/ui/login", data={"csrf_token": token[1], "key": "guess-0123456789",
                                               "next": "/ui/providers"})
        assert refused.status_code == 401 and "guess-0123456789" not in refused.text
        assert http.get("/ui/providers").status_code == 303  # still out
        admitted = http.post("/ui/login", data={"csrf_token": token[1], "key": "admin-key-0123456789",
                                                "next": "//evil.example/"})
        assert admitted.status_code == 303 and admitted.headers["location"] == "/ui/providers"
        assert "SameSite=Strict" in admitted.headers["set-cookie"]
        assert http.get("/ui/providers").status_code == 200


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.0.20"])
def test_without_keys_only_this_machine_is_served(host: str) -> None:
    app = create_app(modelplex.AsyncClient(config_file=False, env={}), authenticate=authenticate_local)
    with TestClient(app, client=(host, 50000), follow_redirects=False) as http:
        assert http.get("/ui/providers").status_code == 303  # to the login form
        assert http.post("/ui/providers/openai/key", headers={"hx-request": "true"}).status_code == 401


def test_every_tab_answers_and_loads_in_the_browser_over_a_million_rows(page: Any, world: World) -> None:
    # The world's store holds ROWS seeded usage rows (a million unless MODELPLEX_UI_ROWS lowers it). How
    # fast each tab answers is measured by bench/dashboard.py (nox -s bench), not here.
    import httpx

    with httpx.Client(base_url=world.url, timeout=30) as http:
        for slug in ("providers", "models", "chains", "usage", "conversations", "ollama"):
            answer = http.get(f"/ui/{slug}")
            assert answer.status_code == 200, (slug, answer.status_code)
            assert f'data-tab="{slug}" class="active"' in answer.text  # this tab, shown as the current one
            page.goto(f"/ui/{slug}")
            loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            assert loaded > 0, f"/ui/{slug} never finished loading in the browser"


def test_modelplex_ui_serves_this_machine_on_a_free_port_and_prints_its_url(world: World) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    command = Path(sys.executable).with_name("modelplex")
    env = {**os.environ, **world.env}
    with subprocess.Popen([str(command), "ui"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as served:
        try:
            assert served.stdout is not None
            line = served.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:(\d+)/ui/", line)
            assert found is not None, line
            answer = httpx.get(f"{found[0]}providers", timeout=30)
            assert answer.status_code == 200 and 'data-provider="openai"' in answer.text
            assert int(found[1]) != 0
        finally:
            served.terminate()
            served.wait(15)
