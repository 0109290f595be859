"""Pull progress as lines (no terminal) and as bars (a terminal), step by step."""

from __future__ import annotations

import io
import re

from modelplex_ollama.progress import LiveView, PlainView, make_view
from modelplex_ollama.records import PullProgress
from ollama_helpers import lines

STEPS = [PullProgress.of(x) for x in lines("ollama/20_native_api_pull_stream")]


def plain(steps: list[PullProgress], times: list[float]) -> list[str]:
    out: list[str] = []
    clock = iter(times)
    view = PlainView(out.append, clock=lambda: next(clock))
    for step in steps:
        view.update(step)
    return out


def test_a_recorded_pull_of_a_cached_model() -> None:
    out = plain(STEPS, [0.0] * 10)
    assert out == ["pulling manifest", "pulling 7cd4618c1faf  100%  815 MB / 815 MB",
                   "pulling e0a42594d802  100%  358 B / 358 B", "pulling dd084c7d92a3  100%  8.4 KB / 8.4 KB",
                   "pulling 3116c5225075  100%  77 B / 77 B", "pulling 120007c81bf8  100%  492 B / 492 B",
                   "verifying sha256 digest", "writing manifest", "success"]


def test_a_layer_every_tenth_with_speed_and_time_left() -> None:
    digest = "sha256:" + "c" * 64
    steps = [PullProgress(status="pulling cccccccccccc", digest=digest, total=1_000_000_000, completed=c)
             for c in (None, 10_000_000, 100_000_000, 150_000_000, 500_000_000, 1_000_000_000)]
    out = plain(steps, [0.0, 1.0, 10.0, 15.0, 50.0, 100.0])
    assert out == ["pulling cccccccccccc    0%  0 B / 1.0 GB",
                   "pulling cccccccccccc   10%  100 MB / 1.0 GB  10 MB/s  1m30s left",
                   "pulling cccccccccccc   50%  500 MB / 1.0 GB  10 MB/s  50s left",
                   "pulling cccccccccccc  100%  1.0 GB / 1.0 GB  10 MB/s"]


def test_a_resumed_layer_counts_only_new_bytes_for_its_speed() -> None:
    digest = "sha256:" + "d" * 64
    steps = [PullProgress(status="pulling dddddddddddd", digest=digest, total=100, completed=c)
             for c in (60, 80)]
    assert plain(steps, [0.0, 2.0]) == ["pulling dddddddddddd   60%  60 B / 100 B",
                                        "pulling dddddddddddd   80%  80 B / 100 B  10 B/s  2s left"]


def test_the_live_view_draws_bars_with_bytes_and_percentages() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    view = LiveView(screen)
    for step in STEPS:
        view.update(step)
    view.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert "pulling 7cd4618c1faf" in text and "100%" in text and "815.3/815.3 MB" in text
    assert "verifying sha256 digest" in text and "success" in text
    assert isinstance(make_view(io.StringIO()), PlainView)
