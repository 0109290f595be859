"""Where the dashboard's screenshots go: a test run must not rewrite the PNGs committed under docs/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from dashboard_world import ROOT, World

DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENSHOTS_ENV = "MODELPLEX_SCREENSHOTS_DIR"  # as in conftest.py


@pytest.mark.skipif(bool(os.environ.get(SCREENSHOTS_ENV)),
                    reason=f"{SCREENSHOTS_ENV} is set: this run writes the docs' screenshots on purpose")
def test_a_plain_run_writes_its_screenshots_outside_the_working_tree(page: Any, world: World, screenshot: Any,
                                                                     screenshots_dir: Path) -> None:
    page.goto("/ui/providers")
    docs_before = {p.name: p.stat().st_mtime_ns for p in DOCS_SCREENSHOTS.glob("*.png")}
    written = screenshot(page, "providers")
    assert written.parent == screenshots_dir
    assert not written.resolve().is_relative_to(ROOT)
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p.name: p.stat().st_mtime_ns for p in DOCS_SCREENSHOTS.glob("*.png")} == docs_before
