"""Hardware specs: schema, units, loading (names imported on first use: pydantic is not cheap)."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    **{n: "graphs.hardware.schema" for n in ("DTYPE_PRECISION", "PRECISION_DTYPE", "PRECISIONS", "ComputeUnit",
                                             "HardwareSpec", "MemoryLevel", "PowerSpec", "load_spec", "parse_spec")},
    **{n: "graphs.hardware.units" for n in ("Bandwidth", "Bytes", "Count", "Duration", "Energy", "Frequency", "Power",
                                            "Quantity", "Text", "Throughput")},
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
