"""``modelplex logs``, ``modelplex usage [export]`` and ``modelplex store path|migrate|vacuum|prune``
(issue 14, item 5) through the ``modelplex`` command, the store plugin found by its entry point, on a
real SQLite file and a real PostgreSQL database (``store_url``, given as ``MODELPLEX_STORE_URL``)."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from seeding import DAY_S, NOON, call, put

from modelplex._cli import cli
from modelplex_testing import Reply, ScriptedServer, serving


@pytest.fixture(autouse=True)
def _empty_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads no config file: a named file that is absent is an error, os.devnull is empty."""
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"MODELPLEX_STORE_URL": url}, catch_exceptions=False)


def one_error_line(result: Result, *fragments: str) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def seeded(store_url: str) -> str:
    put(store_url, [
        call(at=NOON, provider="openai", model="gpt-4o", caller="alice", cost="0.0025",
             tags={"conversation": "c1", "team": "search"}),
        call(at=NOON + 1, provider="groq", model="llama-3.3-70b", status="error", caller="bob"),
        call(at=NOON + 2, provider="openai", model="mystery", cost=None, kind="stream", ttft=0.2),
        call(at=NOON - DAY_S, provider="openai", model="gpt-4o", cost="0.000000001"),
    ])
    return store_url


# -- logs -------------------------------------------------------------------------------------------
def test_logs_prints_the_recent_calls_newest_first(seeded: str) -> None:
    result = run(seeded, "logs")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["STARTED", "(UTC)", "MODEL", "STATUS"]
    assert [line.split()[2] for line in lines[1:]] == \
        ["openai/mystery", "groq/llama-3.3-70b", "openai/gpt-4o", "openai/gpt-4o"]
    assert "error: ServerError" in lines[2]
    assert "unknown" in lines[1]  # an unpriced call's cost: unknown, not $0
    assert "$0.0025" in lines[3]
    assert "$0.000000001" in lines[4]  # a cheap call's cost shown exactly, not rounded to $0


def test_logs_json_has_every_field_and_exact_money(seeded: str) -> None:
    result = run(seeded, "logs", "-n", "2", "--json")

    assert result.exit_code == 0, result.output
    mystery, failed = json.loads(result.stdout)
    assert mystery["model"] == "mystery"
    assert mystery["cost"] is None
    assert mystery["cost_status"] == "unknown"
    assert mystery["stream"] is True
    assert mystery["ttft_us"] == 200_000
    assert failed["error_class"] == "ServerError"
    assert failed["status_code"] == 503


@pytest.mark.parametrize(("args", "models"), [
    (["--model", "gpt-4o"], ["gpt-4o", "gpt-4o"]),
    (["--model", "groq/llama-3.3-70b"], ["llama-3.3-70b"]),
    (["--provider", "openai", "--since", "2026-11-10"], ["mystery", "gpt-4o"]),
    (["--status", "error"], ["llama-3.3-70b"]),
    (["--conversation", "c1"], ["gpt-4o"]),
    (["--search", "SEARCH"], ["gpt-4o"]),  # the team tag
    (["--caller", "bob"], ["llama-3.3-70b"]),
    (["--since", "2026-11-09", "--until", "2026-11-10"], ["gpt-4o"]),
])
def test_logs_filters(seeded: str, args: list[str], models: list[str]) -> None:
    result = run(seeded, "logs", *args, "--json")

    assert result.exit_code == 0, result.output
    assert [r["model"] for r in json.loads(result.stdout)] == models


def test_logs_since_a_span_counts_back_from_now(store_url: str) -> None:
    now = time.time()
    put(store_url, [call(at=now - 3600, model="recent"), call(at=now - 10 * DAY_S, model="old")])

    assert [r["model"] for r in json.loads(run(store_url, "logs", "--since", "7d", "--json").stdout)] == \
        ["recent"]
    assert len(json.loads(run(store_url, "logs", "--since", "2w", "--json").stdout)) == 2


def test_logs_of_an_empty_store_and_of_no_match(store_url: str) -> None:
    assert run(store_url, "logs").stdout.strip() == "No calls recorded yet."
    assert run(store_url, "logs", "--model", "nothing").stdout.strip() == "No calls match."


