"""graphs CPU family engine: the host CPU detected at run time, measured priors."""

from graphs_mappers_cpu.host import Fact, Host, HostDetectionError, detect
from graphs_mappers_cpu.mapper import CPUMapper

__all__ = ["CPUMapper", "Fact", "Host", "HostDetectionError", "detect", "host_spec"]


def host_spec(cache_dir=None, force=None):
    """The host's validated :class:`~graphs.hardware.schema.HardwareSpec`."""
    from graphs.hardware import parse_spec
    from graphs_mappers_cpu.plugin import host_spec_dict

    return parse_spec(host_spec_dict(cache_dir, force), "host")
