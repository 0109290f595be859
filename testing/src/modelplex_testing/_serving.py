"""Loopback servers a test starts as it goes, all stopped when it ends: :func:`serving`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

S = TypeVar("S")


@contextlib.contextmanager
def serving(make: Callable[..., AbstractContextManager[S]]) -> Iterator[Callable[..., S]]:
    """``start(...)`` makes a server with ``make(...)`` and enters it; each one started is left (and
    so stopped) when the block ends, last first. A fixture is three lines::

        @pytest.fixture
        def serve() -> Iterator[Callable[..., ScriptedServer]]:
            with serving(lambda *replies: ScriptedServer(replies)) as start:
                yield start
    """
    with contextlib.ExitStack() as stack:
        def start(*args: Any, **kwargs: Any) -> S:
            return stack.enter_context(make(*args, **kwargs))

        yield start
