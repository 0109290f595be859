"""One measurement of one subject, in a process of its own; prints its result as one line of JSON.

    python bench/measure.py SUBJECT FORMAT MEASUREMENT --url URL [--calls N] [--cpu 1] ...

Measurements: ``latency`` (sequential asynchronous calls: median and p99 in µs), ``latency_sync`` (the
same through the synchronous API), ``stream`` (µs per streamed chunk: the slope between a short and a
long stream), ``stream_sync`` (the same through the synchronous API), ``throughput`` (calls per second
with ``--concurrency`` in flight) and ``memory`` (peak RSS in MiB after ``--calls`` calls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import pin
from subjects import SUBJECTS, Subject


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def latency(subject: Subject, calls: int, warmup: int) -> dict[str, Any]:
    await subject.open()
    try:
        # A subject with a paired plain call (the lifecycle's) makes both in turn, so that what the
        # machine does meanwhile weighs on both alike; the difference of their medians is its cost.
        paired = getattr(subject, "call_plain", None)
        # Which of a pair goes first is drawn (seeded, so every run draws the same): alternating it
        # made a period-2 pattern that weighs on one side. Two plain clients paired in alternation
        # differed by +5 to +7 µs a call on the bench VM, and by -0.4 to -2.8 with the alternation's
        # phase flipped; drawn, their difference stayed within ±3.
        order = random.Random(11)
        for _ in range(warmup):
            pair = [subject.call] if paired is None else [subject.call, paired]
            if len(pair) == 2 and order.random() < 0.5:
                pair.reverse()
            for call in pair:
                await call("bench-1")
        times: list[float] = []
        plain: list[float] = []
        # The client's own CPU time per call too: a no-op plugin's cost is work of this thread, and the
        # thread's CPU clock leaves out the server, the loopback and the wake-ups that make wall times
        # jitter by tens of µs. Taken for every subject alike; the paired figure is what it is for.
        cpu: list[float] = []
        cpu_plain: list[float] = []
        clock, cpu_clock = time.perf_counter, time.thread_time
        for _ in range(calls):
            # Whichever call goes second finds the server and the machine as the first left them, and
            # that must not weigh on one side only: the order is drawn (above).
            plain_first = paired is not None and order.random() < 0.5
            if plain_first and paired is not None:  # (the second test is for the type checker)
                start, cpu_start = clock(), cpu_clock()
                await paired("bench-1")
                plain.append(clock() - start)
                cpu_plain.append(cpu_clock() - cpu_start)
            start, cpu_start = clock(), cpu_clock()
            text = await subject.call("bench-1")
            times.append(clock() - start)
            cpu.append(cpu_clock() - cpu_start)
            if paired is not None and not plain_first:
                start, cpu_start = clock(), cpu_clock()
                await paired("bench-1")
                plain.append(clock() - start)
                cpu_plain.append(cpu_clock() - cpu_start)
        assert text == "Hello", text
    finally:
        await subject.close()
    result = {"median_us": statistics.median(times) * 1e6, "p99_us": percentile(times, 0.99) * 1e6,
              "cpu_median_us": statistics.median(cpu) * 1e6}
    if plain:
        result["plain_median_us"] = statistics.median(plain) * 1e6
        result["plain_cpu_median_us"] = statistics.median(cpu_plain) * 1e6
        # Each call beside its pair, made a moment apart: what the machine did meanwhile weighs on both,
        # and the median of those differences is the cost, far less noisy than a difference of medians.
        result["overhead_us"] = statistics.median(w - p for w, p in zip(times, plain, strict=True)) * 1e6
        result["cpu_overhead_us"] = statistics.median(w - p for w, p in zip(cpu, cpu_plain,
                                                                            strict=True)) * 1e6
    return result


def latency_sync(subject: Subject, calls: int, warmup: int) -> dict[str, Any]:
    subject.open_sync()
    try:
        for _ in range(warmup):
            subject.call_sync("bench-1")
        times = []
        clock = time.perf_counter
        for _ in range(calls):
            start = clock()
            text = subject.call_sync("bench-1")
            times.append(clock() - start)
        assert text == "Hello", text
    finally:
        subject.close_sync()
    return {"median_us": statistics.median(times) * 1e6, "p99_us": percentile(times, 0.99) * 1e6}


async def stream(subject: Subject, short: int, long: int, reps: int) -> dict[str, Any]:
    """µs per chunk: (median time of a ``long``-chunk stream - that of a ``short`` one) / the difference."""
    await subject.open()
    medians: dict[int, float] = {}
    try:
        for n in (short, long):
            model = f"bench-{n}"
            for _ in range(3):
                got = await subject.stream(model)
            assert got == n, (got, n)
            times = []
            for _ in range(reps):
                start = time.perf_counter()
                await subject.stream(model)
                times.append(time.perf_counter() - start)
            medians[n] = statistics.median(times)
    finally:
        await subject.close()
    per_chunk = (medians[long] - medians[short]) / (long - short)
    return {"per_chunk_us": per_chunk * 1e6, "short_us": medians[short] * 1e6,
            "long_us": medians[long] * 1e6}


def stream_sync(subject: Subject, short: int, long: int, reps: int) -> dict[str, Any]:
    """:func:`stream` through the synchronous API: what a thread reading a stream pays per chunk."""
    subject.open_sync()
    medians: dict[int, float] = {}
    try:
        for n in (short, long):
            model = f"bench-{n}"
            for _ in range(3):
                got = subject.stream_sync(model)
            assert got == n, (got, n)
            times = []
            for _ in range(reps):
                start = time.perf_counter()
                subject.stream_sync(model)
                times.append(time.perf_counter() - start)
            medians[n] = statistics.median(times)
    finally:
        subject.close_sync()
    per_chunk = (medians[long] - medians[short]) / (long - short)
    return {"per_chunk_us": per_chunk * 1e6, "short_us": medians[short] * 1e6,
            "long_us": medians[long] * 1e6}


async def throughput(subject: Subject, calls: int, concurrency: int) -> dict[str, Any]:
    await subject.open()
    try:
        # Warm up with one full wave, so the pool holds its connections before the clock starts.
        await asyncio.gather(*(subject.call("bench-1") for _ in range(concurrency)))
        remaining = calls

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await subject.call("bench-1")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    finally:
        await subject.close()
    return {"rps": calls / elapsed, "seconds": elapsed}


async def memory(subject: Subject, calls: int) -> dict[str, Any]:
    await subject.open()
    try:
        for _ in range(calls):
            await subject.call("bench-1")
    finally:
        await subject.close()
    # ru_maxrss is in KiB on Linux.
    return {"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("subject", choices=sorted(SUBJECTS))
    parser.add_argument("format")
    parser.add_argument("measurement", choices=["latency", "latency_sync", "stream", "stream_sync",
                                                        "throughput", "memory"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--short", type=int, default=10)
    parser.add_argument("--long", type=int, default=500)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to this CPU")
    args = parser.parse_args(argv)
    pinned = pin(args.cpu)
    _label, factory, formats, _module = SUBJECTS[args.subject]
    if args.format not in formats:
        raise SystemExit(f"{args.subject} does not speak {args.format}")
    subject = factory(args.format, args.url)
    m = args.measurement
    if m == "latency_sync":
        result = latency_sync(subject, args.calls, args.warmup)
    elif m == "latency":
        result = asyncio.run(latency(subject, args.calls, args.warmup))
    elif m == "stream":
        result = asyncio.run(stream(subject, args.short, args.long, args.reps))
    elif m == "stream_sync":
        result = stream_sync(subject, args.short, args.long, args.reps)
    elif m == "throughput":
        result = asyncio.run(throughput(subject, args.calls, args.concurrency))
    else:
        result = asyncio.run(memory(subject, args.calls))
    result["pinned"] = pinned
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
