"""Energy of one kernel: static power × time + dynamic energy per FLOP and per byte.

    E = P_idle · t + flops · e_flop[precision] + bytes · e_byte[memory level]

Only computed when the spec gives ``power.idle`` and both coefficients (``energy.per_flop``
keyed by precision, ``energy.per_byte`` keyed by memory level name ``l2`` / main memory's
name), each with a source. Otherwise the energy is unknown (``None``), never a guess.
"""

from __future__ import annotations

from graphs.hardware.schema import HardwareSpec


def kernel_energy(spec: HardwareSpec, seconds: float, flops: float, nbytes: float, precision: str,
                  level: str) -> float | None:
    """Joules for one kernel, or None when the spec lacks a sourced coefficient."""
    if spec.power is None or spec.power.idle is None or spec.energy is None:
        return None
    e_flop = spec.energy.per_flop.get(precision)
    level_name = spec.main_memory.name if level == "hbm" else level
    e_byte = spec.energy.per_byte.get(level_name)
    if (flops and e_flop is None) or (nbytes and e_byte is None):
        return None
    dynamic = (flops * e_flop.si if e_flop else 0.0) + (nbytes * e_byte.si if e_byte else 0.0)
    return spec.power.idle.si * seconds + dynamic
