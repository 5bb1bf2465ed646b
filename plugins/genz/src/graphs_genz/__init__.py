"""graphs adapter for GenZ (entry point ``genz`` in group ``graphs``); GenZ itself lives in its own
environment (``graphs tools install genz-llm``) and is run through ``genz_driver.py``.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "GenZAdapter": ("graphs_genz.adapter", "GenZAdapter"),
    "PACKAGE": ("graphs_genz.adapter", "PACKAGE"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
