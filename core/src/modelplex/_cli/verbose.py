"""``-v``: structured log lines on stderr, secrets redacted first. Only the CLI does this."""

from __future__ import annotations

import sys

import click


def enable_verbose(ctx: click.Context) -> None:
    """Turn Modelplex's logging on for this invocation; the previous setup returns at its end."""
    import logging  # here: without -v the command need not load logging (2 ms of its start)

    import structlog

    from modelplex import _logging, redact_secrets

    was_configured = structlog.is_configured()
    previous = structlog.get_config()
    structlog.configure(
        processors=[
            redact_secrets,  # first, so no later processor or renderer ever sees a secret
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="%H:%M:%S"),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    _logging.enable()

    def restore() -> None:
        _logging.enable(False)
        if was_configured:
            structlog.configure(**previous)
        else:
            structlog.reset_defaults()

    ctx.call_on_close(restore)