def test_a_bad_time_is_one_line_naming_the_option(store_url: str) -> None:
    result = run(store_url, "logs", "--since", "last tuesday")

    assert result.exit_code == 2
    one_error_line(result, "--since", "30m, 24h, 7d, 2w")


# -- usage ------------------------------------------------------------------------------------------
def test_usage_by_model_json(seeded: str) -> None:
    result = run(seeded, "usage", "--by", "model", "--since", "2026-11-10", "--until", "2026-11-11", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {r["key"]: r for r in report["rows"]}
    assert set(rows) == {"openai/gpt-4o", "groq/llama-3.3-70b", "openai/mystery"}
    assert rows["openai/gpt-4o"]["cost"] == "0.0025"
    assert rows["openai/mystery"]["cost"] is None
    assert rows["openai/mystery"]["unpriced_calls"] == 1
    assert rows["groq/llama-3.3-70b"]["errors"] == 1
    assert rows["openai/mystery"]["ttft_p50_ms"] is not None
    assert report["total"]["calls"] == 3
    assert report["total"]["cost"] == "0.0025"  # the error cost nothing; the unpriced call is apart
    assert report["since"] == "2026-11-10T00:00:00Z"
    assert report["until"] == "2026-11-11T00:00:00Z"


@pytest.mark.parametrize(("by", "keys"), [
    ("provider", {"openai": 3, "groq": 1}),
    ("day", {"2026-11-09": 1, "2026-11-10": 3}),
    ("caller", {"alice": 1, "bob": 1, None: 2}),
])
def test_usage_by_provider_day_and_caller(seeded: str, by: str, keys: dict[str | None, int]) -> None:
    result = run(seeded, "usage", "--by", by, "--json")

    assert result.exit_code == 0, result.output
    assert {r["key"]: r["calls"] for r in json.loads(result.stdout)["rows"]} == keys


def test_usage_of_one_caller_provider_or_model(seeded: str) -> None:
    def keys(*args: str) -> dict[str | None, int]:
        result = run(seeded, "usage", *args, "--json")
        assert result.exit_code == 0, result.output
        return {r["key"]: r["calls"] for r in json.loads(result.stdout)["rows"]}

    assert keys("--by", "model", "--caller", "alice") == {"openai/gpt-4o": 1}
    assert keys("--by", "day", "--model", "openai/gpt-4o") == {"2026-11-09": 1, "2026-11-10": 1}
    assert keys("--by", "caller", "--provider", "groq") == {"bob": 1}


def test_a_window_that_ends_before_it_starts_is_one_line(seeded: str) -> None:
    result = run(seeded, "usage", "--since", "2026-11-10", "--until", "2026-11-09")
    one_error_line(result, "ends", "before it starts")


def test_usage_table_counts_unpriced_calls_apart(seeded: str) -> None:
    result = run(seeded, "usage", "--since", "2026-11-10")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["MODEL", "CALLS", "ERRORS"]
    mystery = next(line for line in lines if line.startswith("openai/mystery"))
    assert "unknown" in mystery
    total = next(line for line in lines if line.startswith("total"))
    assert "$0.0025 +1 unpriced" in total
    assert "From 2026-11-10T00:00:00Z to now" in result.stdout


def test_usage_of_an_empty_window(store_url: str) -> None:
    result = run(store_url, "usage", "--since", "1h")
    assert result.exit_code == 0
    assert result.stdout.strip() == "No calls in this window."


def test_usage_export_csv_and_jsonl_to_stdout(seeded: str) -> None:
    as_csv = run(seeded, "usage", "export", "--format", "csv", "--since", "2026-11-10")
    as_jsonl = run(seeded, "usage", "export", "--format", "jsonl")

    assert as_csv.exit_code == 0 and as_jsonl.exit_code == 0, as_csv.output + as_jsonl.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["model"] for r in rows] == ["gpt-4o", "llama-3.3-70b", "mystery"]
    assert [r["cost_usd"] for r in rows] == ["0.0025", "0", ""]
    objects = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert [o["cost_usd"] for o in objects] == ["0.000000001", "0.0025", "0", None]


