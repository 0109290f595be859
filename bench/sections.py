"""What every optional section of ``bench/run.py`` (store, admission, gateway, dashboard) does: measure
and report, or, when it cannot run here, say why in the report and the log, or stop the run when the
section was asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def unavailable(name: str, heading: str, why: str | None, required: bool,
                log: Callable[[str], None]) -> tuple[dict[str, Any] | None, str] | None:
    """``None`` when the section can run (``why`` is ``None``); else its stand-in (no figures, a heading
    and why), or ``SystemExit`` when ``required``."""
    if why is None:
        return None
    if required:
        raise SystemExit(f"the {name} bench cannot run: {why}")
    log(f"skipped the {name} bench: {why}")
    return None, f"{heading}\n\nNot measured: {why}.\n"


def section(name: str, heading: str, why: str | None, required: bool, log: Callable[[str], None],
            measure: Callable[[], dict[str, Any]],
            report: Callable[[dict[str, Any]], str]) -> tuple[dict[str, Any] | None, str]:
    """For ``bench/run.py``: ``measure()``'s figures and ``report`` of them, or a line saying why there
    are none (``why``; an error instead when ``required``)."""
    skipped = unavailable(name, heading, why, required, log)
    if skipped is not None:
        return skipped
    results = measure()
    return results, report(results)
