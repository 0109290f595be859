"""Logging: silent unless the application opts in, and never a secret in a line."""

from __future__ import annotations

import subprocess
import sys

import pytest
import structlog

from modelplex import Secret, redact_secrets
from modelplex import _logging as mlog

KEY = "sk-logging-test-SECRET-9876543210"


@pytest.fixture
def captured() -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []

    def sink(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        lines.append(dict(event))
        raise structlog.DropEvent

    structlog.configure(processors=[sink])
    yield lines
    structlog.reset_defaults()
    mlog.enable(False)


def test_nothing_is_logged_until_the_application_configures_logging(
        capsys: pytest.CaptureFixture[str]) -> None:
    structlog.reset_defaults()
    mlog.log("warning", "plugin_skipped", plugin="x", reason="boom")
    assert capsys.readouterr() == ("", "")


def test_secrets_are_masked_whatever_the_field(captured: list[dict[str, object]]) -> None:
    Secret(KEY)
    mlog.log("info", f"calling with {KEY}", api_key=KEY, headers={"Authorization": f"Bearer {KEY}"},
             note=f"the key was {KEY}", wrapped=Secret(KEY), nested=[{"x-api-key": KEY}])
    assert len(captured) == 1
    assert KEY not in repr(captured), captured


def test_key_shaped_strings_are_masked_even_if_never_seen() -> None:
    event = redact_secrets(None, "info", {"url": "https://x/?q=1", "body": "Bearer abcdefghijklmnop",
                                         "google": "AIzaSyA-1234567890abcdefghijkl"})
    assert event["url"] == "https://x/?q=1"
    assert "abcdefghijklmnop" not in str(event["body"])
    assert "AIzaSy" not in str(event["google"])


def test_import_configures_nothing() -> None:
    code = ("import logging, structlog, modelplex; c = modelplex.Client(); c.chat('fake/echo', 'x'); "
            "print(structlog.is_configured(), logging.getLogger().handlers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.strip() == "False []"
    assert out.stderr == ""
