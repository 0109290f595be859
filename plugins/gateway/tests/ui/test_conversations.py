"""The Conversations tab in a browser: the stored conversations listed and opened, each message labelled
with its model, usage and cost; a conversation continued with another model, the reply streamed into the
page, and the new message carrying that model's label (and stored with it).

A Groq-format loopback server (OpenAI's stream grammar) is added to the world's config and key file for
this module only, both restored after it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from dashboard_world import World

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer

FIRST, SECOND = "llama-3.1-8b-instant", "llama-3.3-70b-versatile"
GROQ_KEY = "gsk-dashboard-conversations-0123456789QRST"


def _chunks(model: str, words: list[str]) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-conv", "object": "chat.completion.chunk", "created": 1, "model": model}
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    out += [{**base, "choices": [{"index": 0, "delta": {"content": w}}]} for w in words]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out.append({**base, "choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": len(words),
                                                  "total_tokens": 21 + len(words)}})
    return out


@pytest.fixture(scope="module")
def groq(world: World) -> Iterator[ScriptedServer]:
    """The loopback Groq: the seeded conversation's first reply, then the continued one, slowly (the
    page shows the words arriving)."""
    from modelplex._keys import KeyStore

    first = {"id": "chatcmpl-conv", "object": "chat.completion", "created": 1, "model": FIRST,
             "choices": [{"index": 0, "finish_reason": "stop",
                          "message": {"role": "assistant", "content": "Paris is the capital."}}],
             "usage": {"prompt_tokens": 21, "completion_tokens": 2, "total_tokens": 23}}
    script = [Reply.json(first),
              Reply.stream(_chunks(SECOND, ["Lyon", " is", " second", " by", " size."]), delay=0.05)]
    config, keys = world.config.read_text(), world.keys.read_text()
    with ScriptedServer(script) as server:
        world.config.write_text(config + f'\n[providers.groq]\nbase_url = "{server.url}"\n', encoding="utf-8")
        KeyStore(world.env).set("groq", GROQ_KEY, "file")
        try:
            yield server
        finally:
            world.config.write_text(config, encoding="utf-8")
            world.keys.write_text(keys, encoding="utf-8")


def _seeded(world: World) -> str:
    async def run() -> str:
        async with modelplex.AsyncClient(env=dict(world.env)) as client:
            conversation = client.conversation(model=f"groq/{FIRST}", title="Capitals")
            await conversation.send("What is the capital of France?")
            return conversation.id

    # Playwright's sync API runs an event loop in this thread: the seeding runs on its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_a_conversation_is_continued_with_another_model(page: Any, world: World, groq: ScriptedServer,
                                                        screenshot: Any) -> None:
    ident = _seeded(world)
    page.goto("/ui/conversations")
    row = page.locator(f'tr.conversation[data-id="{ident}"]')
    assert "Capitals" in row.inner_text()
    assert f"groq/{FIRST}" in row.inner_text()
    row.locator("a").click()
    first = page.locator("li.message.assistant").first
    assert first.get_attribute("data-model") == f"groq/{FIRST}"
    assert "Paris is the capital." in first.inner_text()
    assert "21 in / 2 out tokens" in first.inner_text()
    # Models of providers that cannot be called are there, disabled.
    assert page.locator("#model-select option[disabled]").count() > 0
    page.select_option("#model-select", f"groq/{SECOND}")
    page.fill("#send-form textarea", "And the second city?")
    page.click("#send-form button")
    page.locator("li.message.assistant.streaming").wait_for()  # the reply arrives word by word
    page.wait_for_function("document.querySelectorAll('li.message.assistant[data-model]').length === 2")
    last = page.locator("li.message.assistant").last
    assert last.get_attribute("data-model") == f"groq/{SECOND}"
    assert "Lyon is second by size." in last.inner_text()
    assert "21 in / 5 out tokens" in last.inner_text()
    assert groq.requests[-1].json["model"] == SECOND
    assert [m["content"] for m in groq.requests[-1].json["messages"]][-3:] == [
        "What is the capital of France?", "Paris is the capital.", "And the second city?"]
    screenshot(page, "conversations")
    page.reload()  # stored, with both labels
    labels = page.locator("li.message.assistant").evaluate_all("els => els.map(e => e.dataset.model)")
    assert labels == [f"groq/{FIRST}", f"groq/{SECOND}"]
    assert page.locator("#model-select").input_value() == f"groq/{SECOND}"  # the switch holds


def test_an_unknown_conversation_says_so(page: Any, world: World) -> None:
    response = page.goto("/ui/conversations/no-such-conversation")
    assert response.status == 404
    assert "no-such-conversation" in page.locator("p.problem").inner_text()


def test_the_conversations_tab_answers_each_of_its_pages(page: Any, world: World, groq: Any) -> None:
    # How fast: bench/dashboard.py (nox -s bench).
    page.goto("/ui/conversations")
    paths = ["/ui/conversations", "/ui/conversations/new"]
    if page.locator("tr.conversation").count():  # the continued conversation, when run after its test
        paths.append(f"/ui/conversations/{page.locator('tr.conversation').first.get_attribute('data-id')}")
    for path in paths:
        response = page.request.get(path)
        assert response.ok, (path, response.status)
        assert "<main" in response.text(), path
