"""Progress on stderr for anything that may take more than a second — only when stderr is a terminal.

    from graphs.progress import for_terminal
    with for_terminal() as p:
        with p.step("tracing resnet50"):          # a spinner while a step of unknown length runs
            ...
        t = p.task("estimating", total=3)         # a bar
        for ...: p.advance(t)

Nothing is drawn when stderr is not a terminal (pipes, files, CI, library calls) or when
``GRAPHS_PROGRESS=0``; the bars are transient, so a finished command leaves only its output.
rich's Progress is thread-safe: workers may call ``advance``.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator


class NullProgress:
    def task(self, name: str, total: int) -> Any:
        return name

    def advance(self, task: Any, n: int = 1, note: str = "") -> None:
        pass

    def finish(self, task: Any, note: str = "") -> None:
        pass

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        yield

    def __enter__(self) -> "NullProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class RichProgress(NullProgress):
    """Bars and spinners on stderr (transient: they vanish when the command is done)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._p = Progress(SpinnerColumn(), TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
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

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        t = self._p.add_task(description, total=None, note="")
        try:
            yield
        finally:
            self._p.remove_task(t)


def enabled() -> bool:
    if os.environ.get("GRAPHS_PROGRESS", "1").strip().lower() in ("0", "no", "off", "false"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def for_terminal(enabled_: bool = True) -> NullProgress:
    """RichProgress when stderr is a terminal (and ``enabled_``), else NullProgress."""
    if enabled_ and enabled():
        return RichProgress()
    return NullProgress()
