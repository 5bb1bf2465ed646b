"""Progress of a comparison: one bar per estimator on stderr when it is a terminal, nothing otherwise.

The harness calls ``progress.task(name, total)`` and then ``advance(task)`` per row (from worker
threads too: rich's Progress is thread-safe). :class:`NullProgress` is the default, so library
calls and pipes print nothing.
"""

from __future__ import annotations

import sys
from typing import Any


class NullProgress:
    def task(self, name: str, total: int) -> Any:
        return name

    def advance(self, task: Any, n: int = 1, note: str = "") -> None:
        pass

    def finish(self, task: Any, note: str = "") -> None:
        pass

    def __enter__(self) -> "NullProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class RichProgress(NullProgress):
    """Bars on stderr (transient: they vanish when the comparison is done)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), TextColumn("[dim]{task.fields[note]}"),
                           console=Console(stderr=True), transient=True)

    def __enter__(self) -> "RichProgress":
        self._p.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._p.stop()

    def task(self, name: str, total: int) -> Any:
        return self._p.add_task(name, total=max(total, 1), note="")

    def advance(self, task: Any, n: int = 1, note: str = "") -> None:
        self._p.update(task, advance=n, note=note)

    def finish(self, task: Any, note: str = "") -> None:
        t = self._p.tasks[task] if isinstance(task, int) and task < len(self._p.tasks) else None
        if t is not None:
            self._p.update(task, completed=t.total, note=note)


def for_terminal(enabled: bool = True) -> NullProgress:
    """RichProgress when stderr is a terminal (and ``enabled``), else NullProgress."""
    if enabled and sys.stderr.isatty():
        return RichProgress()
    return NullProgress()
