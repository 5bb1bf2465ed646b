"""graphs adapter for SCALE-Sim v3 (entry point ``scalesim`` in group ``graphs``); SCALE-Sim itself lives in
its own environment (``graphs tools install scalesim``: it needs numpy < 2).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "ScaleSimAdapter": ("graphs_scalesim.adapter", "ScaleSimAdapter"),
    "ScaleSimJob": ("graphs_scalesim.config", "ScaleSimJob"),
    "ScaleSimLayer": ("graphs_scalesim.config", "ScaleSimLayer"),
    "layers_from_graph": ("graphs_scalesim.config", "layers_from_graph"),
    "read_reports": ("graphs_scalesim.output", "read_reports"),
    "to_result": ("graphs_scalesim.output", "to_result"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
