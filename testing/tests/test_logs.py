"""``captured_logs``: Modelplex's events in a list, structlog left as it was found."""

from __future__ import annotations

import structlog
import structlog.testing

from modelplex import _logging
from modelplex_testing.logs import captured_logs


def test_events_are_captured_and_structlog_is_unconfigured_again() -> None:
    structlog.reset_defaults()
    with captured_logs() as lines:
        _logging.log("warning", "plugin_skipped", plugin="x", reason="boom")
    assert lines == [{"event": "plugin_skipped", "plugin": "x", "reason": "boom", "log_level": "warning"}]
    assert not structlog.is_configured()
    assert not _logging.enabled()  # so the next test's library calls print nothing


def test_an_applications_configuration_is_put_back() -> None:
    seen: list[str] = []

    def app_sink(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        seen.append(str(event["event"]))
        raise structlog.DropEvent

    structlog.configure(processors=[app_sink])
    try:
        with captured_logs() as lines:
            _logging.log("info", "inside")
        _logging.log("info", "after")
    finally:
        structlog.reset_defaults()
    assert [line["event"] for line in lines] == ["inside"]
    assert seen == ["after"]


def test_structlogs_own_capture_would_leave_it_configured() -> None:
    """Why the helper exists: if this starts failing, structlog fixed it and the helper can go."""
    structlog.reset_defaults()
    with structlog.testing.capture_logs():
        pass
    try:
        assert structlog.is_configured()
    finally:
        structlog.reset_defaults()
