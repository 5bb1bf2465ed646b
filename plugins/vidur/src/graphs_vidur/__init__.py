"""graphs adapter for VIDUR (entry point ``vidur`` in group ``graphs``).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "ServingScenario": ("graphs_vidur.scenario", "ServingScenario"),
    "VIDUR_MODELS": ("graphs_vidur.convert", "VIDUR_MODELS"),
    "VidurAdapter": ("graphs_vidur.adapter", "VidurAdapter"),
    "find_request_metrics": ("graphs_vidur.output", "find_request_metrics"),
    "from_scenario": ("graphs_vidur.convert", "from_scenario"),
    "read_request_metrics": ("graphs_vidur.output", "read_request_metrics"),
    "to_result": ("graphs_vidur.output", "to_result"),
    "vidur_device": ("graphs_vidur.scenario", "vidur_device"),
    "write_length_trace": ("graphs_vidur.convert", "write_length_trace"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
