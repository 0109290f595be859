"""Structured logging that never carries a secret and stays quiet until the application opts in.

The library never configures logging. It logs through structlog only once the application has
configured structlog (or the ``modelplex`` command asked for it with ``-v``); every event passes through
:func:`redact_secrets` first, whatever processors the application chose.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

from modelplex._secret import MASK, Secret, is_secret_name, scrub_url

_forced = False


def _clean(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, str):
        return scrub_url(value)
    if isinstance(value, BaseException):  # its message, as the error reports it, less secrets
        return scrub_url(f"{type(value).__name__}: {value}")
    if isinstance(value, Mapping):
        return {k: MASK if is_secret_name(str(k)) else _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: masks the values of credential-named keys (``api_key``, ``Authorization``,
    ``X-Auth-Token``...), Secret values, every registered secret and key-shaped strings; an exception
    shows as its type and scrubbed message."""
    for key, value in list(event_dict.items()):
        if key != "exc_info":  # left to the application's traceback renderer
            event_dict[key] = MASK if is_secret_name(key) else _clean(value)
    return event_dict


def enable(on: bool = True) -> None:
    """Log even though the application did not configure structlog (the CLI's ``-v``)."""
    global _forced
    _forced = on


def enabled() -> bool:
    """Whether :func:`log` writes anything: cheap enough to ask on every request."""
    if _forced:
        return True
    structlog: Any = sys.modules.get("structlog")
    return structlog is not None and bool(structlog.is_configured())


def log(level: str, event: str, **fields: Any) -> None:
    if not _forced and "structlog" not in sys.modules:  # not configured, and importing it costs ms
        return
    import structlog

    if not (_forced or structlog.is_configured()):
        return
    cleaned = redact_secrets(None, level, dict(fields))
    getattr(structlog.get_logger("modelplex"), level)(scrub_url(event), **cleaned)
