"""Progress of long commands on stderr (rich), shown only on a terminal: a bar with an ETA where the amount of
work is known (replications, sweep tasks), a stage line with the elapsed time where it is not (a search)."""
from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)


class LazyProgress:
    """Replication progress on stderr, shown only on a terminal and once the run has lasted ``delay`` seconds."""

    def __init__(self, delay: float = 1.0, label: str = "replications"):
        self.console = Console(stderr=True)
        self.label = label
        self.delay, self.t0 = delay, time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if done >= total or not self.console.is_terminal or time.monotonic() - self.t0 < self.delay:
                return
            self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TimeRemainingColumn(), console=self.console, transient=True)
            self.task = self.bar.add_task(self.label, total=total, completed=done)
            self.bar.start()
        self.bar.update(self.task, completed=done)

    def __enter__(self) -> "LazyProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


class StageProgress:
    """Progress of a search of unknown length on stderr (a terminal only): stage, count so far, elapsed time."""

    def __init__(self, label: str):
        self.console = Console(stderr=True)
        self.bar = (Progress(TextColumn(label), TextColumn("{task.description}"), TimeElapsedColumn(),
                             console=self.console, transient=True) if self.console.is_terminal else None)
        self.task = self.bar.add_task("", total=None) if self.bar is not None else None

    def __call__(self, stage: str, n: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=f"{stage} ({n} simulated)" if stage == "searching"
                            else f"{stage} plan {n} of 3")

    def __enter__(self) -> "StageProgress":
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
