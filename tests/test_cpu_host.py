"""Host CPU detection (graphs-mappers-cpu): this machine, fake /proc+/sys trees, peak formula."""

import datetime
from pathlib import Path

import pytest

from graphs.hardware import parse_spec
from graphs_mappers_cpu import microarch
from graphs_mappers_cpu.host import Fact, HostDetectionError, detect, parse_cpu_list, parse_size
from graphs_mappers_cpu.spec import host_spec

PREFIXES = ("detected:", "measured:", "assumed:")


def _w(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def neoverse_n1(root: Path) -> Path:
    """4-CPU Arm Neoverse-N1 with cpufreq and caches, no SMT."""
    feats = "fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs"
    _w(root, "proc/cpuinfo", "\n".join(
        f"processor\t: {i}\nBogoMIPS\t: 50.00\nFeatures\t: {feats}\nCPU implementer\t: 0x41\n"
        f"CPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n" for i in range(4)) + "\n")
    _w(root, "proc/meminfo", "MemTotal:       16000000 kB\nMemFree:        1000 kB\n")
    _w(root, "sys/devices/system/cpu/online", "0-3\n")
    for i in range(4):
        base = f"sys/devices/system/cpu/cpu{i}"
        _w(root, f"{base}/topology/core_id", f"{i}\n")
        _w(root, f"{base}/topology/physical_package_id", "0\n")
        _w(root, f"{base}/cpufreq/cpuinfo_max_freq", "2500000\n")
        for idx, (lvl, typ, size, shared) in enumerate([(1, "Data", "64K", str(i)), (1, "Instruction", "64K", str(i)),
                                                         (2, "Unified", "1024K", str(i)),
                                                         (3, "Unified", "32768K", "0-3")]):
            for name, val in (("level", lvl), ("type", typ), ("size", size), ("shared_cpu_list", shared)):
                _w(root, f"{base}/cache/index{idx}/{name}", f"{val}\n")
    return root


def zen4_smt(root: Path) -> Path:
    """AMD Zen 4: 4 logical CPUs = 2 cores × SMT2, cgroup quota 3 CPUs, memory.max, no cpufreq."""
    flags = "fpu sse sse2 avx fma avx2 avx512f avx512bw avx512vl avx512_bf16 avx512_vnni"
    _w(root, "proc/cpuinfo", "\n".join(
        f"processor\t: {i}\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 97\n"
        f"model name\t: AMD Ryzen 9 7950X 16-Core Processor\nstepping\t: 2\ncpu MHz\t\t: {4500 + i}.000\n"
        f"flags\t\t: {flags}\n" for i in range(4)) + "\n")
    _w(root, "proc/meminfo", "MemTotal:       65000000 kB\n")
    _w(root, "sys/fs/cgroup/cpu.max", "300000 100000\n")
    _w(root, "sys/fs/cgroup/memory.max", "8589934592\n")
    _w(root, "sys/devices/system/cpu/online", "0-3\n")
    for i in range(4):
        _w(root, f"sys/devices/system/cpu/cpu{i}/topology/core_id", f"{i // 2}\n")
        _w(root, f"sys/devices/system/cpu/cpu{i}/topology/physical_package_id", "0\n")
    return root


def spr_no_clock(root: Path) -> Path:
    """Sapphire Rapids with AMX, one CPU, and nothing that tells the clock."""
    _w(root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n"
       "model name\t: Intel(R) Xeon(R) Platinum 8480+\nstepping\t: 8\nflags\t\t: fpu sse2 avx fma avx2 avx512f "
       "amx_tile amx_bf16 amx_int8 avx512_bf16 avx512_fp16 avx512_vnni\n\n")
    _w(root, "sys/devices/system/cpu/online", "0\n")
    return root


def fake_measurements(threads: int = 2) -> dict:
    pts = [{"footprint_bytes": 2**18 * 4**i, "bytes_per_s_1": 80e9 / (1.5**i), "bytes_per_s_all": 150e9 / (1.7**i)}
           for i in range(5)]
    pts.append({"footprint_bytes": 2**27, "bytes_per_s_1": 12e9, "bytes_per_s_all": 20e9})
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return {"measured_at": now, "load_average": [0.1, 0.1, 0.1],
            "bandwidth": {"threads_all": threads, "points": pts, "how": "test fixture copy",
                          "first_touch": {"s_per_byte_1": 1e-9, "s_per_byte_all": 0.5e-9, "threads_all": threads,
                                          "how": "test fixture"}},
            "dispatch": {"functional_s": 1e-6, "module_s": 2e-6, "model_s": 3e-6, "how": "test fixture"},
            "cache_file": "(test)"}


# --- this machine ------------------------------------------------------------------------------------
def test_detect_this_machine_is_sane():
    h = detect()
    assert h.physical_cores.value >= 1
    assert h.logical_cpus.value >= h.physical_cores.value
    assert h.frequency_hz.value and h.frequency_hz.value > 1e8
    assert h.isa.value in ("avx512", "avx2", "avx", "sse2", "sve", "neon")
    assert h.simd_bits.value in (128, 256, 512, 1024, 2048)
    assert h.fma_units.value >= 1 and h.fma_units.source.startswith("assumed:")
    assert h.memory_bytes is not None and h.memory_bytes.value > 2**28
    assert 2 in h.caches and h.caches[2].size_bytes >= 64 * 1024
    assert h.cpu_model and h.cpu_model != "unknown CPU"
    for name, fact in h.facts().items():
        assert fact.source.startswith(PREFIXES), f"{name}: {fact.source!r}"


def test_fact_refuses_unsourced_values():
    with pytest.raises(ValueError):
        Fact(3, "from somewhere")


def test_parsers():
    assert parse_cpu_list("0-3,8,10-11\n") == {0, 1, 2, 3, 8, 10, 11}
    assert parse_size("48K") == 48 * 1024 and parse_size("260M") == 260 * 2**20 and parse_size("1024") == 1024
    with pytest.raises(ValueError):
        parse_size("lots")


# --- fake trees ----------------------------------------------------------------------------------------
def test_arm_neoverse_n1_tree(tmp_path):
    h = detect(neoverse_n1(tmp_path))
    assert h.vendor.value == "ARM" and "Neoverse-N1" in h.cpu_model
    assert (h.isa.value, h.simd_bits.value, h.fma_units.value) == ("neon", 128, 2)
    assert h.microarch.value == "Neoverse-N1"
    assert h.physical_cores.value == 4 and h.logical_cpus.value == 4
    assert h.frequency_hz.value == 2.5e9 and "cpufreq" in h.frequency_hz.source
    assert h.caches[1].size_bytes == 64 * 1024 and h.caches[1].instances == 4
    assert h.caches[3].size_bytes == 32 * 2**20 and h.caches[3].instances == 1 and h.caches[3].shared_cpus == 4
    assert h.memory_bytes.value == 16000000 * 1024
    assert set(h.extensions) == {"fp16_simd", "int8_simd"}   # asimdhp, asimddp


def test_zen4_smt_quota_and_cgroup_memory(tmp_path):
    h = detect(zen4_smt(tmp_path))
    # the quota allows 3 of the 4 CPUs; they span 2 physical cores (SMT siblings share FMA units)
    assert h.logical_cpus.value == 3 and "cpu.max" in h.logical_cpus.source
    assert h.physical_cores.value == 2
    assert h.microarch.value == "Zen 4" and h.fma_units.value == 1 and h.simd_bits.value == 512
    assert h.frequency_hz.value == pytest.approx(4502e6) and "cpu MHz" in h.frequency_hz.source
    assert h.memory_bytes.value == 8 * 2**30 and "memory.max" in h.memory_bytes.source


def test_unknown_clock_registers_without_peaks_and_fails_only_when_needed(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_CPU_FREQ_GHZ", raising=False)
    h = detect(spr_no_clock(tmp_path))
    assert h.frequency_hz.value is None and "GRAPHS_CPU_FREQ_GHZ" in h.frequency_hz.source
    spec = parse_spec(host_spec(h, fake_measurements(1)), "host")
    assert spec.compute == {} and spec.peak("fp32") == 0.0
    from graphs.errors import GraphsError
    from graphs_mappers_cpu import bench
    from graphs_mappers_cpu.mapper import CPUMapper
    m = CPUMapper(spec)
    with pytest.raises(GraphsError, match="GRAPHS_CPU_FREQ_GHZ"):
        m.estimate_kernel(bench.mm(64, 64, 64).kernel())
    monkeypatch.setenv("GRAPHS_CPU_FREQ_GHZ", "2.0")
    h2 = detect(tmp_path)
    assert h2.frequency_hz.value == 2e9 and h2.frequency_hz.source.startswith("assumed:")
    monkeypatch.setenv("GRAPHS_CPU_FREQ_GHZ", "fast")
    with pytest.raises(HostDetectionError, match="GRAPHS_CPU_FREQ_GHZ"):
        detect(tmp_path)


def test_missing_cpuinfo_is_a_one_line_error(tmp_path):
    with pytest.raises(HostDetectionError, match="cpuinfo"):
        detect(tmp_path)


# --- peaks -------------------------------------------------------------------------------------------
def test_peak_formula():
    p = microarch.simd_peaks(4, 512, 2, 3.0e9)
    assert p["fp32"][0] == 4 * 16 * 2 * 2 * 3.0e9
    assert p["fp64"][0] == 4 * 8 * 2 * 2 * 3.0e9
    assert "bf16" not in p and "int8" not in p
    ext = {"bf16_simd": "avx512_bf16", "fp16_simd": "avx512_fp16", "int8_simd": "avx512_vnni"}
    p = microarch.simd_peaks(4, 512, 2, 3.0e9, ext)
    assert p["bf16"][0] == p["fp16"][0] == 2 * p["fp32"][0]
    assert p["int8"][0] == 4 * p["fp32"][0]
    # AVX-VNNI is 256-bit only: on a 512-bit core it gives half the VNNI-512 rate
    p = microarch.simd_peaks(4, 512, 2, 3.0e9, {"int8_simd": "avx_vnni"})
    assert p["int8"][0] == 2 * p["fp32"][0]
    # Neoverse N1-like: 128-bit NEON, 2 pipes
    assert microarch.simd_peaks(1, 128, 2, 2.5e9)["fp32"][0] == 4 * 2 * 2 * 2.5e9
    assert microarch.amx_peaks(2, 2e9, {"amx_bf16": 1})["bf16"][0] == 2 * 1024 * 2e9
    assert microarch.amx_peaks(2, 2e9, {"amx_int8": 1})["int8"][0] == 2 * 2048 * 2e9
    with pytest.raises(ValueError):
        microarch.simd_peaks(0, 512, 2, 3e9)


def test_synthetic_host_spec_peaks_and_sources(tmp_path):
    h = detect(neoverse_n1(tmp_path))
    spec = parse_spec(host_spec(h, fake_measurements(4)), "host")
    assert spec.id == "host" and spec.aliases == ("cpu-host",) and spec.family == "cpu"
    assert spec.peak("fp32") == 4 * (128 / 32) * 2 * 2 * 2.5e9
    assert spec.peak("fp16") == 2 * spec.peak("fp32")       # asimdhp
    assert spec.peak("int8") == 4 * spec.peak("fp32")       # asimddp
    assert spec.memory_bandwidth == 20e9                    # main-memory point, all threads
    names = [m.name for m in spec.memory]
    assert names == ["L1d", "L2", "L3", "DRAM"]
    assert spec.overhead("kernel_launch") == pytest.approx(2e-6)
    for path, source in spec.all_sources():
        assert source.startswith(PREFIXES), f"{path}: {source!r}"


def test_amx_unit_when_flags_present(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHS_CPU_FREQ_GHZ", "2.0")
    h = detect(spr_no_clock(tmp_path))
    assert h.microarch.value == "Sapphire Rapids" and h.fma_units.value == 2
    spec = parse_spec(host_spec(h, fake_measurements(1)), "host")
    assert set(spec.compute) == {"simd", "amx"}
    assert spec.peak("bf16", "amx") == 1024 * 2e9 and spec.peak("int8", "amx") == 2048 * 2e9
    assert spec.peak("fp32") == 16 * 2 * 2 * 2e9
