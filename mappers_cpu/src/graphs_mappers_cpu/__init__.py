"""graphs CPU family engine: the host CPU detected at run time, measured priors.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr



def host_spec(cache_dir=None, force=None):
    """The host's validated :class:`~graphs.hardware.schema.HardwareSpec`."""
    from graphs.hardware import parse_spec
    from graphs_mappers_cpu.plugin import host_spec_dict

    return parse_spec(host_spec_dict(cache_dir, force), "host")

_EXPORTS = {
    "CPUMapper": ("graphs_mappers_cpu.mapper", "CPUMapper"),
    "Fact": ("graphs_mappers_cpu.host", "Fact"),
    "Host": ("graphs_mappers_cpu.host", "Host"),
    "HostDetectionError": ("graphs_mappers_cpu.host", "HostDetectionError"),
    "detect": ("graphs_mappers_cpu.host", "detect"),
}
__all__ = sorted([*_EXPORTS, "host_spec"])

__getattr__ = lazy_getattr(__name__, _EXPORTS)
