"""Power model coefficients of GPUs (see :mod:`graphs.power` for the model).

``data/power.json`` holds what ``benchmarks/accuracy_mlenergy.py --write-power`` fitted on the
ML.ENERGY Benchmark v3 measurements (vLLM serving on H100 SXM and B200; NVML board power):

* ``devices.<id>``: the device's own coefficients (W), fitted on its rows — CALIBRATED;
* ``family``: the same coefficients as fractions of each measured device's TDP, their mean and the
  range over the measured devices as the interval — applied to every other GPU's own power limit
  (INTERPOLATED: transferred from measured siblings, as the GUIDE defines it).

The power limit is the spec's TDP, or ``GPUOptions.power_limit_w`` when set lower.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Mapping

from graphs.energy import Coefficient
from graphs.hardware.schema import HardwareSpec
from graphs.power import PowerCoefficients

UNITS = ("static", "matrix", "vector", "memory", "link")


@lru_cache(maxsize=1)
def power_table() -> Mapping[str, Any]:
    """The fitted coefficients shipped with the engine (empty mapping if none)."""
    from importlib.resources import files
    f = files("graphs_mappers_gpu").joinpath("data", "power.json")
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def _coef(triple: Any, scale: float, source: str) -> Coefficient:
    v, lo, hi = (float(x) * scale for x in triple)
    return Coefficient(v, min(lo, v), max(hi, v), source)


def coefficients_for(spec: HardwareSpec, power_limit_w: float | None = None,
                     table: Mapping[str, Any] | None = None) -> PowerCoefficients | None:
    """The power model of ``spec``: its own fit, else the family's TDP fractions; None without a TDP."""
    table = power_table() if table is None else table
    if spec.power is None or not table:
        return None
    tdp = spec.power.tdp.si
    limit = min(tdp, power_limit_w) if power_limit_w else tdp
    src = str(table.get("source", ""))
    own = (table.get("devices") or {}).get(spec.id)
    if own is not None:
        s = f"{src}; fitted on {spec.id}'s own rows ({own.get('rows', '?')} configurations)"
        parts = {u: _coef(own[u], 1.0, s) for u in UNITS if u in own}
        conf = "CALIBRATED"
    else:
        fam = table.get("family")
        if not fam:
            return None
        s = (f"{src}; family fractions of TDP (mean over {', '.join(fam.get('devices', []))}, interval = their range) "
             f"x this device's TDP {tdp:g} W")
        parts = {u: _coef(fam[u], tdp, s) for u in UNITS if u in fam}
        conf = "INTERPOLATED"
    if not all(u in parts for u in ("static", "matrix", "vector", "memory")):
        return None
    return PowerCoefficients(static=parts["static"], matrix=parts["matrix"], vector=parts["vector"],
                             memory=parts["memory"], link=parts.get("link"), limit_w=limit, confidence=conf,
                             source=s)
