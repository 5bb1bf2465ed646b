"""The CPU family's ``family_params`` model and the host's HardwareSpec.

``host_spec(host, measurements)`` turns detected facts and cached measurements into a
spec dict (id ``host``, alias ``cpu-host``) in which every number says how it was obtained.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graphs.hardware.units import Bytes, Count

from graphs_mappers_cpu import microarch
from graphs_mappers_cpu.host import Host, env_positive_int


# glibc malloc serves requests >= its mmap threshold with fresh mmap'ed pages, and the
# dynamic threshold never exceeds DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit): an eager op
# whose output is at least that large page-faults all of it on every call.
MMAP_THRESHOLD = 32 * 2**20
MMAP_SOURCE = ("assumed: glibc DEFAULT_MMAP_THRESHOLD_MAX = 32 MiB on 64-bit (mallopt(3)); PyTorch's CPU "
               "allocator uses posix_memalign, so larger tensors are fresh mmap'ed pages on each allocation")


class CurvePoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    footprint_bytes: float = Field(gt=0, description="bytes read + written by one copy")
    bytes_per_s_1: float = Field(gt=0, description="one thread")
    bytes_per_s_all: float = Field(gt=0, description="threads_all threads")


class BandwidthCurve(BaseModel):
    """Measured copy bandwidth by working-set footprint, at 1 and ``threads_all`` threads."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    threads_all: int = Field(ge=1)
    points: tuple[CurvePoint, ...] = Field(min_length=1)
    source: str

    @field_validator("points")
    @classmethod
    def _sorted(cls, v: tuple[CurvePoint, ...]) -> tuple[CurvePoint, ...]:
        return tuple(sorted(v, key=lambda p: p.footprint_bytes))

    @field_validator("source")
    @classmethod
    def _has_source(cls, s: str) -> str:
        if not s.strip():
            raise ValueError("the bandwidth curve needs a source")
        return s


