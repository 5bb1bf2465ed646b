"""Formatting numbers for people (no heavy imports: the CLI's tables use it)."""

from __future__ import annotations


def fmt_si(value: float, unit: str) -> str:
    """Human formatting: 989.4e12 FLOP/s -> '989.4 TFLOP/s'; bytes use binary prefixes."""
    if unit == "B":
        for p, f in (("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10)):
            if abs(value) >= f:
                return f"{value / f:.3g} {p}"
        return f"{value:.0f} B"
    if unit == "s":
        for p, f in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
            if abs(value) >= f:
                return f"{value / f:.3g} {p}"
        return f"{value:.3g} s"
    for p, f in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= f:
            return f"{value / f:.4g} {p}{unit}"
    return f"{value:.4g} {unit}"


_SUFFIX = {"": 1, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}


def parse_count(text: str | None) -> int | None:
    """``"61.1M"`` → 61100000 (a count as listed, e.g. a zoo model's parameters); None if not a count."""
    if not text:
        return None
    t = text.strip().upper().replace(",", "")
    suffix = t[-1] if t and t[-1] in _SUFFIX else ""
    try:
        value = float(t[:-1] if suffix else t) * _SUFFIX[suffix]
    except ValueError:
        return None
    return round(value) if value == value and value >= 0 else None
