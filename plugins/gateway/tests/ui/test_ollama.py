"""The Local models tab in a browser, against an Ollama-speaking loopback server (the ollama plugin's
test server) added to the world's config for this module only: installed models with size, family,
quantisation and last use (a call made through the client, read back from the usage log); the library
searched; a pull streamed to the end with its progress (the recorded progress lines of a real pull); an
update; a removal; the free disk space."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import modelplex_store
import pytest
from dashboard_world import ROOT, World

OLLAMA_TESTS = ROOT / "plugins" / "ollama" / "tests"
sys.path.insert(0, str(OLLAMA_TESTS))

from ollama_server import OllamaServer, Reply  # noqa: E402

from modelplex_testing.compat_server import Received  # noqa: E402

RECORDED_PULL = [json.loads(line) for line in json.loads(
    (OLLAMA_TESTS / "fixtures/ollama/20_native_api_pull_stream.json").read_text())["response"]["body_text"]
    .splitlines() if line.strip()]
DIGEST = "sha256:" + "c3" * 32
#: A download seen part by part, then the recorded pull's last lines (verifying, writing, success).
PULL = [{"status": "pulling manifest"},
        *[{"status": "pulling c3c3c3c3c3c3", "digest": DIGEST, "total": 815_310_432,
           "completed": 815_310_432 * i // 10} for i in range(11)],
        *RECORDED_PULL[-3:]]
LLAMA = {"name": "llama3.2:latest", "model": "llama3.2:latest", "modified_at": "2025-05-04T17:37:44-07:00",
         "size": 2019393189, "digest": "a80c4f17acd5",
         "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B",
                     "quantization_level": "Q4_K_M"}}
CHAT = json.loads((OLLAMA_TESTS / "fixtures/ollama/01_api_chat_nonstream_docs.json").read_text())


class Ollama:
    """The server's state: what is installed changes with pulls and removals."""

    def __init__(self) -> None:
        self.models = {LLAMA["name"]: LLAMA}

    def tags(self, _: Received) -> Reply:
        return Reply.json({"models": list(self.models.values())})

    def pull(self, received: Received) -> Reply:
        name = received.json["model"]
        name = name if ":" in name else f"{name}:latest"
        self.models[name] = {**LLAMA, "name": name, "model": name, "digest": f"new-{name}",
                             "size": 815_319_791,
                             "details": {"family": "gemma3", "quantization_level": "Q8_0"}}
        return Reply.ndjson(PULL, delay=0.08)

    def delete(self, received: Received) -> Reply:
        if self.models.pop(received.json["model"], None) is None:
            return Reply.error(f"model '{received.json['model']}' not found", 404)
        return Reply(body=b"")


@pytest.fixture(scope="module")
def ollama(world: World) -> Iterator[tuple[OllamaServer, Ollama]]:
    """The loopback Ollama, in the world's config for this module (restored after)."""
    state = Ollama()
    chat = CHAT["response"]
    routes = {"GET /api/tags": state.tags, "POST /api/pull": state.pull, "DELETE /api/delete": state.delete,
              "GET /api/ps": Reply.json({"models": []}),
              "POST /api/chat": Reply(status=chat["status"], body=json.dumps(chat["body"]).encode())}
    config = world.config.read_text()
    with OllamaServer(routes) as server:
        world.config.write_text(config + f'\n[providers.ollama]\nbase_url = "http://{server.host}"\n',
                                encoding="utf-8")
        try:
            yield server, state
        finally:
            world.config.write_text(config, encoding="utf-8")