class CPUParams(BaseModel):
    """``family_params`` of a ``cpu`` spec (host or a device distribution's YAML)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    cpu_model: str = Field(description="model string; keys the measured efficiency priors")
    signature: dict[str, int | str] | None = Field(
        None, description="x86 family/model/stepping or Arm implementer/part (exact priors match)")
    microarch: str = ""
    isa: Literal["avx512", "avx2", "avx", "sse2", "sve", "neon", "scalar"]
    simd_bits: Count
    fma_units: Count
    cores: Count = Field(description="physical cores the peaks are for")
    logical_cpus: Count | None = None
    threads: Count | None = Field(None, description="threads an estimate assumes (default: cores)")
    bandwidth_curve: BandwidthCurve | None = None
    priors: str | None = Field(None, description="priors file stem to use instead of matching cpu_model")
    alloc_fresh_threshold: Bytes | None = Field(
        None, description="outputs at least this large are freshly mapped (page-faulted) on every call")


def _q(value: float, unit: str, source: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source}


def _curve_at(curve: list[dict[str, Any]], limit: float, below: float = 0.0) -> dict[str, Any] | None:
    """The largest ladder point with below < footprint <= limit."""
    pts = [p for p in curve if below < p["footprint_bytes"] <= limit]
    return max(pts, key=lambda p: p["footprint_bytes"]) if pts else None


def default_threads(host: Host) -> tuple[int, str]:
    n = env_positive_int("GRAPHS_CPU_THREADS")
    if n is not None:
        return n, "assumed: given by the user in GRAPHS_CPU_THREADS"
    return int(host.physical_cores.value), f"assumed: one thread per usable physical core ({host.physical_cores.source})"


def host_spec(host: Host, meas: dict[str, Any]) -> dict[str, Any]:
    """A HardwareSpec mapping for the host."""
    cores = int(host.physical_cores.value)
    freq = host.frequency_hz.value
    bw = meas["bandwidth"]
    when = meas.get("measured_at", "?")
    la = meas.get("load_average")
    load = f", load average {la[0]:.2f}" if la else ""
    bw_src = f"measured: {bw['how']}, {when}{load} (cache {meas.get('cache_file', '-')})"
    pts = bw["points"]
    main = pts[-1]

    compute: dict[str, Any] = {}
    if freq:
        peaks = microarch.simd_peaks(cores, int(host.simd_bits.value), int(host.fma_units.value), float(freq),
                                     host.extensions)
        base = "cores, SIMD width and clock detected, FMA units assumed: see family_params and clock"
        compute["simd"] = {
            "description": f"{host.isa.value.upper()} {host.simd_bits.value}-bit SIMD, "
                           f"{host.fma_units.value} FMA unit(s) per core",
            # a peak rests on the assumed FMA-unit count, so the whole number is "assumed"
            "peaks": {p: _q(v, "FLOP/s" if p != "int8" else "OP/s", f"assumed: {how} [{base}]")
                      for p, (v, how) in peaks.items()},
        }
        amx = microarch.amx_peaks(cores, float(freq), host.extensions)
        if amx:
            compute["amx"] = {
                "description": "Intel AMX tile matrix unit (bf16/int8 matrix kernels only)",
                "peaks": {p: _q(v, "FLOP/s" if p != "int8" else "OP/s",
                                f"assumed: {microarch.AMX_SOURCE}; {how}")
                          for p, (v, how) in amx.items()},
            }

    memory: list[dict[str, Any]] = []
    l1, l2, l3 = host.caches.get(1), host.caches.get(2), host.caches.get(3)
    if l1:
        memory.append({"name": "L1d", "scope": "per_core", "size": _q(l1.size_bytes, "B", l1.source)})
    l2_total = 0
    if l2:
        l2_total = l2.size_bytes * l2.instances
        lvl = {"name": "L2", "scope": "per_core" if l2.shared_cpus <= 2 else "per_cluster",
               "size": _q(l2.size_bytes, "B", l2.source)}
        p = _curve_at(pts[:-1], l2_total)
        if p:
            lvl["bandwidth"] = _q(p["bytes_per_s_all"], "B/s",
                                  f"{bw_src}; copy at footprint {p['footprint_bytes'] / 2**10:g} KiB ≤ L2 total")
        memory.append(lvl)
    if l3:
        l3_total = l3.size_bytes * l3.instances
        lvl = {"name": "L3", "scope": "device", "size": _q(l3_total, "B", l3.source)}
        p = _curve_at(pts[:-1], l3_total, below=l2_total)
        if p:
            lvl["bandwidth"] = _q(p["bytes_per_s_all"], "B/s",
                                  f"{bw_src}; copy at footprint {p['footprint_bytes'] / 2**20:g} MiB, above L2 and "
                                  "≤ L3 (the process's real LLC share may be smaller)")
        memory.append(lvl)
    dram = {"name": "DRAM", "scope": "device",
            "bandwidth": _q(main["bytes_per_s_all"], "B/s",
                            f"{bw_src}; copy at footprint {main['footprint_bytes'] / 2**20:g} MiB")}
    if host.memory_bytes:
        dram["size"] = _q(host.memory_bytes.value, "B", host.memory_bytes.source)
    memory.append(dram)

    disp = meas["dispatch"]
    d_src = f"measured: {disp['how']}, {when}{load}"
    threads, threads_src = default_threads(host)
    params = {
        "cpu_model": host.cpu_model,
        "signature": dict(host.signature.value),
        "microarch": str(host.microarch.value),
        "isa": host.isa.value,
        "simd_bits": _q(host.simd_bits.value, "", host.simd_bits.source),
        "fma_units": _q(host.fma_units.value, "", host.fma_units.source),
        "cores": _q(cores, "", host.physical_cores.source),
        "logical_cpus": _q(host.logical_cpus.value, "", host.logical_cpus.source),
        "threads": _q(threads, "", threads_src),
        "bandwidth_curve": {"threads_all": bw["threads_all"], "source": bw_src,
                            "points": [{k: p[k] for k in ("footprint_bytes", "bytes_per_s_1", "bytes_per_s_all")}
                                       for p in pts]},
    }
    spec: dict[str, Any] = {
        "id": "host",
        "name": f"{host.cpu_model} ({cores} cores usable)",
        "vendor": str(host.vendor.value),
        "family": "cpu",
        "aliases": ["cpu-host"],
        "form_factor": "host CPU (detected at run time)",
        "compute": compute,
        "memory": memory,
        "overheads": {
            "kernel_launch": _q(disp["module_s"] * 1e6, "us", d_src + " (module)"),
            "functional_dispatch": _q(disp["functional_s"] * 1e6, "us", d_src + " (functional)"),
            "model_dispatch": _q(disp["model_s"] * 1e6, "us", d_src + " (model)"),
        },
        "family_params": params,
        "notes": ("Detected at run time by graphs-mappers-cpu. Peaks = cores × SIMD lanes × FMA units × 2 × clock "
                  "(FMA units assumed per microarchitecture); bandwidth and dispatch overhead measured on this host "
                  "and cached; see docs/mappers/cpu.md."),
    }
    ft = bw.get("first_touch")
    if ft:
        src = f"measured: {ft['how']}, {when}{load}"
        spec["overheads"]["first_touch_per_mib_1"] = _q(ft["s_per_byte_1"] * 2**20 * 1e6, "us", src + " (1 thread)")
        spec["overheads"]["first_touch_per_mib"] = _q(ft["s_per_byte_all"] * 2**20 * 1e6, "us",
                                                     src + f" ({ft['threads_all']} threads)")
        params["alloc_fresh_threshold"] = _q(MMAP_THRESHOLD, "B", MMAP_SOURCE)
    if freq:
        spec["clock"] = _q(float(freq) / 1e9, "GHz", host.frequency_hz.source)
    return spec
