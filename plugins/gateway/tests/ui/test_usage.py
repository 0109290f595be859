"""The Usage & costs tab in a browser, against the world's seeded store (one million calls over 60 days):
the charts draw the rollups' numbers, the tables agree with the store, the call log pages on with a
cursor (no duplicates, no page limit), filters narrow it, and the CSV export downloads what is shown."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from typing import Any

import modelplex_store
from dashboard_world import World


def _store(world: World) -> Any:
    return modelplex_store.open(world.store_url)


def test_the_charts_and_tables_show_the_seeded_usage(page: Any, world: World, screenshot: Any) -> None:
    page.goto("/ui/usage?since=30d")
    chart = page.locator("#usage-chart")
    chart.locator("canvas").wait_for()
    with _store(world) as store:
        providers = {r.key: r for r in store.usage(by="provider", since="30d").rows}
        by_day = store.usage(by="day", since="30d")
        models = {r.key for r in store.usage(by="model", since="30d").rows if r.key}
    assert set(chart.get_attribute("data-series").split(",")) == set(providers)
    assert int(chart.get_attribute("data-points")) == len(providers) * len(by_day.rows)
    # The plotted cost is the seeded cost, to the cent.
    assert abs(float(chart.get_attribute("data-sum")) - float(by_day.total.cost)) < 0.01
    page.select_option("#chart-measure", "calls")
    page.select_option("#chart-by", "model")
    assert int(float(chart.get_attribute("data-sum"))) == by_day.total.calls
    # The seeded dozen, and the models other tests of the session called.
    assert set(chart.get_attribute("data-series").split(",")) == models and len(models) >= 12
    for key, row in providers.items():
        cells = page.locator(f'table[data-by="provider"] tr[data-key="{key}"]')
        assert int(cells.locator("td.calls").inner_text()) == row.calls
        assert int(cells.locator("td.errors").inner_text()) == row.errors
    assert page.locator('[data-total="calls"]').inner_text() == str(by_day.total.calls)
    assert by_day.total.calls > 0
    assert "unpriced" in page.locator('table[data-by="provider"] tr[data-key="local"]').inner_text()
    page.select_option("#chart-by", "provider")
    page.select_option("#chart-measure", "cost")
    screenshot(page, "usage")


def test_the_call_log_pages_on_by_cursor_and_filters_narrow_it(page: Any, world: World) -> None:
    page.goto("/ui/usage?since=60d&provider=groq&status=error")
    rows = page.locator("#call-log tr.call")
    assert rows.count() == 50
    page.locator("#more-calls button").click()
    page.wait_for_function("document.querySelectorAll('#call-log tr.call').length === 100")
    page.locator("#more-calls button").click()
    page.wait_for_function("document.querySelectorAll('#call-log tr.call').length === 150")
    ids = rows.evaluate_all("els => els.map(e => e.dataset.id)")
    statuses = set(rows.evaluate_all("els => els.map(e => e.dataset.status)"))
    with _store(world) as store:
        expected = [c.id for c in store.logs(150, provider="groq", status="error", since="60d")]
    assert ids == expected  # newest first, no call twice, none skipped across the pages
    assert statuses == {"error"}
    groq = page.locator('table[data-by="provider"] tr[data-key="groq"]')
    assert page.locator('table[data-by="provider"] tbody tr').count() == 1
    # The tables count only the filtered status: every call an error, as many as the store's errors.
    with _store(world) as store:
        errors = store.usage(by="provider", provider="groq", since="60d").total.errors
    assert int(groq.locator("td.calls").inner_text()) == int(groq.locator("td.errors").inner_text()) == errors


def test_the_csv_export_downloads_what_the_filters_select(page: Any, world: World, tmp_path: Any) -> None:
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=6)).date().isoformat()
    page.goto(f"/ui/usage?since={since}&model=anthropic/claude-haiku&status=error")
    with page.expect_download() as info:
        page.locator("#export").click()
    target = tmp_path / "calls.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    with _store(world) as store:
        expected = [c.id for c in store.logs(100_000, model="anthropic/claude-haiku", status="error",
                                              since=since)]
    assert rows, "the filters select some seeded calls"
    assert [r["id"] for r in rows] == expected[::-1]  # oldest first, exactly the calls shown
    assert {(r["provider"], r["model"], r["status"]) for r in rows} == {
        ("anthropic", "claude-haiku", "error")}


def test_the_usage_tab_answers_its_views_over_the_seeded_rows(page: Any, world: World) -> None:
    # How fast: bench/dashboard.py (nox -s bench), over the same million rows.
    page.goto("/ui/usage")  # the session's cookies
    for path in ("/ui/usage", "/ui/usage?since=90d&by=model", "/ui/usage?provider=openai&status=error"):
        response = page.request.get(path)
        assert response.ok, (path, response.status)
        assert 'data-tab="usage" class="active"' in response.text(), path


def test_budgets_show_spent_reserved_and_alerts_fired(page: Any, world: World) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from modelplex_store.budgets.ledger import Counter
    from modelplex_store.budgets.sql import SqlLedger
    from modelplex_store.budgets.windows import bounds

    config = world.config.read_text()
    world.config.write_text(config + '\n[[budgets]]\nname = "ui-daily"\nlimit = "1"\nwindow = "day"\n',
                            encoding="utf-8")
    start, end = bounds("day", time.time())
    daily = Counter(budget="ui-daily", subject="", window_start=start, window_end=end, limit=10**9,
                    alerts=(50, 80, 100))

    async def spend() -> None:
        ledger = SqlLedger(world.store_url)
        at = int(time.time() * 1e6)
        await ledger.reserve("ui-a", [daily], 600_000_000, at + 60_000_000, at)
        await ledger.settle("ui-a", [daily], 600_000_000, at)  # 60%: the 50% alert fires
        await ledger.reserve("ui-b", [daily], 100_000_000, at + 600_000_000, at)  # in flight
        await ledger.aclose()

    try:
        with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
            pool.submit(asyncio.run, spend()).result()
        page.goto("/ui/usage")
        row = page.locator('#budgets tr[data-budget="ui-daily"]')
        assert row.locator("td.spent").inner_text() == "0.6"
        assert row.locator("td.reserved").inner_text() == "0.1"
        assert row.locator("td.warn").inner_text().startswith("50%")
    finally:
        world.config.write_text(config, encoding="utf-8")


def test_a_name_cannot_close_the_charts_script_element() -> None:
    import json

    from modelplex_gateway.ui.usage_data import Overview, Series, chart_json

    hostile = "evil/</script><script>alert(1)</script>"
    line = Series(name=hostile, calls=(1,), tokens=(2,), cost=(0.5,))
    text = chart_json(Overview(total=None, days=("2026-11-30",), by_provider=(), by_model=(line,),
                               providers=(), models=()))
    assert "<" not in text
    assert json.loads(text)["model"][0]["name"] == hostile  # the script reads the name unchanged
