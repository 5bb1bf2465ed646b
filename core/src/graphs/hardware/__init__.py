"""Hardware specs: schema, units, loading (names imported on first use: pydantic is not cheap).

The installed devices, from Python (what ``graphs hardware list`` / ``show`` print):
``graphs.hardware.list(family=None)`` and ``graphs.hardware.get(id)`` (docs/api.md).
"""

from __future__ import annotations

import builtins
import importlib
from typing import Any, Optional

_EXPORTS = {
    **{n: "graphs.hardware.schema" for n in ("DTYPE_PRECISION", "PRECISION_DTYPE", "PRECISIONS", "ComputeUnit",
                                             "HardwareSpec", "MemoryLevel", "PowerSpec", "load_spec", "parse_spec")},
    **{n: "graphs.hardware.units" for n in ("Bandwidth", "Bytes", "Count", "Duration", "Energy", "Frequency", "Power",
                                            "Quantity", "Text", "Throughput")},
}
__all__ = sorted([*_EXPORTS, "get", "list"])


def list(family: Optional[str] = None) -> builtins.list[dict[str, Any]]:  # noqa: A001 (graphs.hardware.list())
    """The installed devices, one dict per device, as ``graphs hardware list -f json`` prints them: ``id``,
    ``name``, ``family``, ``vendor``, dense peaks (``fp32_flops``, ``fp16_flops``, ``int8_ops``),
    ``memory_bytes``, ``bandwidth_bytes_per_s``, ``tdp_w``, ``calibration`` (THEORETICAL, INTERPOLATED,
    CALIBRATED; None for a device measured on first use), ``plugin``, ``mapper_installed``, ``loaded``.
    Unknown numbers are None. ``family``: only that family (gpu, cpu, accel, edge ...)."""
    import warnings

    from graphs.hardware.installed import device_rows
    from graphs.plugins import get_plugins
    broken: builtins.list[str] = []
    rows = device_rows(get_plugins(), family, broken)
    for b in broken:
        warnings.warn(b, RuntimeWarning, stacklevel=2)
    return rows


def get(hw_id: str) -> Any:
    """The :class:`HardwareSpec` of an installed device (id or alias) or of a spec YAML file — what
    ``graphs hardware show ID`` prints; an unknown id raises :class:`graphs.errors.UnknownHardwareError`
    with the CLI's message."""
    from graphs.plugins import get_plugins
    return get_plugins().hardware_entry(str(hw_id)).spec


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> builtins.list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
