"""The resolved device: a spec, its ``family_params`` and the options, as plain numbers.

Everything the timing model reads comes from here, so the model itself is pure arithmetic
and the derivation script (``benchmarks/derive_gpu_priors.py``) can build one for any GPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphs.errors import SpecError
from graphs.hardware.schema import HardwareSpec

from graphs_mappers_gpu.options import GPUOptions
from graphs_mappers_gpu.params import GPUParams

TENSOR_CORE = "tensor_core"
CUDA_CORE = "cuda_core"
LOW_POWER_TDP_W = 100.0


@dataclass(frozen=True)
class GPUDevice:
    """Numbers in SI units, already scaled for ``fraction`` / ``sm_count``."""

    id: str
    sm_count: int
    peaks: dict[str, dict[str, float]]      # unit -> precision -> FLOP/s
    hbm_bandwidth: float                    # B/s
    l2_bytes: float                         # 0 if unknown
    l2_bandwidth: float                     # B/s, 0 if the spec gives none
    l2_partitions: int
    registers_per_sm: int
    max_ctas_per_sm: int
    memory_latency_s: float = 0.0           # one global-memory round trip, 0 if unknown
    tdp_w: float = 0.0                      # board power limit, 0 if unknown
    tma_multicast: int = 1                  # CTAs sharing an A-tile load (tensor-core GEMMs)
    notes: tuple[str, ...] = field(default=())

    @property
    def power_class(self) -> str:
        """``low_power`` for boards limited to LOW_POWER_TDP_W or less (T4, P4, L4 ...), else ``high_power``.

        Such boards do not sustain their boost clock under long math-bound kernels, which the
        measurements show (NeuSight T4/P4 SGEMMs run ~2x slower than their peak implies, the
        250 W parts ~1.3x); the priors are kept per class.
        """
        return "low_power" if 0 < self.tdp_w <= LOW_POWER_TDP_W else "high_power"

    @property
    def l2_resident_bytes(self) -> float:
        """Working-set size that stays L2-resident (one partition's share)."""
        return self.l2_bytes / max(self.l2_partitions, 1)

    def peak(self, unit: str, precision: str) -> float:
        return self.peaks.get(unit, {}).get(precision, 0.0)


def resolve_device(spec: HardwareSpec, params: GPUParams, options: GPUOptions) -> GPUDevice:
    """Turn a validated spec into a :class:`GPUDevice` under ``options``."""
    if CUDA_CORE not in spec.compute:
        raise SpecError(f"{spec.id}: a GPU spec needs a compute unit named {CUDA_CORE!r}")
    sms_spec = int(params.sm_count.value)
    sm_count = options.sm_count if options.sm_count is not None else sms_spec
    if sm_count > sms_spec:
        raise SpecError(f"{spec.id}: sm_count {sm_count} exceeds the {sms_spec} SMs of the device")
    compute_scale = sm_count / sms_spec * options.fraction
    sm_eff = max(1, int(round(sm_count * options.fraction)))
    peaks = {name: {p: q.si * compute_scale for p, q in unit.peaks.items()} for name, unit in spec.compute.items()}
    l2 = next((m for m in spec.memory[:-1] if m.name.lower() == "l2"), None)
    l2_bytes = l2.size.si if l2 is not None and l2.size is not None else 0.0
    l2_bw = l2.bandwidth.si if l2 is not None and l2.bandwidth is not None else 0.0
    notes = []
    latency = 0.0
    if params.memory_latency_cycles is not None and spec.clock is not None:
        latency = params.memory_latency_cycles.value / spec.clock.si
    if not l2_bw:
        notes.append("no L2 bandwidth in the spec: L2-resident working sets use main-memory bandwidth")
    if options.fraction < 1.0 or sm_count != sms_spec:
        notes.append(f"partial device: {sm_eff} of {sms_spec} SMs, fraction {options.fraction:g}")
    return GPUDevice(
        id=spec.id, sm_count=sm_eff, peaks=peaks,
        hbm_bandwidth=spec.memory_bandwidth * options.fraction,
        l2_bytes=l2_bytes * options.fraction, l2_bandwidth=l2_bw * compute_scale,
        l2_partitions=params.partitions,
        registers_per_sm=int(params.registers_per_sm.value), max_ctas_per_sm=int(params.max_ctas_per_sm.value),
        memory_latency_s=latency, tdp_w=spec.power.tdp.si if spec.power else 0.0,
        tma_multicast=int(params.tma_multicast_ctas.value) if params.tma_multicast_ctas else 1, notes=tuple(notes),
    )
