"""A rich progress bar on stderr (stdout stays the one JSON object of the CLI contract)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Tracker(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...


class Silent:
    """No output: what library callers and tests get."""

    def start(self, label: str, total: int) -> None:
        return None

    def advance(self, count: int = 1) -> None:
        return None


class Bar:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("", total=None)

    def start(self, label: str, total: int) -> None:
        self.progress.update(self.task, description=label, total=total, completed=0)

    def advance(self, count: int = 1) -> None:
        self.progress.advance(self.task, count)


@contextmanager
def progress_bar() -> Iterator[Tracker]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        yield Bar(progress)
