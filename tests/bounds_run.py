"""One call of ``test_bounds.py`` in a process of its own, so that its peak memory is the call's alone.

``python bounds_run.py CONFIG ADDRESS MODE [BACKEND]`` (MODE ``chat`` or ``stream``; BACKEND
``asyncio``, where the client sends through aiohttp, or ``trio``, through httpx's own transport) makes
the call through a Modelplex client configured by the TOML file CONFIG and prints, as JSON, how it
ended (the error's type and message, or ``ok``), the process's peak resident memory in MiB, with the
peak before the call for comparison, and the CPU seconds the call took.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import anyio

import modelplex


def peak_mib() -> float:
    """The peak resident memory of this process, in MiB.

    Linux's ``VmHWM`` where there is one: ``ru_maxrss`` outlives ``exec``, so it would count the
    memory of the test process this one was forked from.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def call(config: Path, address: str, mode: str) -> dict[str, object]:
    async with modelplex.AsyncClient(config_file=config, env={}) as client:
        before = peak_mib()
        cpu = time.process_time()
        outcome = "ok"
        message = ""
        try:
            if mode == "stream":
                async with client.stream(address, "hello") as stream:
                    async for _ in stream:
                        pass
            else:
                await client.chat(address, "hello")
        except Exception as exc:  # the outcome is what the test checks
            outcome, message = type(exc).__name__, str(exc)
        return {"outcome": outcome, "message": message, "peak_before_mib": before,
                "peak_mib": peak_mib(), "cpu_seconds": time.process_time() - cpu}


def main(argv: list[str]) -> None:
    config, address, mode, *backend = argv
    result = anyio.run(call, Path(config), address, mode, backend=backend[0] if backend else "asyncio")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
