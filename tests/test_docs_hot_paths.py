"""``docs/hot-paths.md`` names real things: every test it cites exists, every file it points to too.

The page lists each speed shortcut with the test that pins it; a test renamed or a module moved
would leave it citing nothing, which this catches.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "hot-paths.md"
SOURCES = [ROOT / "core" / "src", ROOT / "testing" / "src", *sorted(ROOT.glob("plugins/*/src"))]

_TEST = re.compile(r"`([\w./-]+\.py)::(\w+)`")
_FILE = re.compile(r"`([\w./-]+\.py)`")


def _cited() -> tuple[list[tuple[str, str]], list[str]]:
    text = PAGE.read_text(encoding="utf-8")
    return _TEST.findall(text), _FILE.findall(_TEST.sub("", text))


def test_every_cited_test_exists() -> None:
    tests, _ = _cited()
    assert len(tests) > 20
    missing = [f"{path}::{name}" for path, name in tests
               if not (ROOT / path).is_file()
               or not re.search(rf"\bdef {name}\(", (ROOT / path).read_text(encoding="utf-8"))]
    assert missing == []


def test_every_cited_source_file_exists() -> None:
    _, files = _cited()
    assert len(files) > 10
    missing = [f for f in files if not any((base / f).is_file() for base in [ROOT, *SOURCES])]
    assert missing == []


def test_the_docs_index_links_the_page() -> None:
    assert "(hot-paths.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
