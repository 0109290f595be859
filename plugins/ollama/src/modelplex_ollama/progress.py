"""What ``modelplex ollama pull`` shows while Ollama downloads: one bar per layer on a terminal, plain
lines anywhere else.

On a terminal (:class:`LiveView`, drawn by ``rich``): each step of the pull on its own row, and for
each layer its short digest, a bar, the percentage, bytes done and total, the speed and the time
left, redrawn in place. Elsewhere (CI logs, pipes; :class:`PlainView`): lines that are never redrawn,
a layer's line at its start, every tenth of it and its end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Protocol

import attrs
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from modelplex_ollama.display import human_bytes, human_duration
from modelplex_ollama.records import PullProgress


class PullView(Protocol):
    def update(self, step: PullProgress) -> None: ...

    def close(self) -> None: ...


@attrs.define
class _Layer:
    total: int
    first: int
    started: float
    last_tenth: int = -1
    completed: int = 0


class PlainView:
    """Progress as lines, never redrawn: each status once; each layer at 0%, every 10% and 100%,
    with bytes, speed and time left."""

    def __init__(self, write: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        self._write = write
        self._clock = clock
        self._layers: dict[str, _Layer] = {}
        self._status = ""

    @property
    def total(self) -> int:
        return sum(layer.total for layer in self._layers.values())

    def update(self, step: PullProgress) -> None:
        if step.digest is None or not step.total:
            if step.status and step.status != self._status:
                self._status = step.status
                self._write(step.status)
            return
        now = self._clock()
        done = min(step.completed or 0, step.total)
        layer = self._layers.get(step.digest)
        if layer is None:
            layer = self._layers[step.digest] = _Layer(total=step.total, first=done, started=now)
        layer.completed = max(layer.completed, done)
        tenth = layer.completed * 10 // layer.total
        if tenth <= layer.last_tenth:
            return
        layer.last_tenth = tenth
        self._status = step.status
        self._write(self._line(step.layer or step.digest, layer, now))

    def _line(self, name: str, layer: _Layer, now: float) -> str:
        percent = layer.completed * 100 // layer.total
        text = f"pulling {name}  {percent:3d}%  {human_bytes(layer.completed)} / {human_bytes(layer.total)}"
        elapsed = now - layer.started
        fetched = layer.completed - layer.first
        if elapsed > 0 and fetched > 0:
            speed = fetched / elapsed
            text += f"  {human_bytes(speed)}/s"
            if layer.completed < layer.total:
                text += f"  {human_duration((layer.total - layer.completed) / speed)} left"
        return text

    def close(self) -> None:
        pass


class LiveView:
    """Progress bars redrawn in place on a terminal, one row per step and per layer."""

    def __init__(self, file: IO[str] | None = None) -> None:
        console = Console(file=file or sys.stdout, highlight=False)
        self.progress: Progress = Progress(
            TextColumn("{task.description}"),
            *(_LayerOnly(c) for c in (BarColumn(bar_width=30), TaskProgressColumn(), DownloadColumn(),
                                      TransferSpeedColumn(), TimeRemainingColumn())),
            console=console, refresh_per_second=8, transient=False)
        self._tasks: dict[str, TaskID] = {}
        self._status = ""
        self.progress.start()

    def update(self, step: PullProgress) -> None:
        if step.digest is None or not step.total:
            if step.status and step.status != self._status:
                self._status = step.status
                self.progress.add_task(step.status, total=1, completed=1, status=True)
            return
        self._status = step.status
        task = self._tasks.get(step.digest)
        done = min(step.completed or 0, step.total)
        if task is None:
            self._tasks[step.digest] = self.progress.add_task(
                f"pulling {step.layer}", total=step.total, completed=done, status=False)
        else:
            self.progress.update(task, total=step.total, completed=done)

    def close(self) -> None:
        self.progress.stop()


class _LayerOnly(ProgressColumn):
    """A column shown on layer rows only; a step's row is its words alone."""

    def __init__(self, inner: ProgressColumn) -> None:
        super().__init__()
        self.inner = inner

    def render(self, task: Task) -> RenderableType:
        return Text("") if task.fields.get("status") else self.inner.render(task)


def make_view(file: IO[str] | None = None) -> PullView:
    """Bars on a terminal, lines elsewhere (and on a terminal that says it is ``dumb``)."""
    import os

    out = file or sys.stdout
    if out.isatty() and os.environ.get("TERM", "") != "dumb":
        return LiveView(out)

    def write(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    return PlainView(write)
