"""Hardware specs: schema, units, loading."""

from graphs.hardware.schema import (
    DTYPE_PRECISION, PRECISION_DTYPE, PRECISIONS, ComputeUnit, HardwareSpec, MemoryLevel, PowerSpec,
    load_spec, parse_spec,
)
from graphs.hardware.units import Bandwidth, Bytes, Count, Duration, Energy, Frequency, Power, Quantity, Text, Throughput

__all__ = [
    "DTYPE_PRECISION", "PRECISION_DTYPE", "PRECISIONS", "ComputeUnit", "HardwareSpec", "MemoryLevel", "PowerSpec",
    "load_spec", "parse_spec", "Bandwidth", "Bytes", "Count", "Duration", "Energy", "Frequency", "Power",
    "Quantity", "Text", "Throughput",
]