def test_installed_models_with_their_facts_and_last_use(page: Any, world: World, ollama: Any,
                                                       screenshot: Any) -> None:
    import modelplex

    with modelplex.Client(env=dict(world.env)) as client:
        client.chat("ollama/llama3.2", "Hello")  # recorded in the usage log
    with modelplex_store.open(world.store_url) as store:
        # A row the writer could not commit at once (the store busy) is spooled and delivered later.
        deadline = time.monotonic() + 30
        while not store.logs(1, provider="ollama") and time.monotonic() < deadline:
            time.sleep(0.2)
        called = store.logs(1, provider="ollama")
    assert called, "the call to ollama/llama3.2 reached the usage log"
    page.goto("/ui/ollama")
    row = page.locator('tr.local-model[data-model="llama3.2:latest"]')
    assert row.locator("td.size").inner_text() == "2.0 GB"
    assert row.locator("td.family").inner_text() == "llama"
    assert row.locator("td.quantization").inner_text() == "Q4_K_M"
    assert row.locator("td.last-used").inner_text()[:2] == "20"  # a date, not "never"
    free = int(page.locator("[data-free]").get_attribute("data-free"))
    assert free > 0  # a loopback Ollama: this machine's disk
    page.fill("#search-q", "gemma")
    page.locator("#library tr.library-model").first.wait_for()
    names = page.locator("#library tr.library-model").evaluate_all("els => els.map(e => e.dataset.model)")
    assert names and all("gemma" in n for n in names)
    screenshot(page, "ollama")


def test_a_pull_shows_its_progress_to_the_end(page: Any, world: World, ollama: Any) -> None:
    server, _ = ollama
    page.goto("/ui/ollama")
    page.evaluate("""() => { window.seen = []; new MutationObserver(() => {
        window.seen.push(document.getElementById('pull-progress').value); })
        .observe(document.getElementById('pull-step'), {childList: true, characterData: true, subtree: true});
        const bar = document.getElementById('pull-progress'); const set = Object.getOwnPropertyDescriptor(
        HTMLProgressElement.prototype, 'value').set; Object.defineProperty(bar, 'value', {set(v) {
        window.seen.push(v); set.call(this, v); }, get() { return this.getAttribute('value') ?
        Number(this.getAttribute('value')) : 0; }}); }""")
    page.fill("#pull-model", "gemma3:1b")
    page.click("#pull-form button")
    page.wait_for_function("document.getElementById('pull-status').dataset.state === 'done'", timeout=20_000)
    assert page.locator("#pull-step").inner_text() == "success"
    assert "gemma3:1b installed" in page.locator("#pull-result").inner_text()
    steps = int(page.locator("#pull-status").get_attribute("data-steps"))
    assert steps == len(PULL)  # every progress line reached the page
    seen = [v for v in page.evaluate("window.seen") if v is not None]
    assert len({v for v in seen if 0 < v < 100}) > 0 and max(seen) == 100  # partial values, then the end
    page.locator('tr.local-model[data-model="gemma3:1b"]').wait_for()  # the table refreshed
    assert server.sent("POST /api/pull")[-1].json == {"model": "gemma3:1b", "stream": True}


def test_an_update_and_a_removal(page: Any, world: World, ollama: Any) -> None:
    _, state = ollama
    page.goto("/ui/ollama")
    page.locator('tr.local-model[data-model="llama3.2:latest"] button.update').click()
    page.wait_for_function("document.getElementById('pull-status').dataset.state === 'done'", timeout=20_000)
    assert "llama3.2:latest updated to a new version" in page.locator("#pull-result").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('tr.local-model[data-model="llama3.2:latest"] button.remove').click()
    page.locator("#installed p.notice").wait_for()
    assert page.locator('tr.local-model[data-model="llama3.2:latest"]').count() == 0
    assert "llama3.2:latest" not in state.models


def test_the_local_models_tab_answers_each_of_its_pages(page: Any, world: World, ollama: Any) -> None:
    # How fast: bench/dashboard.py (nox -s bench).
    page.goto("/ui/ollama")
    for path in ("/ui/ollama", "/ui/ollama/search?q=llama", "/ui/ollama/installed"):
        response = page.request.get(path)
        assert response.ok, (path, response.status)
        assert response.text().strip(), path


def test_free_space_is_this_machines_for_a_local_ollama_and_unknown_for_a_remote_one() -> None:
    import shutil

    from modelplex_gateway.ui.ollama import LOW_DISK, Disk, disk
    from modelplex_ollama.disk import checked_dir

    assert disk("http://10.1.2.3:11434") == Disk(local=False)  # another machine's disk: not guessed
    here = disk("http://127.0.0.1:11434")
    assert here.local and here.path == str(checked_dir())
    assert here.total == shutil.disk_usage(here.path).total
    assert Disk(local=True, free=LOW_DISK - 1).low and not Disk(local=True, free=LOW_DISK).low
    assert not Disk(local=False).low
