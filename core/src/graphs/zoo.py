"""The model zoo from Python: what ``graphs zoo list`` prints.

Zoo models are registered by frontend plugins (the FX frontend registers the torchvision-style
models and the transformers built from configs); core registers none. ``ZooEntry`` is the type a
plugin registers (``graphs_register_models``).
"""

from __future__ import annotations

import builtins
from typing import Any, Optional

from graphs.frontends import ZooEntry

__all__ = ["ZooEntry", "get", "list"]


def entry_row(e: ZooEntry) -> dict[str, Any]:
    """One model as ``graphs zoo list -f json`` prints it (``parameters``: as listed, 3 significant digits)."""
    from graphs.fmt import parse_count
    return {"name": e.name, "family": e.family, "task": e.task, "parameters": parse_count(e.params),
            "aliases": builtins.list(e.aliases), "description": e.description}


def entries(plugins: Any = None) -> builtins.list[ZooEntry]:
    """Every registered zoo entry, by family then name."""
    from graphs.plugins import get_plugins
    gp = plugins or get_plugins()
    return sorted((e for e, _ in gp.models.values()), key=lambda e: (e.family, e.name))


def list(family: Optional[str] = None) -> builtins.list[dict[str, Any]]:  # noqa: A001 (graphs.zoo.list())
    """The zoo models, one dict per model (``name``, ``family``, ``task``, ``parameters``, ``aliases``,
    ``description``), as ``graphs zoo list -f json`` prints them; ``family``: only that family. Empty when
    no frontend registers zoo models (pip install graphs-frontend-fx)."""
    return [entry_row(e) for e in entries() if family is None or e.family == family]


def get(name: str) -> ZooEntry:
    """The zoo entry of ``name`` (a name or alias); an unknown name raises
    :class:`graphs.errors.UnknownModelError` with the CLI's message (and its suggestions)."""
    from graphs.errors import UnknownModelError
    from graphs.frontends import _suggest
    from graphs.plugins import get_plugins
    gp = get_plugins()
    e = gp.find_model(name)
    if e is None:
        close = _suggest(name, gp)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphs zoo list`"
        raise UnknownModelError(f"unknown zoo model {name!r}{hint}")
    return e


def __dir__() -> builtins.list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
