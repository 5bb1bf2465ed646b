"""GPUMapper: how a GPU executes a kernel.

For each kernel: pick the unit (tensor cores or CUDA cores, by precision and TF32 options),
tile it into CTAs and count waves (GEMM-like kernels), pick the memory level (L2-resident or
HBM), and take the slower of compute and memory (:func:`graphs_mappers_gpu.timing.kernel_timing`).
Then scale by the measured efficiency prior of the kernel's group and add overheads:

    gpu_time = kernel_launch + t_model × ratio            (ratio: median, p05, p95 of the group)
    estimate = max(op_dispatch × scale(kind), gpu_time)

``kernel_launch`` is the fixed per-kernel cost that adds to GPU time, and ``op_dispatch`` the
host-bound floor of one eager PyTorch elementwise op (a kernel cannot finish before the host
has issued it); both are ``overheads`` in the spec. ``scale(kind)`` (median, low, high) comes
with the priors: a linear or a convolution costs the host more than an add. The default fusion is ``none``: PyTorch eager runs one
kernel per op, which is what the measurements behind the priors and overheads ran.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from graphs.mapper import EfficiencyPrior, Mapper, Rate
from graphs.hardware.schema import HardwareSpec
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel, KernelEstimate

from graphs_mappers_gpu.device import GPUDevice, resolve_device
from graphs_mappers_gpu.energy import kernel_energy
from graphs_mappers_gpu.options import GPUOptions
from graphs_mappers_gpu.params import GPUParams
from graphs_mappers_gpu.priors import PriorTable, group_key, load_priors
from graphs_mappers_gpu.timing import KernelTiming, kernel_timing
from graphs_mappers_gpu.memory import memory_rate
from graphs_mappers_gpu.units import select_unit


class GPUMapper(Mapper):
    """The ``gpu`` family engine."""

    family = "gpu"
    params_model = GPUParams
    default_fusion = "none"
    estimator_name = "gpu-tiles"

    def __init__(self, spec: HardwareSpec, calibration: Any = None, options: GPUOptions | None = None,
                 priors: PriorTable | None = None) -> None:
        super().__init__(spec, calibration)
        self.options = options if options is not None else GPUOptions.from_env()
        self.device: GPUDevice = resolve_device(spec, self.params, self.options)
        self.priors = priors if priors is not None else load_priors()
        self.notes: tuple[str, ...] = (
            f"TF32: matmul {'on' if self.options.tf32_matmul else 'off'}, conv {'on' if self.options.tf32_conv else 'off'}"
            " (PyTorch defaults: off, on)",
            "overheads: eager PyTorch, one kernel per op (kernel_launch added, op_dispatch as floor)",
        ) + self.device.notes + tuple(
            f"overheads.{name}: family value derived from measurements (priors.json), not in the spec"
            for name in ("kernel_launch", "op_dispatch") if name not in spec.overheads)

    # --- the model ---------------------------------------------------------------------------
    def timing(self, kernel: Kernel) -> KernelTiming:
        """Modelled time before prior and overheads (unit, level, tiling included)."""
        return kernel_timing(kernel, self.precision_of(kernel), self.device, self.options)

    def compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        u = select_unit(kernel, precision, self.device, self.options)
        return Rate(u.peak, u.name)

    def memory_rate(self, kernel: Kernel) -> Rate:
        m = memory_rate(kernel.bytes, self.device)
        return Rate(m.bandwidth, m.level)

    def kernel_overhead(self, kernel: Kernel) -> float:
        """Per-kernel launch cost added to GPU time: the spec's, else the family's derived value."""
        return self.spec.overhead("kernel_launch", float(self.priors.overheads.get("kernel_launch_s", 0.0)))

    def dispatch_floor(self) -> float:
        """Host-bound minimum time of one eager elementwise op, seconds (other kinds scale it)."""
        return self.spec.overhead("op_dispatch", float(self.priors.overheads.get("op_dispatch_s", 0.0)))

    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        unit = select_unit(kernel, self.precision_of(kernel), self.device, self.options)
        return self.priors.prior(group_key(kernel, unit.name), self.device.power_class)

    def confidence(self, kernel: Kernel) -> ConfidenceLevel:
        return ConfidenceLevel.THEORETICAL  # spec + family prior; no calibration of this device

    def estimate_kernel(self, kernel: Kernel) -> KernelEstimate:
        t = self.timing(kernel)
        prior = self.priors.prior(group_key(kernel, t.unit.name), self.device.power_class)
        launch, floor = self.kernel_overhead(kernel), self.dispatch_floor()
        f_med, f_low, f_high = self.priors.dispatch_scale(kernel)
        value = max(floor * f_med, launch + t.seconds * prior.median)
        low = max(floor * f_low, launch + t.seconds * prior.low)
        high = max(floor * f_high, launch + t.seconds * prior.high)
        work = t.seconds * prior.median
        bound = t.bound if work >= value - work else "overhead"
        unit = f"{t.unit.name}:{t.unit.precision}" + (f" {t.tiling.tile} x{t.tiling.waves}w" if t.tiling else "")
        energy = kernel_energy(self.spec, value, kernel.flops, kernel.bytes, t.unit.precision, t.memory.level)
        return KernelEstimate(
            name=kernel.name, kind=kernel.kind, category=kernel.category.value, nodes=kernel.nodes,
            flops=kernel.flops, bytes=kernel.bytes, time_s=value, low_s=low, high_s=high, bound=bound,
            confidence=self.confidence(kernel), unit=unit, energy_j=energy,
        )

    def model_overhead(self, kernels: Sequence[Kernel]) -> float:
        return self.spec.overhead("model_dispatch")

    def summary(self) -> Mapping[str, Any]:
        s = dict(super().summary())
        s.update({"sm_count": self.device.sm_count, "tensor_core_fp16": self.device.peak("tensor_core", "fp16"),
                  "cuda_core_fp32": self.device.peak("cuda_core", "fp32"), "l2_bytes": self.device.l2_bytes})
        return s
