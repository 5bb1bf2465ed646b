"""Detect the host CPU at run time: every fact with the way it was obtained.

Sources, in order of preference (Linux first, then portable fallbacks):

* model, vendor, family/model/part, ISA flags, MHz — ``/proc/cpuinfo``;
  fallback ``py-cpuinfo`` (macOS, Windows) when installed;
* usable logical CPUs — ``os.sched_getaffinity(0)``, capped by a cgroup v2 CPU quota
  (``/sys/fs/cgroup/cpu.max``) when one is set;
* physical cores — ``/sys/devices/system/cpu/cpuN/topology/{core_id,physical_package_id}``
  over the usable CPUs (SMT siblings share FMA units, so they count once);
* SIMD width — ISA flags (``avx512f`` → 512 bit, ``avx2``/``avx`` → 256, ``sse2`` → 128,
  ``asimd`` → 128) or ``/proc/sys/abi/sve_default_vector_length`` for SVE;
* FMA units per core — *not detectable*: :mod:`graphs_mappers_cpu.microarch` assumes them
  per microarchitecture and says why;
* frequency — cpufreq ``cpuinfo_max_freq``, else ``cpu MHz`` in /proc/cpuinfo, else
  py-cpuinfo's advertised Hz, else the ``GRAPHS_CPU_FREQ_GHZ`` environment variable, else
  unknown (only an estimate that needs it fails, with a message that says what to set);
* caches — ``/sys/devices/system/cpu/cpuN/cache/index*/{level,type,size,shared_cpu_list}``;
* memory — cgroup ``memory.max`` when lower than ``MemTotal`` in ``/proc/meminfo``, else
  psutil.

Every function takes ``root`` (default ``/``) so tests can point it at a fake file tree.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from graphs.errors import GraphsError

from graphs_mappers_cpu import microarch


class HostDetectionError(GraphsError):
    """The host CPU could not be described (the plugin registers nothing)."""


def env_positive_int(name: str, meaning: str = "") -> int | None:
    """The positive integer in environment variable ``name``, None if unset; else a one-line HostDetectionError."""
    env = os.environ.get(name)
    if not env:
        return None
    try:
        v = int(env)
    except ValueError:
        raise HostDetectionError(f"{name}={env!r} is not an integer{f' ({meaning})' if meaning else ''}") from None
    if v < 1:
        raise HostDetectionError(f"{name}={env!r} must be at least 1")
    return v


@dataclass(frozen=True)
class Fact:
    """A detected, measured or assumed value and how it was obtained."""

    value: Any
    source: str

    def __post_init__(self) -> None:
        if not self.source.startswith(("detected:", "measured:", "assumed:")):
            raise ValueError(f"source must start with detected:/measured:/assumed:, got {self.source!r}")


@dataclass(frozen=True)
class Cache:
    level: int
    size_bytes: int          # one instance
    instances: int           # instances touching the usable CPUs
    shared_cpus: int         # logical CPUs sharing one instance
    source: str


@dataclass(frozen=True)
class Host:
    """What this process can use of the host CPU."""

    model_name: Fact
    vendor: Fact
    arch: Fact
    signature: Fact            # {"family": int, "model": int, "stepping": int} or {"implementer": .., "part": ..}
    flags: Fact                # frozenset of ISA flags
    logical_cpus: Fact         # usable by this process
    physical_cores: Fact       # usable by this process
    isa: Fact                  # "avx512" | "avx2" | "avx" | "sse2" | "sve" | "neon" | "scalar"
    simd_bits: Fact
    fma_units: Fact            # per core, at simd_bits width
    microarch: Fact
    frequency_hz: Fact         # value None when unknown
    caches: Mapping[int, Cache] = field(default_factory=dict)   # data/unified caches by level
    memory_bytes: Fact | None = None
    extensions: Mapping[str, Fact] = field(default_factory=dict)  # bf16 / fp16 / vnni / amx ...

    @property
    def cpu_model(self) -> str:
        return str(self.model_name.value)

    def facts(self) -> dict[str, Fact]:
        """Every fact by name (for tests and ``hardware show``)."""
        out = {k: getattr(self, k) for k in ("model_name", "vendor", "arch", "signature", "flags", "logical_cpus",
                                             "physical_cores", "isa", "simd_bits", "fma_units", "microarch",
                                             "frequency_hz")}
        if self.memory_bytes is not None:
            out["memory_bytes"] = self.memory_bytes
        for lvl, c in self.caches.items():
            out[f"L{lvl}"] = Fact(c.size_bytes, c.source)
        for k, f in self.extensions.items():
            out[f"ext.{k}"] = f
        return out


# --- small readers ------------------------------------------------------------------------
def _read(root: Path, rel: str) -> str | None:
    try:
        return (root / rel.lstrip("/")).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def parse_cpu_list(text: str) -> set[int]:
    """'0-3,8,10-11' → {0,1,2,3,8,10,11}."""
    out: set[int] = set()
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def parse_size(text: str) -> int:
    """'48K' / '2048K' / '260M' / '1048576' → bytes (sysfs cache sizes use binary K/M)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.I)
    if not m:
        raise ValueError(f"cannot parse size {text!r}")
    mult = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[m.group(2).upper()]
    return int(m.group(1)) * mult


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """/proc/cpuinfo → one dict per processor block (keys lower-cased)."""
    blocks, cur = [], {}
    for line in text.splitlines():
        if not line.strip():
            if cur:
                blocks.append(cur)
                cur = {}
            continue
        if ":" in line:
            k, v = line.split(":", 1)
            cur[k.strip().lower()] = v.strip()
    if cur:
        blocks.append(cur)
    return blocks


