"""Modelplex's log events captured in a test, and structlog left as the test found it.

``structlog.testing.capture_logs()`` leaves structlog *configured* when it exits, with the default
logger, which prints to standard output. Modelplex logs only once structlog is configured, so every test
after it in the same process prints log lines into what it reads: a CLI test's ``--json`` output then
begins with ``config_read`` (seen on CI, in whichever xdist worker ran a capturing test first).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any


@contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """The events logged inside the block, each a dict (``event``, ``log_level`` and the fields), in
    order; structlog's whole configuration, configured or not, is restored at the end."""
    import structlog

    was_configured = structlog.is_configured()
    previous = structlog.get_config()
    lines: list[dict[str, Any]] = []

    def sink(_: object, level: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
        lines.append({**event, "log_level": level})
        raise structlog.DropEvent

    structlog.configure(processors=[sink])
    try:
        yield lines
    finally:
        if was_configured:
            structlog.configure(**previous)
        else:
            structlog.reset_defaults()
