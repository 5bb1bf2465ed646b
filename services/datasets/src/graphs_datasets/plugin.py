"""Entry point ``datasets``: readers of public labelled data for ``graphs validate --data DIR``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_datasets(register: Callable[..., None]) -> None:
    """Register the NeuSight label layout."""
    from graphs_datasets.reader import NeuSightLabels

    register(NeuSightLabels())
