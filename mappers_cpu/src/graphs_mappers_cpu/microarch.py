"""What cannot be detected: FMA units per core, and the peak FLOP/s formula.

No CPUID leaf or sysfs file says how many vector FMA pipes a core has, so this module
assumes it per microarchitecture, identified from vendor + family/model (x86) or
implementer/part (Arm), and states the reason (the vendor's optimisation manual).
``fma_units`` is counted at the detected SIMD width: a Zen 4 core executes a 512-bit FMA
as two halves on its two 256-bit pipes, so at 512 bits it has 1 unit.

Peak (dense) per precision, for ``cores`` cores at ``freq`` Hz::

    fp32 = cores × (simd_bits / 32) × fma_units × 2 × freq          (an FMA is 2 FLOPs)
    fp64 = cores × (simd_bits / 64) × fma_units × 2 × freq
    fp16 = 2 × fp32  with AVX512-FP16 (VFMADDPH) or Arm FP16 arithmetic (asimdhp)
    bf16 = 2 × fp32  with AVX512_BF16 (VDPBF16PS: 2 bf16 products accumulated per fp32 lane)
    int8 = 4 × fp32  with AVX512-VNNI / AVX-VNNI (VPDPBUSD: 4 int8 products per int32 lane)
           or Arm dot product (asimddp: SDOT/UDOT)
    AMX (amx_tile + amx_bf16/amx_int8): 1024 bf16 FLOP and 2048 int8 OP per cycle per core

The fp16/bf16/int8 SIMD rates assume those instructions issue at the FMA rate; that is the
documented rate for VFMADDPH and VPDPBUSD on Sapphire Rapids-class cores, and an upper bound
elsewhere. AMX figures are Intel's (Intel AMX overview: "2048 INT8 / 1024 BF16 operations
per cycle per core"). All peaks are at the detected clock; sustained AVX-512/AMX clocks are
lower, which the measured efficiency priors absorb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

# Arm (implementer, part) → (core name, FMA pipes at 128 bit, reason)
ARM_PARTS: dict[tuple[str, str], tuple[str, int, str]] = {
    ("0x41", "0xd03"): ("Cortex-A53", 1, "Cortex-A53 TRM: one 64-bit NEON/FP pipe (128-bit FMA at half rate ≈ 1)"),
    ("0x41", "0xd08"): ("Cortex-A72", 2, "Cortex-A72 Software Optimization Guide: two FP/ASIMD pipes (F0, F1) with FMA"),
    ("0x41", "0xd0b"): ("Cortex-A76", 2, "Cortex-A76 Software Optimization Guide: two 128-bit FP/ASIMD pipes with FMA"),
    ("0x41", "0xd0c"): ("Neoverse-N1", 2, "Neoverse N1 Software Optimization Guide: two 128-bit FP/ASIMD pipes (V0, V1)"),
    ("0x41", "0xd40"): ("Neoverse-V1", 4, "Neoverse V1 Software Optimization Guide: four 128-bit FP/ASIMD pipes "
                                          "(two 256-bit SVE pipes)"),
    ("0x41", "0xd49"): ("Neoverse-N2", 2, "Neoverse N2 Software Optimization Guide: two 128-bit FP/ASIMD/SVE2 pipes"),
    ("0x41", "0xd4f"): ("Neoverse-V2", 4, "Neoverse V2 Software Optimization Guide: four 128-bit FP/ASIMD/SVE2 pipes"),
    ("0x41", "0xd8e"): ("Neoverse-N3", 2, "Neoverse N3 Software Optimization Guide: two 128-bit FP/ASIMD/SVE2 pipes"),
    ("0x41", "0xd84"): ("Neoverse-V3", 4, "Neoverse V3 Software Optimization Guide: four 128-bit FP/ASIMD/SVE2 pipes"),
    ("0xc0", "0xac3"): ("Ampere-1", 2, "Ampere-1: two 128-bit FP/ASIMD pipes (AmpereOne product brief)"),
    ("0x61", "0x022"): ("Apple-M1-Icestorm", 2, "Apple M1 efficiency core: two 128-bit FP pipes (dougallj.github.io)"),
    ("0x61", "0x023"): ("Apple-M1-Firestorm", 4, "Apple M1 performance core: four 128-bit FP/FMA pipes "
                                                  "(dougallj.github.io)"),
}

# Intel family 6 model → (name, FMA units at the widest SIMD width the model supports)
_INTEL = {
    **{m: ("Haswell", 2) for m in (60, 63, 69, 70)},
    **{m: ("Broadwell", 2) for m in (61, 71, 79, 86)},
    **{m: ("Skylake/Kaby/Coffee/Comet Lake (client)", 2) for m in (78, 94, 142, 158, 165, 166)},
    85: ("Skylake-SP/Cascade Lake/Cooper Lake", 2),
    102: ("Cannon Lake", 1),
    **{m: ("Ice Lake (client)", 1) for m in (125, 126)},
    **{m: ("Ice Lake-SP", 2) for m in (106, 108)},
    **{m: ("Tiger Lake", 1) for m in (140, 141)},
    167: ("Rocket Lake", 1),
    **{m: ("Alder/Raptor/Meteor/Arrow Lake (P-core)", 2) for m in (151, 154, 183, 186, 191, 170, 172, 197, 198, 189)},
    143: ("Sapphire Rapids", 2),
    207: ("Emerald Rapids", 2),
    **{m: ("Granite Rapids", 2) for m in (173, 174)},
    175: ("Sierra Forest (E-core)", 1),
    **{m: ("Knights Landing/Mill", 2) for m in (87, 133)},
}
_INTEL_REASON = ("assumed: Intel 64 and IA-32 Architectures Optimization Reference Manual — {name}: {n} "
                 "{bits}-bit FMA unit(s) per core (ports 0/1{p5})")


@dataclass(frozen=True)
class UArch:
    name: str
    name_source: str
    fma_units: int
    reason: str


def identify(vendor: str, sig: Mapping[str, object], flags: frozenset[str], model_name: str, isa: str,
             bits: int) -> UArch:
    """Microarchitecture and FMA units per core at ``bits`` width, with the reason."""
    v = (vendor or "").lower()
    fam, model = sig.get("family"), sig.get("model")
    if "fma" not in flags and isa in ("avx", "sse2"):
        # no FMA: one multiply port + one add port ≈ one FMA's worth of FLOPs per cycle
        return UArch(f"x86 without FMA ({isa})", "detected: no 'fma' flag in /proc/cpuinfo", 1,
                     "assumed: no FMA instructions; one vector multiply and one vector add per cycle "
                     "(= 1 FMA-equivalent), as on Sandy Bridge / Bulldozer-era cores")
    if "intel" in v and fam == 6 and isinstance(model, int) and model in _INTEL:
        name, n = _INTEL[model]
        src = f"detected: Intel family 6 model {model} in /proc/cpuinfo"
        if model == 85 and isa == "avx512" and _skx_one_fma(model_name):
            n = 1
            return UArch(name, src, n, f"assumed: Intel ARK lists 1 AVX-512 FMA unit for {model_name!r} "
                                       "(Xeon Bronze/Silver/Gold 5xxx except 5122)")
        if isa != "avx512" and n == 1:
            n = 2  # 1 is only for 512-bit on client AVX-512 parts; 256-bit FMA runs on ports 0 and 1
        return UArch(name, src, n, _INTEL_REASON.format(name=name, n=n, bits=bits,
                                                        p5=" + 5" if bits == 512 and n == 2 else ""))
    if ("amd" in v or "hygon" in v) and isinstance(fam, int):
        src = f"detected: AMD family {fam:#x} model {model} in /proc/cpuinfo"
        if fam == 0x17:
            if isinstance(model, int) and model < 0x30:
                return UArch("Zen/Zen+", src, 1, "assumed: AMD Software Optimization Guide for family 17h: two "
                                                 "128-bit FMA pipes = one 256-bit FMA per cycle")
            return UArch("Zen 2", src, 2, "assumed: AMD Software Optimization Guide for family 17h models 30h+: "
                                          "two 256-bit FMA pipes")
        if fam == 0x19:
            if isa == "avx512":
                return UArch("Zen 4", src, 1, "assumed: AMD Software Optimization Guide for family 19h (Zen 4): "
                                              "two 256-bit FMA pipes; a 512-bit FMA uses both = 1 per cycle")
            return UArch("Zen 3", src, 2, "assumed: AMD Software Optimization Guide for family 19h (Zen 3): two "
                                          "256-bit FMA pipes")
        if fam == 0x1A:
            return UArch("Zen 5", src, 2, "assumed: AMD Zen 5 (family 1Ah): two 512-bit FMA pipes on desktop/server "
                                          "parts (mobile parts execute 512-bit FMA in two halves: 1)")
    impl = str(sig.get("implementer", "")).lower()
    part = str(sig.get("part", "")).lower()
    if (impl, part) in ARM_PARTS:
        name, n128, reason = ARM_PARTS[(impl, part)]
        n = max(1, n128 * 128 // bits) if bits >= 128 else n128
        return UArch(name, f"detected: CPU implementer {impl} part {part} in /proc/cpuinfo", n, f"assumed: {reason}")
    return UArch("unknown", f"detected: no microarchitecture table entry for vendor {vendor!r} {dict(sig)}", 2,
                 "assumed: unknown microarchitecture; two FMA pipes at the detected SIMD width is typical "
                 "of current server and desktop cores (x86 since Haswell/Zen 2, Arm Neoverse N-series)")


def _skx_one_fma(model_name: str) -> bool:
    m = model_name.lower()
    if "bronze" in m or "silver" in m:
        return True
    g = __import__("re").search(r"gold\s+5(\d{3})", m)
    return bool(g) and g.group(1) != "122"


def extensions(flags: frozenset[str], isa: str) -> dict[str, "object"]:
    """Reduced-precision and matrix extensions present in ``flags`` (as Facts)."""
    from graphs_mappers_cpu.host import Fact

    src = "detected: ISA flags in /proc/cpuinfo ({})"
    out = {}
    if "avx512_bf16" in flags:
        out["bf16_simd"] = Fact("avx512_bf16", src.format("avx512_bf16"))
    if "avx512_fp16" in flags:
        out["fp16_simd"] = Fact("avx512_fp16", src.format("avx512_fp16"))
    elif "asimdhp" in flags:
        out["fp16_simd"] = Fact("asimdhp", src.format("asimdhp"))
    if "avx512_vnni" in flags or "avx512vnni" in flags:
        out["int8_simd"] = Fact("avx512_vnni", src.format("avx512_vnni"))
    elif "avx_vnni" in flags:
        out["int8_simd"] = Fact("avx_vnni", src.format("avx_vnni") + "; 256-bit")
    elif "asimddp" in flags:
        out["int8_simd"] = Fact("asimddp", src.format("asimddp"))
    if "amx_tile" in flags and "amx_bf16" in flags:
        out["amx_bf16"] = Fact("amx_bf16", src.format("amx_tile, amx_bf16"))
    if "amx_tile" in flags and "amx_int8" in flags:
        out["amx_int8"] = Fact("amx_int8", src.format("amx_tile, amx_int8"))
    if "amx_tile" in flags and "amx_fp16" in flags:
        out["amx_fp16"] = Fact("amx_fp16", src.format("amx_tile, amx_fp16"))
    return out


AMX_FLOP_PER_CYCLE = {"bf16": 1024, "fp16": 1024, "int8": 2048}
AMX_SOURCE = "Intel AMX overview (intel.com): 2048 INT8 / 1024 BF16 operations per cycle per core"


def simd_peaks(cores: int, simd_bits: int, fma_units: int, freq_hz: float, ext: Mapping[str, object] = (),
               ) -> dict[str, tuple[float, str]]:
    """Dense SIMD peak (FLOP/s or OP/s) per precision with the formula used."""
    if cores < 1 or simd_bits < 32 or fma_units < 1 or not freq_hz or freq_hz <= 0:
        raise ValueError(f"bad peak inputs: cores={cores} simd_bits={simd_bits} fma={fma_units} freq={freq_hz}")
    f32 = cores * (simd_bits / 32) * fma_units * 2 * freq_hz
    desc = f"{cores} cores × {simd_bits // 32} fp32 lanes × {fma_units} FMA × 2 × {freq_hz / 1e9:g} GHz"
    out = {"fp32": (f32, desc), "fp64": (f32 / 2, desc.replace(f"{simd_bits // 32} fp32", f"{simd_bits // 64} fp64"))}
    ext = dict(ext or {})
    if "fp16_simd" in ext:
        out["fp16"] = (2 * f32, f"2 × fp32 peak ({_v(ext['fp16_simd'])} FMA on 2× lanes, assumed at the FMA rate)")
    if "bf16_simd" in ext:
        out["bf16"] = (2 * f32, f"2 × fp32 peak ({_v(ext['bf16_simd'])} VDPBF16PS, assumed at the FMA rate)")
    if "int8_simd" in ext:
        v = _v(ext["int8_simd"])
        width = 256 if v == "avx_vnni" and simd_bits > 256 else simd_bits
        out["int8"] = (4 * f32 * width / simd_bits, f"4 × fp32 peak at {width} bit ({v} 4-way int8 dot product, "
                                                    "assumed at the FMA rate)")
    return out


def amx_peaks(cores: int, freq_hz: float, ext: Mapping[str, object]) -> dict[str, tuple[float, str]]:
    out = {}
    for p, key in (("bf16", "amx_bf16"), ("int8", "amx_int8"), ("fp16", "amx_fp16")):
        if key in ext:
            out[p] = (cores * AMX_FLOP_PER_CYCLE[p] * freq_hz,
                      f"{cores} cores × {AMX_FLOP_PER_CYCLE[p]} per cycle × {freq_hz / 1e9:g} GHz")
    return out


def _v(f: object) -> str:
    return str(getattr(f, "value", f))
