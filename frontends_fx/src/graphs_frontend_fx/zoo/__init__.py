"""The model zoo: every model written here from its published config; no weights, no downloads."""

from __future__ import annotations

from graphs_frontend_fx.zoo._entry import Spec
from graphs_frontend_fx.zoo.catalog import SPECS


def spec(name: str) -> Spec:
    """The zoo spec called ``name`` (or one of its aliases); KeyError if there is none."""
    key = name.lower()
    for s in SPECS:
        if s.name == key or key in s.aliases:
            return s
    raise KeyError(name)


__all__ = ["SPECS", "Spec", "spec"]
