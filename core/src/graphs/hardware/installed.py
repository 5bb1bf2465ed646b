"""The installed devices as rows: what ``graphs hardware list`` and ``graphs.hardware.list()`` show."""

from __future__ import annotations

from typing import Any, Optional

from graphs.errors import GraphsError


def device_rows(gp: Any, family: Optional[str] = None, broken: Optional[list[str]] = None) -> list[dict[str, Any]]:
    """One row per installed device (``family``: only that family), as ``graphs hardware list -f json``
    prints them; a device whose calibration file is broken is listed with ``calibration`` "broken
    calibration" and its ``error``, and the error is appended to ``broken``."""
    broken = [] if broken is None else broken
    rows = []
    for hw_id, entry in sorted(gp.hardware.items(), key=lambda kv: (kv[1].family, kv[0])):
        if family and entry.family != family:
            continue
        row: dict[str, Any] = {"id": hw_id, "name": entry.name, "family": entry.family, "vendor": None,
                               "fp32_flops": None, "fp16_flops": None, "int8_ops": None, "memory_bytes": None,
                               "bandwidth_bytes_per_s": None, "tdp_w": None, "calibration": None,
                               "plugin": entry.plugin, "mapper_installed": entry.family in gp.mappers,
                               "loaded": entry.loaded}
        if entry.loaded:                           # a lazily measured device (the host) is not measured here
            s = entry.spec
            try:
                c = gp.calibration_for(hw_id)
            except GraphsError as e:               # one broken calibration file must not hide every device
                row["calibration"] = "broken calibration"
                row["error"] = str(e)
                c = None
                broken.append(f"{hw_id}: {e}")
            row.update({
                "name": s.name, "vendor": s.vendor, "fp32_flops": s.peak("fp32") or None,   # a peak the spec does not list is unknown: None
                "fp16_flops": s.peak("fp16") or s.peak("bf16") or None, "int8_ops": s.peak("int8") or None,
                "memory_bytes": s.memory_bytes, "bandwidth_bytes_per_s": s.memory_bandwidth,
                "tdp_w": s.power.tdp.si if s.power else None,
                "calibration": row["calibration"] or ("THEORETICAL" if c is None else
                                                      ("INTERPOLATED" if c.transferred_from else "CALIBRATED"))})
        rows.append(row)
    return rows
