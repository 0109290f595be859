"""Helpers of the recorder's tests: a real client on the groq plugin against a loopback server, a
recorder on a store URL, the rows as dicts, and one recorded exchange in its streamed and whole forms."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelplex_store
from modelplex_groq.plugin import PLUGIN as GROQ
from modelplex_store.config import StoreConfig
from modelplex_store.db import connect
from modelplex_store.plugin import StorePlugin
from modelplex_store.recorder import Recorder
from modelplex_store.rows import Record, build
from modelplex_store.schema import CALLS, ROLLUP_KEY, ROLLUP_SUMS

import modelplex
from modelplex import CallInfo, CallOutcome, Usage
from modelplex_testing import Reply, load_recordings

FIXTURES = Path(__file__).resolve().parents[2] / "groq" / "tests" / "fixtures" / "groq"
#: The API key the tests' clients use: key-shaped, so that scrubbing would catch it anywhere.
KEY = "gsk_S3cretTestKey0123456789abcdefghijklmnopqrstuv"
MODEL = "groq/llama-3.3-70b-versatile"


def recorder(url: str, data_dir: Path, **settings: Any) -> Recorder:
    """A recorder on ``url`` with its spool under ``data_dir``."""
    return Recorder(StoreConfig(url=url, data_dir=data_dir, **settings))


def client(rec: Recorder, base_url: str, **kwargs: Any) -> modelplex.AsyncClient:
    """A client with the groq plugin (served at ``base_url``) and ``rec``, nothing installed or configured."""
    return modelplex.AsyncClient(plugins={"groq": GROQ, "store": StorePlugin(rec)}, autoload=False,
                                 config_file=False, env={},
                                 providers={"groq": {"api_key": KEY, "base_url": base_url}}, **kwargs)


def settled() -> None:
    """Every call this process recorded is in its store: a journaled call returns before its commit."""
    assert modelplex_store.flush(), "the store's writers did not catch up"


def rows(url: str, where: str = "1 = 1", *, settle: bool = True) -> list[dict[str, Any]]:
    """The ``calls`` rows of the store at ``url``, oldest first, as dicts; with ``settle``, once this
    process's calls are all there."""
    if settle:
        settled()
    db = connect(url)
    try:
        found = db.execute(f"SELECT {', '.join(CALLS.names)} FROM calls WHERE {where} "
                           "ORDER BY started_at, kind").fetchall()
    finally:
        db.close()
    return [dict(zip(CALLS.names, row, strict=True)) for row in found]


def rollups(url: str) -> dict[tuple[Any, ...], dict[str, int]]:
    """The rollups of the store at ``url``, by key (once this process's calls are all there)."""
    settled()
    db = connect(url)
    try:
        found = db.execute(f"SELECT {', '.join((*ROLLUP_KEY, *ROLLUP_SUMS))} FROM rollups").fetchall()
    finally:
        db.close()
    width = len(ROLLUP_KEY)
    return {tuple(r[:width]): dict(zip(ROLLUP_SUMS, r[width:], strict=True)) for r in found}


def table_text(url: str) -> str:
    """Every value of every table of the store, as text (to look for what must not be there)."""
    settled()
    db = connect(url)
    try:
        parts = []
        for table in ("calls", "call_contents", "rollups", "schema_migrations"):
            parts += [repr(r) for r in db.execute(f"SELECT * FROM {table}").fetchall()]
    finally:
        db.close()
    return "\n".join(parts)


def _events(body_text: str) -> list[str]:
    return [block.removeprefix("data: ") for block in body_text.split("\n\n")
            if block.startswith("data: ") and block != "data: [DONE]"]


def streamed_exchange() -> Reply:
    """Groq's recorded stream (``05_stream_text``): reasoning, then text, then usage."""
    recording = load_recordings(FIXTURES)["05_stream_text"]
    return Reply.stream(_events(recording.response["body_text"]))


def whole_exchange() -> Reply:
    """The same exchange as one JSON body: the stream's text, reasoning, finish reason and usage."""
    recording = load_recordings(FIXTURES)["05_stream_text"]
    chunks = [json.loads(e) for e in _events(recording.response["body_text"])]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning") or "" for c in chunks if c["choices"])
    last = chunks[-1]
    return Reply.json({
        "id": last["id"], "object": "chat.completion", "created": last["created"], "model": last["model"],
        "choices": [{"index": 0, "finish_reason": last["choices"][0]["finish_reason"],
                     "message": {"role": "assistant", "content": text, "reasoning": reasoning}}],
        "usage": last["usage"],
    })


def journaled(rec: Recorder) -> list[dict[str, Any]]:
    """The ``calls`` rows ``rec``'s process holds in its journal now, read from the files."""
    from modelplex_store import journal

    folder = journal.directory(rec.config.data_dir, rec.config.url)
    found = []
    for owner in sorted(p.name[:-len(".lock")] for p in folder.glob("*.lock")):
        for path in journal.segments(folder, owner):
            for payload in journal.read_segment(path):
                calls = journal.loads(payload)
                calls = calls.calls if isinstance(calls, Record) else build(calls).calls
                found += [dict(zip(CALLS.names, row, strict=True)) for row in calls]
    return found


def closing(rec: Recorder) -> Iterator[Recorder]:
    """Yield ``rec``; stop its writer afterwards."""
    try:
        yield rec
    finally:
        rec.close()


def call(n: int) -> tuple[CallInfo, CallOutcome]:
    """The ``n``-th call of a test: a chat of ``openai/gpt-4o`` that used ``n`` input tokens."""
    info = CallInfo(kind="chat", address="openai/gpt-4o", provider="openai", model="gpt-4o",
                    started=time.time(), caller="svc", tags={"conversation": f"c{n}"})
    return info, CallOutcome(status="ok", provider="openai", model="gpt-4o", usage=Usage(input=n, output=1),
                             duration=0.01)


async def record_calls(rec: Recorder, count: int, settle: bool = True) -> None:
    """Record ``count`` calls as a client does, each awaiting its row's commit where it is not journaled;
    then, with ``settle``, wait for them all to be written (from the loop's own thread, as an
    application may)."""
    for n in range(1, count + 1):
        done = rec.record(*call(n))
        assert (done is None) == (rec.config.writer == "process" and rec.config.durability == "journal")
        if done is not None:
            await done
    if settle:
        assert rec.flush()
