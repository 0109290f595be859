"""``export`` streams with bounded memory (issue 14, item 5): on SQLite the Python memory it holds stays
near one batch whatever the number of rows; on PostgreSQL the rows come through a server-side cursor,
never as one result in the client. And the fast time stamps it writes are the queries' own ISO text."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import modelplex_store
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_store import export
from modelplex_store.api import Store
from modelplex_store.export import BATCH, stamp
from modelplex_store.when import iso
from seeding import NOON, call, put

ROWS = 6 * BATCH


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store of 6,000 calls (libpq's memory is not Python's: on PostgreSQL the server-side
    cursor test shows the rows are not all fetched)."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    put(url, [call(at=NOON + i / 7, tags={"note": f"call {i}"}) for i in range(ROWS)])
    with modelplex_store.open(url) as store:
        yield store


def _peak(store: Store, fmt: str) -> tuple[int, int]:
    """The most Python memory an export held, and how much text it wrote."""
    tracemalloc.start()
    try:
        written = 0
        for chunk in store.export(fmt):  # type: ignore[arg-type]
            written += len(chunk)
        return tracemalloc.get_traced_memory()[1], written
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_holds_about_one_batch_not_every_row(big: Store, fmt: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "BATCH", ROWS)  # every row at once: what an unbounded export holds
    everything, written = _peak(big, fmt)
    monkeypatch.setattr(export, "BATCH", ROWS // 30)
    batched, again = _peak(big, fmt)

    assert again == written > 1_000_000
    assert batched < everything / 5, (batched, everything)


def test_export_on_postgresql_reads_through_a_server_side_cursor(pg_url: str) -> None:
    put(pg_url, [call(at=NOON + i) for i in range(BATCH + 1)])
    with modelplex_store.open(pg_url) as store:
        chunks = store.export("csv")
        next(chunks)  # the header
        next(chunks)  # the first batch; the rest still waits on the server
        cursors = store.database.execute("SELECT name FROM pg_cursors").fetchall()
        assert [r[0] for r in cursors] == ["modelplex_export"]
        rest = list(chunks)

    assert sum(c.count("\n") for c in rest) == 1


@given(st.integers(min_value=0, max_value=253_402_300_799_999_999))  # up to the end of year 9999
def test_fast_stamps_are_the_iso_text(micros: int) -> None:
    assert stamp(micros) == iso(micros)
