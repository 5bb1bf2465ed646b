"""Lazy package exports (PEP 562) for plugin packages: importing the package — which collecting
plugins does — stays cheap, and a name is imported from its module on first use.

    _EXPORTS = {"GPUMapper": ("graphs_mappers_gpu.mapper", "GPUMapper")}
    __all__ = sorted(_EXPORTS)
    __getattr__ = lazy_getattr(__name__, _EXPORTS)
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_getattr(package: str, exports: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name] = (module, attribute)`` on first use."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            module, attr = exports[name]
            return getattr(importlib.import_module(module), attr)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
