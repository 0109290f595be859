"""The Chains & routing tab in a browser: built-in and configured chains, agents and task rules; a
chain reordered and edited, kept after a reload (in the config file); for a sample request, each
candidate with why it would be used or skipped (configuration, capability, context, cool-down, policy)."""

from __future__ import annotations

import tomllib
from typing import Any

import httpx
from dashboard_world import World


def entries(page: Any, chain: str) -> list[str]:
    """The models of ``chain``'s card, in order."""
    found: list[str] = page.locator(f'section[data-chain="{chain}"] li.entry').evaluate_all(
        "els => els.map(e => e.dataset.model)")
    return found


def verdicts(page: Any) -> dict[str, tuple[str, str, str]]:
    """Each candidate of the explanation: (used or skipped, the check, the reason)."""
    out = {}
    for row in page.locator("tr.verdict").all():
        cells = row.locator("td").all_inner_texts()
        out[row.get_attribute("data-model")] = (cells[2], row.get_attribute("data-check"), cells[4])
    return out


def test_chains_agents_and_task_rules_are_shown(page: Any, world: World, screenshot: Any) -> None:
    page.goto("/ui/chains")
    assert entries(page, "fast") == ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "openai/gpt-4o"]
    assert "configured" in page.locator('section[data-chain="fast"] h2').inner_text()
    builtins = page.locator("section.chain").filter(has_text="built-in")
    assert builtins.count() >= 3  # the installed plugins' built-in chains
    assert page.locator('tr[data-agent="support"]').inner_text().count("chain/fast") == 1
    assert "openai/gpt-4o-mini" in page.locator('tr[data-task="summarise"]').inner_text()
    screenshot(page, "chains")


def test_a_reordered_chain_is_saved_and_kept_after_a_reload(page: Any, world: World) -> None:
    page.goto("/ui/chains")
    before = entries(page, "backup")
    page.locator('section[data-chain="backup"] li.entry').nth(0).locator("button.down").click()
    page.locator('section[data-chain="backup"] p.notice').wait_for()
    moved = [before[1], before[0], *before[2:]]
    assert entries(page, "backup") == moved
    page.reload()
    assert entries(page, "backup") == moved
    text = world.config.read_text()
    assert [e if isinstance(e, str) else e["model"]
            for e in tomllib.loads(text)["chains"]["backup"]["models"]] == moved
    assert '{model = "anthropic/claude-haiku-4-5", temperature = 0.2}' in text  # its options kept
    assert "# The dashboard tests' config" in text
    page.locator('section[data-chain="backup"] li.entry').nth(1).locator("button.up").click()
    page.wait_for_function("document.querySelector('section[data-chain=backup] li.entry')"
                           f".dataset.model === '{before[0]}'")
    assert entries(page, "backup") == before


def test_a_chain_is_edited_and_a_built_in_one_copied_to_the_config(page: Any, world: World) -> None:
    page.goto("/ui/chains")
    fast = page.locator('section[data-chain="fast"]')
    fast.locator("form.add-form input[name=model]").fill("openai/gpt-4o-minii")
    fast.locator("form.add-form button").click()
    problem = page.locator('section[data-chain="fast"] p.problem')
    problem.wait_for()
    assert "openai/gpt-4o-mini" in problem.inner_text()  # the close name
    page.locator('section[data-chain="fast"] form.add-form input[name=model]').fill("openai/gpt-4.1-mini")
    page.locator('section[data-chain="fast"] form.add-form button').click()
    page.locator('section[data-chain="fast"] p.notice').wait_for()
    assert entries(page, "fast")[-1] == "openai/gpt-4.1-mini"
    page.locator('section[data-chain="fast"] li.entry').last.locator("button.remove").click()
    page.wait_for_function("document.querySelectorAll('section[data-chain=fast] li.entry').length === 3")
    assert "gpt-4.1-mini" not in world.config.read_text()
    builtin = page.locator("section.chain").filter(has_text="built-in").filter(
        has=page.locator("button.copy")).first
    name = builtin.get_attribute("data-chain")
    models = entries(page, name)
    builtin.locator("button.copy").click()
    page.locator(f'section[data-chain="{name}"] p.notice').wait_for()
    assert tomllib.loads(world.config.read_text())["chains"][name]["models"] == models
    page.reload()
    assert "configured" in page.locator(f'section[data-chain="{name}"] h2').inner_text()


