"""Entry point ``mappers-cpu``: the ``cpu`` family engine and the host CPU (id ``host``)."""

from __future__ import annotations

from typing import Any, Callable

from graphs import hookimpl
from graphs.errors import GraphsError


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`~graphs_mappers_cpu.mapper.CPUMapper` for family ``cpu``."""
    register("cpu", "graphs_mappers_cpu.mapper:CPUMapper")     # imported (and checked) on first use


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the host CPU as ``host`` (alias ``cpu-host``), detected and measured on first use (the
    measurement is cached, see :mod:`graphs_mappers_cpu.measure`), with the calibration shipped for
    this CPU model and thread count if there is one.

    A failure on first use raises :class:`HostDetectionError` (one line) for the command that asked.
    """
    register(load_host, id="host", family="cpu", name="this machine's CPU (detected on first use)",
             aliases=("cpu-host",), ready=host_measured)


def load_host() -> tuple[dict[str, Any], Any]:
    """(spec mapping, shipped calibration or None) of the host: detection and (cached) measurement."""
    spec = host_spec_dict()
    return spec, shipped_calibration(spec)


def host_measured() -> bool:
    """Whether the host's measurements are cached (so loading its spec is quick)."""
    from graphs_mappers_cpu.host import detect
    from graphs_mappers_cpu.measure import cache_path, load_cached
    try:
        return load_cached(cache_path(detect())) is not None
    except Exception:
        return False


def shipped_calibration(spec: dict[str, Any]) -> Any:
    """The calibration shipped for this CPU model at the spec's thread count, or None.

    (The efficiency priors are not a calibration: :class:`~graphs_mappers_cpu.mapper.CPUMapper`
    selects them itself, see :mod:`graphs_mappers_cpu.calib`.)
    """
    from graphs_mappers_cpu import calib

    p = spec["family_params"]
    return calib.shipped_calibration(p["cpu_model"], p.get("signature"), int(p["threads"]["value"]))


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
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # never crash the CLI: report one line, register nothing
        from graphs_mappers_cpu.host import HostDetectionError
        msg = " ".join(str(e).split()) or type(e).__name__
        raise HostDetectionError(f"host CPU detection failed: {type(e).__name__}: {msg}") from e


@hookimpl
def graphs_register_runners(register: Callable[..., None]) -> None:
    """Register the ``torch-cpu`` benchmark runner (eager PyTorch on the host; see runner.py)."""
    from graphs_mappers_cpu.runner import TorchCPURunner

    register(TorchCPURunner())
