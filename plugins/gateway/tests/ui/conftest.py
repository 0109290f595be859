"""Fixtures of the dashboard's browser tests (shared by every tab's tests).

- ``world`` (session): :mod:`dashboard_world`, a gateway with loopback upstreams and one million seeded
  usage rows. Seeding them takes most of a minute, so when a run collects a test that needs the world, a
  process starts filling its store as collection ends, on the other core while the tests before the
  dashboard's run; the fixture waits for it;
- ``browser`` (session): Debian's chromium driven by Playwright (which cannot download browsers here);
  the tests skip, saying why, only when ``/usr/bin/chromium`` is absent;
- ``page``: a fresh browser context and page, every response body it received kept in
  ``page.bodies`` (the key-leak tests search them);
- ``screenshot(page, name)``: writes ``<name>.png`` (viewport only: small files) to ``screenshots_dir``:
  a directory of this run, or the one ``MODELPLEX_SCREENSHOTS_DIR`` names (``nox -s screenshots`` names
  ``docs/screenshots``). A plain test run never rewrites the committed PNGs, whose bytes differ each run
  (ports, times), so it leaves the working tree clean.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # dashboard_world, gateway_server

from dashboard_world import World, build_world, store_url_in  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS_ENV = "MODELPLEX_SCREENSHOTS_DIR"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# The seeding process of this run, if one was started: (its directory, the process, its output file).
_seeding: list[tuple[Path, subprocess.Popen[bytes], Path]] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start seeding the world's store when a test that needs it is to run (see the module docstring)."""
    if not any("world" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    base = Path(tempfile.mkdtemp(prefix="modelplex-dashboard-"))
    output = base / "seeding.log"
    with output.open("wb") as out:
        process = subprocess.Popen([sys.executable, str(HERE / "dashboard_world.py"), str(base)],
                                   stdout=out, stderr=subprocess.STDOUT)
    _seeding.append((base, process, output))


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The dashboard's world (see :mod:`dashboard_world`), built once per session."""
    if not _seeding:  # a test asked for it past collection (an unusual plugin): seed here
        with build_world(tmp_path_factory.mktemp("dashboard")) as made:
            yield made
        return
    base, process, output = _seeding[0]
    try:
        code = process.wait(timeout=600)
        print(f"\n{output.read_text(errors='replace').strip()} (store {store_url_in(base)})")
        assert code == 0, f"seeding the dashboard's store failed (exit {code}):\n{output.read_text()[-3000:]}"
        with build_world(base, seeded=True) as made:
            yield made
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium under Playwright, for the session."""
    if not CHROMIUM.exists():
        pytest.skip("the dashboard's browser tests need Debian's chromium at /usr/bin/chromium "
                    "(apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, world: World) -> Iterator[Any]:
    """A new page in a new context (its own cookies); ``page.bodies`` holds every response's body."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=world.url)
    made = context.new_page()
    bodies: list[tuple[str, bytes]] = []

    def keep(response: Any) -> None:
        try:
            bodies.append((response.url, response.body()))
        except Exception:  # a redirect or an aborted request has no body to read
            bodies.append((response.url, b""))

    made.on("response", keep)
    made.bodies = bodies
    try:
        yield made
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``screenshot`` writes: ``$MODELPLEX_SCREENSHOTS_DIR`` when set, else a directory of this run."""
    named = os.environ.get(SCREENSHOTS_ENV)
    if not named:
        return tmp_path_factory.mktemp("screenshots")
    directory = Path(named).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def screenshot(screenshots_dir: Path) -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: the viewport as ``<screenshots_dir>/<name>.png``, checked written."""
    def take(page: Any, name: str) -> Path:
        path = screenshots_dir / f"{name}.png"
        path.unlink(missing_ok=True)  # a stale file must not pass for this run's picture
        page.screenshot(path=str(path), full_page=False)
        # The picture proves the tab rendered to pixels, not only that its HTML arrived.
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"no screenshot written at {path}"
        return path

    return take


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A run that ended before the world was built (``-x``, a failure, Ctrl-C) leaves no seeder behind."""
    while _seeding:
        base, process, _ = _seeding.pop()
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)
