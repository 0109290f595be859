"""A waiter's event loop's expiry is found through the last loop asked for (the shortcut in
``docs/hot-paths.md``): it is that loop's own, whichever loops take turns."""

from __future__ import annotations

import asyncio

from modelplex_store import wake


def test_each_event_loop_keeps_its_own_expiry_when_loops_take_turns() -> None:
    loops = [asyncio.new_event_loop() for _ in range(2)]

    async def make() -> tuple[object, wake.Waiter]:
        waiter = wake.Waiter()
        return wake._expiry(asyncio.get_running_loop()), waiter

    try:
        got = [loop.run_until_complete(make()) for _ in range(2) for loop in loops]
        for loop, (expiry, waiter) in zip(loops * 2, got, strict=True):
            assert expiry is wake._expiries[loop]  # the loop's own, as the weak mapping holds it
            assert any(ref() is waiter for _, ref in wake._expiries[loop].pending)
        assert got[0][0] is not got[1][0]
    finally:
        for loop in loops:
            loop.close()
