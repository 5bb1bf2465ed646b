"""Efficiency priors measured on real CPUs, and how one is chosen for a kernel.

A priors file (``data/priors/<slug>.json``, written by ``benchmarks/derive_cpu_priors.py``)
holds, for one CPU, the raw timings of PyTorch CPU kernels and per-key summaries of the
ratio ``(measured − dispatch overhead) / roofline`` — median and 5th/95th percentiles.

Keys are ``<category>`` or ``<category>/<size class>`` (see :func:`kernel_key`).

Which file a CPU uses (:func:`select`):

Within a file, one *run* per thread count; the run with the thread count closest to the
estimate's is used (a difference is noted).

1. ``family_params.priors`` names a file explicitly, or
2. a file whose ``cpu_model`` *and* signature (x86 family/model, Arm implementer/part)
   equal the CPU's — an **exact** match; otherwise
3. the **closest** file, ranked by: same microarchitecture, same ISA, same SIMD width,
   same vendor, then the most recent. Priors are then *transferred* from another CPU,
   which the estimate says in its provenance notes, and confidence is at most INTERPOLATED.

Which entry a kernel uses (:meth:`PriorSet.lookup`): its key; else its category without
size class; else a stated fallback category (``FALLBACK``) — also noted in provenance.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from graphs.errors import SpecError
from graphs.mapper import EfficiencyPrior
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel

SCHEMA = 1

# when a category was not measured, borrow the prior of a kernel class that runs alike
FALLBACK = {
    "attention": "matmul", "recurrent": "matmul", "conv": "matmul", "conv/depthwise": "conv",
    "norm": "elementwise", "softmax": "norm", "reduction": "elementwise", "pool": "elementwise",
    "data_movement": "elementwise", "embedding": "data_movement", "collective": "data_movement",
    "other": "elementwise", "matmul": "conv", "elementwise": "data_movement",
}

# size classes by roofline time: eager CPU kernels far below ~20 µs of work are dominated by
# threading and cache warm-up costs that the roofline does not see, so their ratio differs.
SIZE_CLASSES = (("small", 2e-5), ("large", math.inf))
BLEND = 4.0     # the classes' ratios are blended over [limit / BLEND, limit * BLEND] of roofline time


def size_class(t_roofline_s: float) -> str:
    for name, limit in SIZE_CLASSES:
        if t_roofline_s < limit:
            return name
    return SIZE_CLASSES[-1][0]


def kernel_key(kernel: Kernel) -> str:
    """``conv/depthwise`` for grouped convolutions, else the category name."""
    cat = kernel.category.value
    if cat == "conv" and int(kernel.attrs.get("groups", 1) or 1) > 1:
        return "conv/depthwise"
    return cat


def priors_dir() -> Path:
    return Path(str(resources.files("graphs_mappers_cpu") / "data" / "priors"))


@dataclass(frozen=True)
class Entry:
    median: float
    low: float
    high: float
    n: int
    flops_range: tuple[float, float]
    bytes_range: tuple[float, float]


@dataclass
class PriorSet:
    """The priors of one measured CPU at one thread count, applied to (possibly another) CPU."""

    path: Path
    cpu_model: str
    data: Mapping[str, Any]
    run: Mapping[str, Any]
    entries: dict[str, Entry]
    exact: bool
    reason: str

    @property
    def threads(self) -> int:
        return int(self.run.get("threads", 0))

    @property
    def source(self) -> str:
        d, r = self.data, self.run
        return (f"{self.path.name}: measured on {d.get('cpu_model')} ({d.get('microarch', '?')}), "
                f"torch {r.get('torch')}, {r.get('threads')} threads, {r.get('date')}, by {r.get('script')}")

    def lookup(self, key: str, t_roofline_s: float) -> tuple[str, Entry, str | None]:
        """(entry key used, entry, note or None)."""
        sized = f"{key}@{size_class(t_roofline_s)}"
        for k in (sized, key):
            if k in self.entries:
                return k, self.entries[k], None
        seen = {key}
        k = key
        while k in FALLBACK:
            k = FALLBACK[k]
            if k in seen:
                break
            seen.add(k)
            for kk in (f"{k}@{size_class(t_roofline_s)}", k):
                if kk in self.entries:
                    return kk, self.entries[kk], f"no measured prior for {key!r} kernels: used {kk!r}"
        if key.split("/")[0] != key:
            return self.lookup(key.split("/")[0], t_roofline_s)
        raise SpecError(f"{self.path.name}: no efficiency prior for {key!r} and no fallback measured "
                        "(re-run benchmarks/derive_cpu_priors.py)")

    def prior(self, key: str, t_roofline_s: float) -> tuple[EfficiencyPrior, str, str | None]:
        """The prior for a kernel class at this roofline time; near the size-class boundary the two
        classes' ratios are blended (log-linear in log time over [limit/4, limit*4]), so the estimate
        is continuous in kernel size instead of jumping where the classes meet."""
        used, e, note = self.lookup(key, t_roofline_s)
        limit = SIZE_CLASSES[0][1]
        lo_t, hi_t = limit / BLEND, limit * BLEND
        if lo_t < t_roofline_s < hi_t and "@" in used:
            base = used.split("@")[0]
            a, b = self.entries.get(f"{base}@{SIZE_CLASSES[0][0]}"), self.entries.get(f"{base}@{SIZE_CLASSES[1][0]}")
            if a is not None and b is not None:
                w = (math.log(t_roofline_s) - math.log(lo_t)) / (math.log(hi_t) - math.log(lo_t))
                mix = lambda x, y: math.exp((1 - w) * math.log(x) + w * math.log(y))  # noqa: E731
                med = mix(a.median, b.median)
                e = Entry(med, min(mix(a.low, b.low), med), max(mix(a.high, b.high), med), a.n + b.n,
                          a.flops_range, a.bytes_range)
        return EfficiencyPrior(e.median, e.low, e.high, f"{self.source} [{used}]", e.n), used, note

    def confidence(self, key_used: str, kernel: Kernel, asked: str) -> ConfidenceLevel:
        """CALIBRATED: this CPU, this kernel class, inside the measured range; else less."""
        base = key_used.split("@")[0]
        if not self.exact or base != asked:
            return ConfidenceLevel.INTERPOLATED if base.split("/")[0] == asked.split("/")[0] or self.exact \
                else ConfidenceLevel.THEORETICAL
        e = self.entries[key_used]
        inside = e.flops_range[0] <= kernel.flops <= e.flops_range[1] and \
            e.bytes_range[0] <= kernel.bytes <= e.bytes_range[1]
        return ConfidenceLevel.CALIBRATED if inside else ConfidenceLevel.INTERPOLATED


def _entries(run: Mapping[str, Any], path: Path) -> dict[str, Entry]:
    out = {}
    for k, v in (run.get("priors") or {}).items():
        try:
            e = Entry(float(v["median"]), float(v["low"]), float(v["high"]), int(v["n"]),
                      tuple(v["flops_range"]), tuple(v["bytes_range"]))
        except (KeyError, TypeError, ValueError) as ex:
            raise SpecError(f"{path.name}: priors.{k}: malformed entry ({ex})") from None
        if not (0 < e.low <= e.median <= e.high):
            raise SpecError(f"{path.name}: priors.{k}: need 0 < low <= median <= high")
        out[k] = e
    return out


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SpecError(f"{path.name}: cannot read priors ({e})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("runs"), dict) \
            or not data["runs"]:
        raise SpecError(f"{path.name}: not a schema-{SCHEMA} CPU priors file with runs")
    return data


def pick_run(data: Mapping[str, Any], threads: int | None) -> Mapping[str, Any]:
    """The run whose thread count is closest to ``threads`` (ties: more threads)."""
    runs = list(data["runs"].values())
    if threads is None:
        return max(runs, key=lambda r: int(r.get("threads", 0)))
    return min(runs, key=lambda r: (abs(math.log(max(int(r.get("threads", 1)), 1) / threads)),
                                    -int(r.get("threads", 0))))


def _make(p: Path, d: Mapping[str, Any], threads: int | None, exact: bool, reason: str) -> PriorSet:
    run = pick_run(d, threads)
    return PriorSet(p, d.get("cpu_model", ""), d, run, _entries(run, p), exact, reason)


def available(directory: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    d = directory or priors_dir()
    return [(p, load(p)) for p in sorted(d.glob("*.json"))]


def select(cpu_model: str, signature: Mapping[str, Any] | None, microarch: str, isa: str, simd_bits: int,
           vendor: str, explicit: str | None = None, directory: Path | None = None,
           files: Iterable[tuple[Path, dict[str, Any]]] | None = None, threads: int | None = None) -> PriorSet | None:
    """The priors for a CPU (see module doc); None when no priors file exists at all."""
    cands = list(files) if files is not None else available(directory)
    if explicit:
        for p, d in cands:
            if p.stem == explicit:
                return _make(p, d, threads, d.get("cpu_model") == cpu_model,
                             f"named by family_params.priors = {explicit!r}")
        raise SpecError(f"family_params.priors = {explicit!r}: no such priors file "
                        f"(have: {', '.join(p.stem for p, _ in cands) or 'none'})")
    if not cands:
        return None
    def core(s: Mapping[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in dict(s or {}).items() if k != "stepping"}

    sig = core(signature)
    for p, d in cands:
        if d.get("cpu_model") == cpu_model and (not sig or core(d.get("signature")) == sig):
            return _make(p, d, threads, True, "measured on this CPU model")

    def score(item: tuple[Path, dict[str, Any]]) -> tuple:
        _, d = item
        return (d.get("microarch") == microarch and microarch not in ("", "unknown"), d.get("isa") == isa,
                d.get("simd_bits") == simd_bits, str(d.get("vendor", "")).lower() == (vendor or "").lower(),
                str(d.get("date", "")))

    p, d = max(cands, key=score)
    why = [w for w, ok in zip(("microarchitecture", "ISA", "SIMD width", "vendor"), score((p, d))[:4]) if ok]
    reason = (f"no priors measured on {cpu_model!r}: transferred from {d.get('cpu_model')!r} "
              f"({d.get('microarch')}, {p.name}), the closest available by "
              f"{', '.join(why) if why else 'nothing in common (only file)'}")
    return _make(p, d, threads, False, reason)
