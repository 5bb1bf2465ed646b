"""The resolved edge device under a power mode and quantization policy: plain numbers.

* NPU peaks: the spec's ``compute.<npu_unit>`` dense peaks, scaled by
  ``mode.npu_clock / npu_clock`` under a power mode (peaks are linear in clock for a fixed array);
* host CPU FP32 peak: ``cores × clock × 2 · (simd_bits / 32) · fma_units`` (a fused
  multiply-add is 2 FLOPs; no SIMD: 2 FLOP/cycle per core); narrower types fill more lanes
  (int8: ×4), no dot-product instructions assumed; a mode's ``cpu_clock`` replaces the clock;
* bandwidths: NPU from ``npu_memory`` (absent or without bandwidth: NPU kernels compute-bound),
  CPU from main memory (the spec's last level).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphs.errors import SpecError
from graphs.hardware.schema import HardwareSpec
from graphs.ir import DTYPE_BITS

from graphs_mappers_edge.options import EdgeOptions
from graphs_mappers_edge.params import EdgeParams


@dataclass(frozen=True)
class EdgeDevice:
    id: str
    mode: str | None
    npu_peaks: dict[str, float]              # precision -> OP/s under the mode
    npu_bandwidth: float                     # B/s, 0: compute-bound
    cpu_fp32: float                          # FLOP/s under the mode
    cpu_bandwidth: float                     # B/s
    link_bandwidth: float
    link_latency: float
    shared_memory: bool
    npu_dispatch: float
    mode_power_w: float | None
    sram_bytes: float | None = None          # on-chip parameter cache (None: not published / not modelled)
    notes: tuple[str, ...] = field(default=())

    def npu_peak(self, precision: str) -> float:
        if self.npu_peaks.get(precision):
            return self.npu_peaks[precision]
        return self.npu_peaks.get("int8") or max(self.npu_peaks.values())

    def cpu_peak(self, dtype: str) -> float:
        bits = DTYPE_BITS.get(dtype, 32)
        return self.cpu_fp32 * max(32 / bits, 1.0) if bits <= 32 else self.cpu_fp32 / 2


def resolve_device(spec: HardwareSpec, p: EdgeParams, options: EdgeOptions) -> EdgeDevice:
    notes: list[str] = []
    unit = spec.compute.get(p.npu_unit)
    if unit is None or not unit.peaks:
        raise SpecError(f"{spec.id}: compute.{p.npu_unit} (the NPU) has no dense peaks")
    mode_name = options.power_mode or p.default_mode
    scale, cpu_clock, power = 1.0, p.host.clock.si, None
    if mode_name is not None:
        if mode_name not in p.power_modes:
            raise SpecError(f"{spec.id}: unknown power mode {mode_name!r} "
                            f"(modes: {', '.join(p.power_modes) or 'none'})")
        mode = p.power_modes[mode_name]
        scale = mode.npu_clock.si / p.npu_clock.si
        if mode.cpu_clock is not None:
            cpu_clock = mode.cpu_clock.si
        power = mode.power.si if mode.power else None
        notes.append(f"power mode {mode_name}: NPU at {mode.npu_clock.si / 1e6:g} MHz "
                     f"({scale:.3g}x its {p.npu_clock.si / 1e6:g} MHz peak clock)"
                     + (f", CPU at {cpu_clock / 1e9:g} GHz" if mode.cpu_clock else ""))
    npu = {prec: q.si * scale for prec, q in unit.peaks.items()}
    lanes = (p.host.simd_bits.value / 32) if p.host.simd_bits else 1.0
    fma = p.host.fma_units.value if p.host.fma_units else 1.0
    cpu = p.host.cores.value * cpu_clock * 2.0 * lanes * fma
    notes.append(f"CPU fallback peak: {p.host.cores.value:g} cores x {cpu_clock / 1e9:g} GHz x "
                 f"{2 * lanes * fma:g} FP32 FLOP/cycle = {cpu / 1e9:.3g} GFLOP/s ({p.host.name.value})")
    npu_bw = 0.0
    if p.npu_memory is not None:
        lv = next((m for m in spec.memory if m.name == p.npu_memory), None)
        if lv is None:
            raise SpecError(f"{spec.id}: family_params.npu_memory {p.npu_memory!r} is not a memory level")
        npu_bw = lv.bandwidth.si if lv.bandwidth else 0.0
    if not npu_bw:
        notes.append("NPU memory bandwidth not published: NPU kernels modelled compute-bound")
    sram = None
    if p.sram is not None:
        lv = next((m for m in spec.memory if m.name == p.sram), None)
        if lv is None or lv.size is None:
            raise SpecError(f"{spec.id}: family_params.sram {p.sram!r} is not a memory level with a size")
        sram = lv.size.si
    else:
        notes.append("on-chip parameter memory not published: parameters assumed resident (not modelled)")
    if p.link.latency is None:
        notes.append("no published NPU<->CPU transfer latency: transfers cost bytes / bandwidth only")
    return EdgeDevice(
        id=spec.id, mode=mode_name, npu_peaks=npu, npu_bandwidth=npu_bw, cpu_fp32=cpu,
        cpu_bandwidth=spec.memory_bandwidth, link_bandwidth=p.link.bandwidth.si,
        link_latency=p.link.latency.si if p.link.latency else 0.0, shared_memory=p.link.shared_memory,
        npu_dispatch=spec.overhead("kernel_launch"), mode_power_w=power, sram_bytes=sram, notes=tuple(notes),
    )