# --- detection ----------------------------------------------------------------------------
def usable_cpus(root: Path) -> tuple[set[int], str]:
    try:
        cpus = set(os.sched_getaffinity(0)) if str(root) == "/" else None
    except (AttributeError, OSError):
        cpus = None
    if cpus is None:
        online = _read(root, "sys/devices/system/cpu/online")
        if online:
            return parse_cpu_list(online), "detected: /sys/devices/system/cpu/online"
        n = os.cpu_count() or 0
        if not n:
            raise HostDetectionError("cannot tell which CPUs this process may use (no affinity, no os.cpu_count)")
        return set(range(n)), "detected: os.cpu_count (no affinity API)"
    return cpus, "detected: os.sched_getaffinity(0)"


def cgroup_cpu_quota(root: Path) -> float | None:
    """CPUs allowed by a cgroup v2 quota (``cpu.max`` = 'quota period'), None when unlimited."""
    text = _read(root, "sys/fs/cgroup/cpu.max")
    if not text:
        return None
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        return int(parts[0]) / int(parts[1])
    except (ValueError, ZeroDivisionError):
        return None


def physical_cores(root: Path, cpus: set[int]) -> tuple[int, str]:
    ids = set()
    for c in sorted(cpus):
        core = _read(root, f"sys/devices/system/cpu/cpu{c}/topology/core_id")
        pkg = _read(root, f"sys/devices/system/cpu/cpu{c}/topology/physical_package_id")
        if core is None:
            ids = None
            break
        ids.add((pkg.strip() if pkg else "0", core.strip()))
    if ids:
        return len(ids), ("detected: /sys/devices/system/cpu/cpu*/topology (core_id, physical_package_id) "
                          f"over the {len(cpus)} usable CPUs")
    try:
        import psutil  # optional
        phys, logical = psutil.cpu_count(logical=False), psutil.cpu_count(logical=True)
        if phys and logical:
            per = max(1, round(logical / phys))
            return max(1, len(cpus) // per), f"detected: psutil.cpu_count (SMT {per}-way) over the usable CPUs"
    except ImportError:
        pass
    return len(cpus), "assumed: no topology information; each usable CPU counted as a core (no SMT)"


def simd(flags: frozenset[str], arch: str, root: Path) -> tuple[str, int, str]:
    """(isa, width in bits, source)."""
    src = "detected: ISA flags in /proc/cpuinfo"
    if "avx512f" in flags:
        return "avx512", 512, src + " (avx512f)"
    if "avx2" in flags:
        return "avx2", 256, src + " (avx2)"
    if "avx" in flags:
        return "avx", 256, src + " (avx)"
    if "sve" in flags:
        vl = _read(root, "proc/sys/abi/sve_default_vector_length")
        if vl and vl.strip().isdigit():
            return "sve", int(vl.strip()) * 8, src + " (sve) + /proc/sys/abi/sve_default_vector_length"
        return "neon", 128, src + " (sve, vector length unreadable: NEON 128-bit used)"
    if "asimd" in flags or arch in ("aarch64", "arm64"):
        return "neon", 128, src + " (asimd)" if "asimd" in flags else f"detected: platform.machine() = {arch} (NEON is mandatory)"
    if "sse2" in flags or arch in ("x86_64", "amd64"):
        return "sse2", 128, src + " (sse2)" if "sse2" in flags else f"detected: platform.machine() = {arch} (SSE2 is mandatory)"
    return "scalar", 64, f"assumed: no SIMD flag recognised on {arch}; scalar 64-bit FP"


def frequency(root: Path, cpus: set[int], blocks: list[dict[str, str]], pyinfo: Mapping[str, Any] | None) -> Fact:
    vals = []
    for c in sorted(cpus):
        t = _read(root, f"sys/devices/system/cpu/cpu{c}/cpufreq/cpuinfo_max_freq")
        if t and t.strip().isdigit():
            vals.append(int(t.strip()) * 1e3)
    if vals:
        return Fact(max(vals), "detected: /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq (max boost clock)")
    mhz = []
    for b in blocks:
        try:
            if "processor" in b and int(b["processor"]) not in cpus:
                continue
            if "cpu mhz" in b:
                mhz.append(float(b["cpu mhz"]))
        except ValueError:
            continue
    if mhz:
        return Fact(max(mhz) * 1e6, "detected: 'cpu MHz' in /proc/cpuinfo (no cpufreq; current/nominal clock, "
                                    "boost not visible)")
    if pyinfo:
        hz = (pyinfo.get("hz_advertised") or [0])[0]
        if hz:
            return Fact(float(hz), "detected: py-cpuinfo hz_advertised")
    env = os.environ.get("GRAPHS_CPU_FREQ_GHZ")
    if env:
        try:
            return Fact(float(env) * 1e9, "assumed: given by the user in GRAPHS_CPU_FREQ_GHZ")
        except ValueError:
            raise HostDetectionError(f"GRAPHS_CPU_FREQ_GHZ={env!r} is not a number (GHz)") from None
    return Fact(None, "detected: unknown (no cpufreq, no 'cpu MHz'; set GRAPHS_CPU_FREQ_GHZ)")


def caches(root: Path, cpus: set[int]) -> dict[int, Cache]:
    out: dict[int, Cache] = {}
    first = min(cpus)
    base = f"sys/devices/system/cpu/cpu{first}/cache"
    d = root / base
    if not d.is_dir():
        return out
    for idx in sorted(d.glob("index*")):
        rel = f"{base}/{idx.name}"
        level, typ, size = _read(root, f"{rel}/level"), _read(root, f"{rel}/type"), _read(root, f"{rel}/size")
        if not (level and typ and size) or typ.strip() == "Instruction":
            continue
        lvl = int(level.strip())
        shared = _read(root, f"{rel}/shared_cpu_list")
        # instances of this level that touch the usable CPUs: distinct shared_cpu_lists
        groups = set()
        for c in cpus:
            s = _read(root, f"sys/devices/system/cpu/cpu{c}/cache/{idx.name}/shared_cpu_list")
            groups.add(s.strip() if s else str(c))
        shared_n = len(parse_cpu_list(shared)) if shared else 1
        out[lvl] = Cache(lvl, parse_size(size), max(1, len(groups)), shared_n,
                         f"detected: /sys/devices/system/cpu/cpu{first}/cache/{idx.name}/size "
                         f"({typ.strip()}, shared by {shared_n} CPU(s), {len(groups)} instance(s) on usable CPUs)")
    return out


def memory(root: Path) -> Fact | None:
    total = None
    mi = _read(root, "proc/meminfo")
    if mi:
        m = re.search(r"^MemTotal:\s+(\d+)\s*kB", mi, re.M)
        if m:
            total = Fact(int(m.group(1)) * 1024, "detected: MemTotal in /proc/meminfo")
    if total is None:
        try:
            import psutil
            total = Fact(int(psutil.virtual_memory().total), "detected: psutil.virtual_memory().total")
        except ImportError:
            return None
    lim = _read(root, "sys/fs/cgroup/memory.max")
    if lim and lim.strip().isdigit() and int(lim.strip()) < total.value:
        return Fact(int(lim.strip()), "detected: cgroup v2 /sys/fs/cgroup/memory.max (below MemTotal)")
    return total


def _pyinfo() -> dict[str, Any] | None:
    try:
        import cpuinfo  # py-cpuinfo, optional; slow (spawns a process), so only as a fallback
        return cpuinfo.get_cpu_info()
    except Exception:  # noqa: BLE001 — optional fallback, any failure means "not available"
        return None


def detect(root: str | Path = "/") -> Host:
    """Describe the host CPU as this process sees it. Raises :class:`HostDetectionError`."""
    root = Path(root)
    arch = platform.machine().lower() if str(root) == "/" else ""
    text = _read(root, "proc/cpuinfo")
    blocks = parse_cpuinfo(text) if text else []
    pyinfo = None
    if not blocks:
        pyinfo = _pyinfo() if str(root) == "/" else None
        if not pyinfo:
            raise HostDetectionError("cannot read /proc/cpuinfo and py-cpuinfo is not available")
    info_src = "detected: /proc/cpuinfo" if blocks else "detected: py-cpuinfo"
    b0 = blocks[0] if blocks else {}
    if not arch:
        arch = "aarch64" if "cpu implementer" in b0 else "x86_64"

    # identity
    if blocks:
        flags = frozenset((b0.get("flags") or b0.get("features") or "").split())
        vendor = b0.get("vendor_id") or _arm_vendor(b0.get("cpu implementer", ""))
        name = b0.get("model name") or _arm_name(b0) or platform.processor() or "unknown CPU"
        if "cpu implementer" in b0:
            sig = {"implementer": b0.get("cpu implementer", ""), "part": b0.get("cpu part", "")}
        else:
            sig = {k: int(b0[k2]) for k, k2 in (("family", "cpu family"), ("model", "model"), ("stepping", "stepping"))
                   if b0.get(k2, "").isdigit()}
    else:
        flags = frozenset(pyinfo.get("flags", []))
        vendor = pyinfo.get("vendor_id_raw", "unknown")
        name = pyinfo.get("brand_raw", "unknown CPU")
        sig = {k: pyinfo[k] for k in ("family", "model", "stepping") if k in pyinfo}
    name = " ".join(name.split())

    cpus, cpu_src = usable_cpus(root)
    quota = cgroup_cpu_quota(root)
    if quota is not None and quota < len(cpus):
        n = max(1, int(quota))
        cpus = set(sorted(cpus)[:n])
        cpu_src += f", capped by cgroup cpu.max quota {quota:g} CPUs"
    cores, core_src = physical_cores(root, cpus)
    cores = min(cores, len(cpus))
    isa, bits, simd_src = simd(flags, arch, root)
    ua = microarch.identify(vendor, sig, flags, name, isa, bits)
    exts = microarch.extensions(flags, isa)
    return Host(
        model_name=Fact(name, f"{info_src} (model name)"),
        vendor=Fact(vendor, f"{info_src} (vendor)"),
        arch=Fact(arch, "detected: platform.machine()" if str(root) == "/" else "detected: cpuinfo layout"),
        signature=Fact(sig, f"{info_src} (family/model/stepping or implementer/part)"),
        flags=Fact(flags, f"{info_src} (flags)"),
        logical_cpus=Fact(len(cpus), cpu_src),
        physical_cores=Fact(cores, core_src),
        isa=Fact(isa, simd_src),
        simd_bits=Fact(bits, simd_src),
        fma_units=Fact(ua.fma_units, ua.reason),
        microarch=Fact(ua.name, ua.name_source),
        frequency_hz=frequency(root, cpus, blocks, pyinfo),
        caches=caches(root, cpus),
        memory_bytes=memory(root),
        extensions=exts,
    )


_ARM_IMPLEMENTERS = {"0x41": "ARM", "0x61": "Apple", "0xc0": "Ampere", "0x48": "HiSilicon", "0x51": "Qualcomm",
                     "0x4e": "NVIDIA"}


def _arm_vendor(impl: str) -> str:
    return _ARM_IMPLEMENTERS.get(impl.lower(), f"implementer {impl}" if impl else "unknown")


def _arm_name(b: Mapping[str, str]) -> str:
    impl, part = b.get("cpu implementer", ""), b.get("cpu part", "")
    if not impl:
        return ""
    core = microarch.ARM_PARTS.get((impl.lower(), part.lower()))
    return f"{_arm_vendor(impl)} {core[0]}" if core else f"{_arm_vendor(impl)} part {part}"