# -- store ------------------------------------------------------------------------------------------
def test_store_path_shows_the_file_or_the_url_with_its_password_masked(tmp_path: Path) -> None:
    assert run(f"sqlite:///{tmp_path / 'x.db'}", "store", "path").stdout.strip() == str(tmp_path / "x.db")
    shown = run("postgresql://me:hunter2@db.example/usage", "store", "path").stdout.strip()
    assert shown == "postgresql://me:***@db.example/usage"


def test_store_path_defaults_to_the_data_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["store", "path"], catch_exceptions=False)
    assert result.stdout.strip() == str(tmp_path / "modelplex-data" / "logs.db")  # conftest's data dir


def test_store_migrate_says_what_it_did(store_url: str) -> None:
    first = run(store_url, "store", "migrate")
    again = run(store_url, "store", "migrate")

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    from modelplex_store.schema import VERSION

    assert first.stdout.strip() == f"schema version {VERSION} (was 0)"
    assert again.stdout.strip() == f"schema version {VERSION}"


def test_store_prune_and_vacuum(seeded: str) -> None:
    pruned = run(seeded, "store", "prune", "--before", "2026-11-10")
    vacuumed = run(seeded, "store", "vacuum")

    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout.strip() == "deleted 1 call(s) started before 2026-11-10T00:00:00Z"
    assert vacuumed.exit_code == 0, vacuumed.output
    assert len(json.loads(run(seeded, "logs", "--json").stdout)) == 3
    assert json.loads(run(seeded, "usage", "--json").stdout)["total"]["calls"] == 4  # rollups kept


def test_store_prune_needs_before(store_url: str) -> None:
    result = run(store_url, "store", "prune")
    assert result.exit_code == 2
    one_error_line(result, "--before")


@pytest.mark.parametrize("args", [["logs"], ["usage"], ["usage", "export"], ["store", "migrate"],
                                  ["store", "vacuum"], ["store", "prune", "--before", "7d"]])
def test_a_database_that_is_down_is_one_line_naming_it_without_its_password(args: Sequence[str]) -> None:
    result = run("postgresql://me:hunter2@127.0.0.1:1/usage", *args)

    assert result.exit_code == 1
    one_error_line(result, "postgresql://me:***@127.0.0.1:1/usage", "MODELPLEX_STORE_URL")
    assert "hunter2" not in result.output


def test_a_bad_store_setting_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[store]\nurl = 5\n', encoding="utf-8")
    monkeypatch.setenv("MODELPLEX_CONFIG", str(config))

    result = CliRunner().invoke(cli, ["logs"], catch_exceptions=False)
    one_error_line(result, "[store] 'url' must be a string")


# -- end to end -------------------------------------------------------------------------------------
@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


def test_a_call_made_through_a_client_shows_in_logs_and_usage(store_url: str, tmp_path: Path,
                                                               serve: Callable[..., ScriptedServer]) -> None:
    import anyio
    from exchange import client, closing, recorder

    server = serve(Reply.json({
        "id": "c1", "object": "chat.completion", "model": "llama-3.3-70b-versatile",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "Hi."}}],
        "usage": {"prompt_tokens": 48, "completion_tokens": 8, "total_tokens": 56}}))

    async def main() -> None:
        for rec in closing(recorder(store_url, tmp_path / "data")):
            async with client(rec, server.url) as c:
                await c.chat("groq/llama-3.3-70b-versatile", "Hello", tags={"conversation": "conv-9"},
                             caller="cli-test")

    anyio.run(main)
    logged = json.loads(run(store_url, "logs", "--conversation", "conv-9", "--json").stdout)
    assert [(r["provider"], r["model"], r["input"], r["output"], r["caller"]) for r in logged] == \
        [("groq", "llama-3.3-70b-versatile", 48, 8, "cli-test")]
    summary = json.loads(run(store_url, "usage", "--by", "caller", "--json").stdout)
    assert [(r["key"], r["calls"], r["input"]) for r in summary["rows"]] == [("cli-test", 1, 48)]
