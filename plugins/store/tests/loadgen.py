"""A client process under load, for the store's kill, restart and many-process tests.

    python loadgen.py CONFIG --calls 2000 --in-flight 100 --prefix run7 [--stream-every 4]

makes ``--calls`` calls to ``--model`` (a loopback provider the config names, with the store configured
there), at most ``--in-flight`` at once, every fourth one a stream. Call ``i`` carries the tag
``message_id=<prefix>-<i>``, which the store keeps in its own column: the id a test looks the row up by.
The moment a call returns to this caller, the process writes one line to stdout, unbuffered::

    ok <message_id>          a response reached the caller
    error <message_id> <E>   the call failed with Modelplex error E (failed calls are recorded too)
    done <calls> <seconds> recorded=<n> spooled=<n> lost=<n>
                             all calls ended and the client closed; the store's counters in this process

So whatever a parent reads before it kills this process with SIGKILL is a set of calls whose outcome had
reached their caller: each must have its row.

The rest of the module is the parent's side, for the tests: :func:`write_config`, :func:`launch`,
:func:`collect` (read the lines, SIGKILL after the k-th), :func:`stored` and :func:`rollup_gaps` (what the
database holds, read with plain SQL, not the store's own code).
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import anyio
import attrs

import modelplex
from modelplex.errors import ModelplexError


def _say(line: str) -> None:
    # One write(2) a line, no buffer: a SIGKILL loses no line already "reached", and lines from
    # concurrent tasks never interleave.
    os.write(1, (line + "\n").encode())


async def run(config: Path, model: str, calls: int, in_flight: int, prefix: str, stream_every: int,
              first: int, hold: float = 0.0) -> None:
    """Make the calls (see the module docstring), then close the client and say ``done``."""
    started = time.monotonic()
    limiter = anyio.Semaphore(in_flight)

    async def one(client: modelplex.AsyncClient, i: int) -> None:
        message_id = f"{prefix}-{i}"
        tags = {"message_id": message_id, "conversation_id": prefix, "user_id": f"user{i % 7}"}
        async with limiter:
            try:
                if stream_every and i % stream_every == stream_every - 1:
                    async with client.stream(model, f"load call {message_id}", tags=tags,
                                             caller="loadgen") as stream:
                        async for _ in stream:
                            pass
                else:
                    await client.chat(model, f"load call {message_id}", tags=tags, caller="loadgen")
            except ModelplexError as exc:
                _say(f"error {message_id} {type(exc).__name__}")
            else:
                _say(f"ok {message_id}")
            if hold:  # a floor under the load's duration, whatever the machine's speed
                await anyio.sleep(hold)

    async with modelplex.AsyncClient(config_file=config, env={}) as client, anyio.create_task_group() as tg:
        for i in range(first, first + calls):
            tg.start_soon(one, client, i)
    from modelplex_store.plugin import PLUGIN

    PLUGIN.recorder.flush(60.0)  # journaled calls returned before their rows were committed
    stats = PLUGIN.recorder.stats()
    _say(f"done {calls} {time.monotonic() - started:.3f} recorded={stats.recorded} spooled={stats.spooled} "
         f"lost={stats.lost}")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--model", default="local/m1")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--prefix", default="load")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--stream-every", type=int, default=4, help="every Nth call streams (0: none)")
    parser.add_argument("--hold", type=float, default=0.0,
                        help="seconds a slot stays taken after its call (at most IN_FLIGHT/HOLD calls/s)")
    args = parser.parse_args(argv)
    anyio.run(run, args.config, args.model, args.calls, args.in_flight, args.prefix, args.stream_every,
              args.first, args.hold)


# -- the parent's side -----------------------------------------------------------------------------------
HERE = Path(__file__).resolve()


def write_config(path: Path, base_url: str, store_url: str, *, store: str = "",
                 backup_url: str | None = None) -> Path:
    """A config file with the provider ``local`` at ``base_url`` and the store at ``store_url``
    (``store``: more lines of its ``[store]`` table). The provider is the groq plugin (OpenAI's wire
    format, which the loopback servers speak): the store's test environment installs it. With
    ``backup_url``, a second provider ``backup`` there and the chain ``chain/load`` (``local/m1``, then
    ``backup/m1``): a call that fails on the first is tried on the second, and has attempt rows."""
    text = [f'[providers.local]\nplugin = "groq"\napi_key = "gsk-loopback-0000"\nbase_url = "{base_url}"\n']
    if backup_url is not None:
        text += [f'[providers.backup]\nplugin = "groq"\napi_key = "gsk-loopback-0000"\n'
                 f'base_url = "{backup_url}"\n', '[chains.load]\nmodels = ["local/m1", "backup/m1"]\n']
    text.append(f'[store]\nurl = "{store_url}"\n{store}\n')
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def launch(config: Path, data_dir: Path, *, calls: int, prefix: str, in_flight: int = 100, first: int = 0,
           stream_every: int = 4, hold: float = 0.0, model: str = "local/m1") -> subprocess.Popen[bytes]:
    """Start a load generator process with its own data directory (its spool lives there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env.update(MODELPLEX_CONFIG=str(config), MODELPLEX_DATA_DIR=str(data_dir))
    return subprocess.Popen(
        [sys.executable, str(HERE), str(config), "--calls", str(calls), "--prefix", prefix,
         "--in-flight", str(in_flight), "--first", str(first), "--stream-every", str(stream_every),
         "--hold", str(hold), "--model", model],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


@attrs.frozen(slots=True, kw_only=True)
class Seen:
    """What a parent read from one load generator: the calls whose outcome reached the caller."""

    ok: tuple[str, ...]
    errors: tuple[str, ...]
    done: bool
    returncode: int
    stderr: str
    stats: dict[str, int] = attrs.field(factory=dict)  # the store's counters, from the "done" line

    @property
    def reached(self) -> frozenset[str]:
        """Every call whose outcome (a response or an error) reached the caller."""
        return frozenset(self.ok) | frozenset(self.errors)


def collect(process: subprocess.Popen[bytes], *, after: int | None = None,
            then: Callable[[], None] | None = None, timeout: float = 120.0) -> Seen:
    """Read ``process``'s lines to its end. With ``after`` and ``then``, call ``then()`` once the
    ``after``-th outcome has reached its caller (``after=0``: at once). A process still running after
    ``timeout`` is killed and the test fails."""
    assert process.stdout is not None and process.stderr is not None
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        process.kill()

    stalled = threading.Timer(timeout, stop)
    stalled.start()
    ok: list[str] = []
    errors: list[str] = []
    done = False
    stats: dict[str, int] = {}
    try:
        if after == 0 and then is not None:
            then()
        for raw in process.stdout:
            word, _, rest = raw.decode().strip().partition(" ")
            if word == "ok":
                ok.append(rest)
            elif word == "error":
                errors.append(rest.split(" ")[0])
            elif word == "done":
                done = True
                stats = {k: int(v) for k, _, v in (f.partition("=") for f in rest.split()[2:])}
            if after and then is not None and word in ("ok", "error") and len(ok) + len(errors) == after:
                then()
        stderr = process.stderr.read().decode(errors="replace")
        process.wait()
    finally:
        stalled.cancel()
        process.stdout.close()
        process.stderr.close()
    if timed_out.is_set():
        raise AssertionError(f"the load generator ran past {timeout} s: {stderr[-2000:]}")
    return Seen(ok=tuple(ok), errors=tuple(errors), done=done, returncode=process.returncode,
                stderr=stderr, stats=stats)


def killer(process: subprocess.Popen[bytes], pause: float = 0.0) -> Callable[[], None]:
    """What SIGKILLs ``process`` ``pause`` seconds after it is called (for :func:`collect`'s ``then``)."""
    def kill() -> None:
        if pause:
            time.sleep(pause)
        process.send_signal(signal.SIGKILL)

    return kill


@contextmanager
def connect(url: str) -> Iterator[Any]:
    """A plain DB-API connection to the store at ``url`` (``sqlite:///PATH`` or ``postgresql://...``)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)) as conn:
            yield conn
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def _all(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        if not url.startswith("sqlite:"):
            sql = sql.replace("?", "%s")
        return list(conn.execute(sql, params).fetchall())


def stored(url: str, prefix: str) -> Counter[str]:
    """How many call rows (attempts left out) the store holds for each ``message_id`` of ``prefix``."""
    rows = _all(url, "SELECT message_id, COUNT(*) FROM calls WHERE parent_id IS NULL AND kind <> 'attempt' "
                     "AND message_id LIKE ? GROUP BY message_id", (f"{prefix}-%",))
    return Counter({str(m): int(n) for m, n in rows})


def attempt_rows(url: str) -> int:
    """How many attempt rows the store holds, each with the call it belongs to (none is an orphan:
    a call and its attempts are written in one transaction)."""
    orphans = _all(url, "SELECT COUNT(*) FROM calls a WHERE a.kind = 'attempt' AND NOT EXISTS "
                        "(SELECT 1 FROM calls c WHERE c.id = a.parent_id)")[0][0]
    assert orphans == 0, f"{orphans} attempt rows without their call"
    return int(_all(url, "SELECT COUNT(*) FROM calls WHERE kind = 'attempt'")[0][0])


def rollup_gaps(url: str) -> dict[str, tuple[int, int]]:
    """Where the rollups disagree with the call rows: for each grain, (calls rolled up, call rows),
    empty when they agree. A row and its rollups are written in one transaction, even under SIGKILL."""
    rows = _all(url, "SELECT COUNT(*) FROM calls WHERE kind <> 'attempt'")[0][0]
    gaps = {}
    for grain in ("hour", "day"):
        rolled = _all(url, "SELECT COALESCE(SUM(calls), 0) FROM rollups WHERE grain = ?", (grain,))[0][0]
        if int(rolled) != int(rows):
            gaps[grain] = (int(rolled), int(rows))
    return gaps


if __name__ == "__main__":
    sys.exit(main())
