"""How much a provider's connection reads at once: 64 KiB, not asyncio's 256 KiB.

asyncio's socket transport reads each time into a new ``bytes`` of its ``max_size`` (256 KiB), and an
SSL connection decrypts into one of the SSL protocol's ``max_size`` (256 KiB too), shrunk to what came.
glibc's ``malloc`` serves 256 KiB from a fresh ``mmap`` (above its 128 KiB threshold) and, the chunk
being shrunk before it is freed, never raises that threshold: every read of every reply maps, faults two
pages in and unmaps. Measured at 100 calls in flight against the bench server: 2.0 page faults a call,
in every process or in none, as the allocator's history went, and 232-248 µs of the client's CPU a
call; at 64 KiB, 0.00-0.05 and 207-234 µs. A reply longer than 64 KiB takes more reads, a system call each.

Set on each connection as aiohttp makes it (:func:`smaller_reads`), on the session's connector, never
on asyncio's classes: other connections of the process keep their own.
"""

from __future__ import annotations

import functools
from typing import Any

import aiohttp
from aiohttp.client_proto import ResponseHandler

#: What a connection reads (or decrypts) at once: below glibc's ``mmap`` threshold.
READ_SIZE = 1 << 16


def _read_less(transport: Any) -> None:
    if getattr(transport, "max_size", 0) > READ_SIZE:  # a socket transport
        transport.max_size = READ_SIZE
    tls: Any = getattr(transport, "_ssl_protocol", None)  # an SSL transport: its protocol decrypts
    if getattr(tls, "max_size", 0) > READ_SIZE:
        tls.max_size = READ_SIZE


class _Handler(ResponseHandler):
    """aiohttp's protocol of a connection, whose transport reads :data:`READ_SIZE` at once."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        _read_less(transport)


def smaller_reads(session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    """``session``, its connector making :class:`_Handler` connections. The connector's protocol
    factory is aiohttp's own attribute (``_factory``): an aiohttp that has none, or another, is left
    as it is (``test_reads.py`` notices)."""
    connector = session.connector
    factory = getattr(connector, "_factory", None)
    if isinstance(factory, functools.partial) and factory.func is ResponseHandler:
        connector._factory = functools.partial(_Handler, *factory.args, **factory.keywords)  # type: ignore[union-attr]
    return session
