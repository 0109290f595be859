"""The load of ``test_load.py``: many chat calls and streams through a chain, a bounded number in flight.

Run in the test's process, or as a separate one (``python load_run.py CONFIG COUNT IN_FLIGHT FIRST OUT``)
so that two processes share the limits through Redis. Every call ends as a response or an error; the
summary counts them by kind and lists anything that was not a Modelplex error ("unhandled").
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

import modelplex
from modelplex.errors import ModelplexError, RoutingError

CHAIN = "chain/load"


def prompt(i: int) -> str:
    return f"load request {i}"


async def run_load(config: Path, count: int, in_flight: int, first: int = 0) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    unhandled: list[str] = []
    why_chain_failed: Counter[str] = Counter()  # how each candidate of a failed chain ended, for the report
    answered_by: Counter[str] = Counter()
    attempts = 0
    partial_streams = 0
    started = time.monotonic()
    limiter = anyio.Semaphore(in_flight)
    most = 0
    now = 0

    async def one(client: modelplex.AsyncClient, i: int) -> None:
        nonlocal attempts, partial_streams, most, now
        async with limiter:
            now += 1
            most = max(most, now)
            try:
                if i % 4 == 3:
                    delivered = 0
                    try:
                        async with client.stream(CHAIN, prompt(i)) as stream:
                            async for event in stream:
                                delivered += isinstance(event, modelplex.TextDelta)
                    except ModelplexError:
                        partial_streams += delivered > 0
                        raise
                    response = stream.response
                    assert response is not None
                else:
                    response = await client.chat(CHAIN, prompt(i))
                assert response.trace is not None and response.trace.answered_by is not None
                answered_by[response.trace.answered_by] += 1
                attempts += len(response.trace.attempts)
                outcomes["ok"] += 1
            except ModelplexError as exc:
                outcomes[type(exc).__name__] += 1
                trace = getattr(exc, "trace", None)
                attempts += len(trace.attempts) if trace is not None else 0
                if isinstance(exc, RoutingError):
                    why_chain_failed[str(exc).split(":", 1)[-1].strip()[:300]] += 1
            except Exception as exc:  # what the test must never see
                unhandled.append(f"{type(exc).__name__}: {exc}")
            finally:
                now -= 1

    async with modelplex.AsyncClient(config_file=config, env={}) as client, anyio.create_task_group() as tg:
        for i in range(first, first + count):
            tg.start_soon(one, client, i)
    return {"outcomes": dict(outcomes), "unhandled": unhandled, "why_routing_failed": dict(why_chain_failed),
            "answered_by": dict(answered_by), "attempts": attempts, "partial_streams": partial_streams,
            "most_in_flight": most,
            "seconds": time.monotonic() - started}


def main(argv: list[str]) -> None:
    config, count, in_flight, first, out = argv
    summary = anyio.run(run_load, Path(config), int(count), int(in_flight), int(first))
    Path(out).write_text(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
