"""graphs adapter for Timeloop v0.4 (entry point ``timeloop`` in group ``graphs``).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "ArchConfig": ("graphs_timeloop.arch", "ArchConfig"),
    "Layer": ("graphs_timeloop.problem", "Layer"),
    "MapperConfig": ("graphs_timeloop.arch", "MapperConfig"),
    "TimeloopAdapter": ("graphs_timeloop.adapter", "TimeloopAdapter"),
    "TimeloopJob": ("graphs_timeloop.adapter", "TimeloopJob"),
    "TimeloopStats": ("graphs_timeloop.stats", "TimeloopStats"),
    "TimeloopWorkload": ("graphs_timeloop.problem", "TimeloopWorkload"),
    "compose": ("graphs_timeloop.adapter", "compose"),
    "conv_layer": ("graphs_timeloop.problem", "conv_layer"),
    "gemm_layer": ("graphs_timeloop.problem", "gemm_layer"),
    "layers_from_graph": ("graphs_timeloop.problem", "layers_from_graph"),
    "parse_stats": ("graphs_timeloop.stats", "parse_stats"),
    "parse_stats_text": ("graphs_timeloop.stats", "parse_stats_text"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
