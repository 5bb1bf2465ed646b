"""graphs adapter for GenZ (entry point ``genz`` in group ``graphs``); GenZ itself lives in its own
environment (``graphs tools install genz-llm``) and is run through ``genz_driver.py``.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "GenZAdapter": ("graphs_genz.adapter", "GenZAdapter"),
    "PACKAGE": ("graphs_genz.adapter", "PACKAGE"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