def test_each_candidate_says_why_it_would_be_used_or_skipped(page: Any, world: World,
                                                            screenshot: Any) -> None:
    for _ in range(3):  # deepseek's model fails three times: a cool-down (cooldown_after = 3)
        httpx.post(f"{world.url}/v1/chat/completions", timeout=60,
                   json={"model": "deepseek/deepseek-chat", "messages": [{"role": "user", "content": "hi"}]})
    page.goto("/ui/chains")
    form = page.locator("#explain-form")
    form.locator("input[name=address]").fill("chain/backup")
    form.locator("input[name=tags]").fill("pii")
    form.locator("button").click()
    page.locator("tr.verdict").first.wait_for()
    found = verdicts(page)
    assert found["openai/gpt-4o"][:2] == ("used", "ok")
    assert found["deepseek/deepseek-chat"][:2] == ("skipped", "cool-down")
    assert "over capacity" in found["deepseek/deepseek-chat"][2]
    assert found["openai/text-embedding-3-small"][:2] == ("skipped", "capability")
    assert "does not chat" in found["openai/text-embedding-3-small"][2]
    assert found["anthropic/claude-haiku-4-5"][:2] == ("skipped", "policy")
    assert "pii stays off anthropic" in found["anthropic/claude-haiku-4-5"][2]
    screenshot(page, "chains-explain")
    form.locator("input[name=tags]").fill("")
    form.locator("input[name=address]").fill("agent/support")
    form.locator("input[name=tokens]").fill("150000")  # more than gpt-4o-mini's and gpt-4o's 128k window
    form.locator("button").click()
    page.wait_for_function("document.querySelector('#explanation').textContent.includes('150000')")
    found = verdicts(page)
    assert found["openai/gpt-4o-mini"][:2] == ("skipped", "context")
    assert "context window of 128000" in found["openai/gpt-4o-mini"][2]
    assert found["anthropic/claude-haiku-4-5"] == ("used", "ok", "first choice: it would be called")
    form.locator("input[name=tokens]").fill("")
    form.locator("input[name=address]").fill("gemini/gemini-2.5-flash")
    form.locator("button").click()
    page.wait_for_function("document.querySelector('tr.verdict').dataset.model === 'gemini/gemini-2.5-flash'")
    assert verdicts(page)["gemini/gemini-2.5-flash"][1] == "configuration"


def test_a_spent_hard_budget_skips_the_candidates_it_covers(page: Any, world: World) -> None:
    import asyncio
    import concurrent.futures
    import time

    from modelplex_store.budgets.ledger import Counter
    from modelplex_store.budgets.plugin import ledger_for
    from modelplex_store.budgets.windows import bounds

    # The budget 'capped' ($0.01 a day over requests tagged spend=capped) spent whole in the store's
    # ledger, as calls settle it (amounts in billionths of a dollar).
    start, end = bounds("day", time.time())
    counter = Counter(budget="capped", subject="", window_start=start, window_end=end, limit=10_000_000)

    async def spend() -> None:
        ledger = ledger_for(world.store_url)
        try:
            now = int(time.time() * 1_000_000)
            assert await ledger.reserve("ui-test", [counter], 10_000_000, now + 60_000_000, now) is None
            await ledger.settle("ui-test", [counter], 10_000_000, now)
        finally:
            await ledger.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's loop holds this thread
        pool.submit(asyncio.run, spend()).result()
    page.goto("/ui/chains")
    form = page.locator("#explain-form")
    form.locator("input[name=address]").fill("openai/gpt-4o")
    form.locator("input[name=tags]").fill("spend=capped")
    form.locator("button").click()
    page.locator("tr.verdict").first.wait_for()
    used, check, reason = verdicts(page)["openai/gpt-4o"]
    assert (used, check) == ("skipped", "budget")
    assert "budget 'capped' is spent" in reason and "$0.01" in reason
    form.locator("input[name=tags]").fill("spend=free")  # outside the budget's scope
    form.locator("button").click()
    page.wait_for_function("document.querySelector('tr.verdict').dataset.check === 'ok'")
