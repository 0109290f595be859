"""The SQL ledger's worker thread: operations in the order asked for, each run whatever happens to its
caller, on asyncio and trio."""

from __future__ import annotations

import asyncio
import threading

import pytest
import trio
from modelplex_store.budgets.worker import Worker


def test_operations_run_in_the_order_asked_for_and_a_cancelled_caller_s_runs_all_the_same() -> None:
    worker = Worker("test")
    gate = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        first = asyncio.ensure_future(worker.run(lambda: (gate.wait(5), ran.append("first"))))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(worker.run(lambda: ran.append("second")))
        await asyncio.sleep(0)  # asked for: it waits its turn behind the first
        second.cancel()
        assert (await asyncio.gather(second, return_exceptions=True))[0].__class__ is asyncio.CancelledError
        gate.set()
        await first
        assert await worker.run(lambda: "third") == "third"  # after the second, in the same thread

    asyncio.run(main())
    worker.close()
    assert ran == ["first", "second"]


def test_an_operation_s_exception_reaches_its_caller_on_trio() -> None:
    worker = Worker("test")

    def fails() -> None:
        raise LookupError("no such counter")

    async def main() -> str:
        with pytest.raises(LookupError, match="no such counter"):
            await worker.run(fails)
        return (await worker.run(threading.current_thread)).name

    assert trio.run(main).startswith("test")
    worker.close()


def test_an_operation_that_ends_after_its_loop_has_closed_wakes_nobody_and_raises_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker("test")
    gate = threading.Event()
    done = threading.Event()

    async def main() -> None:
        task = asyncio.ensure_future(worker.run(lambda: (gate.wait(5), done.set())))
        await asyncio.sleep(0)
        task.cancel()

    asyncio.run(main())  # the loop closes with the operation still running
    gate.set()
    assert done.wait(5)
    worker.close()  # waits for nothing; the thread's callbacks have run once it has stopped
    for thread in threading.enumerate():
        if thread.name.startswith("test"):
            thread.join(5)
    # concurrent.futures logs a callback's exception ("exception calling callback for ...")
    assert [r.getMessage() for r in caplog.records if r.name == "concurrent.futures"] == []
