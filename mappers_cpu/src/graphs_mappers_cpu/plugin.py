"""Entry point ``mappers-cpu``: the ``cpu`` family engine and the host CPU (id ``host``)."""

from __future__ import annotations

from typing import Any, Callable

from graphs import hookimpl
from graphs.errors import GraphsError

from graphs_mappers_cpu.host import HostDetectionError


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`~graphs_mappers_cpu.mapper.CPUMapper` for family ``cpu``."""
    from graphs_mappers_cpu.mapper import CPUMapper

    register("cpu", CPUMapper)


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the host CPU as ``host`` (alias ``cpu-host``), detected and measured now.

    Any failure raises :class:`HostDetectionError` (one line): core records it against this
    plugin and the rest of graphs keeps working.
    """
    spec = host_spec_dict()
    register(spec, calibration=exact_priors(spec))


def exact_priors(spec: dict[str, Any]) -> Any:
    """The priors file measured on this very CPU model (shown as the host's calibration), or None."""
    from graphs_mappers_cpu import priors

    p = spec["family_params"]
    found = priors.select(p["cpu_model"], p.get("signature"), p.get("microarch", ""), p["isa"],
                          int(p["simd_bits"]["value"]), spec["vendor"])
    return found if found is not None and found.exact else None


def host_spec_dict(cache_dir: Any = None, force: bool | None = None) -> dict[str, Any]:
    """Detect the host, load or take its measurements, and build its spec mapping."""
    from graphs_mappers_cpu.host import detect
    from graphs_mappers_cpu.measure import host_measurements
    from graphs_mappers_cpu.spec import host_spec

    try:
        host = detect()
        meas = host_measurements(host, cache_dir, force)
        return host_spec(host, meas)
    except GraphsError:
        raise
    except Exception as e:  # never crash the CLI: report one line, register nothing
        msg = " ".join(str(e).split()) or type(e).__name__
        raise HostDetectionError(f"host CPU detection failed: {type(e).__name__}: {msg}") from e
