"""AccelMapper: how a systolic-array accelerator (TPU, Gaudi, Trainium/Inferentia, Cloud AI 100)
executes a kernel.

    estimate = dispatch + t_model × ratio        ratio: prior median (estimate), low/high (interval)

``t_model`` comes from :func:`graphs_mappers_accel.timing.kernel_timing` (tile passes on the
arrays, vector unit, SRAM/HBM traffic); ``dispatch`` is the spec's ``overheads.kernel_launch``
where a vendor publishes one. The ratio is the device's calibration where it covers the
kernel (core's :class:`~graphs.calibration.Calibration` path, unchanged), else the family's
transferred prior (:mod:`graphs_mappers_accel.priors`): estimates are THEORETICAL.
Default fusion is ``default``: these devices run graph compilers (XLA, SynapseAI, Neuron,
Qualcomm AIC) that fuse elementwise epilogues into the matrix kernels.
"""

from __future__ import annotations

from typing import Any

from graphs.hardware.schema import HardwareSpec
from graphs.mapper import EfficiencyPrior, Mapper, Rate
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel

from graphs_mappers_accel.device import AccelDevice, resolve_device
from graphs_mappers_accel.params import AccelParams
from graphs_mappers_accel.priors import AccelPriors, load_priors
from graphs_mappers_accel.timing import KernelTiming, kernel_timing


class AccelMapper(Mapper):
    """The ``accel`` family engine."""

    family = "accel"
    params_model = AccelParams
    default_fusion = "default"
    estimator_name = "accel-systolic"
    runtimes = ("graph", "roofline")     # TPU/Gaudi/Inferentia run compiled graphs (XLA, SynapseAI, Neuron)
    default_runtime = "graph"

    def __init__(self, spec: HardwareSpec, calibration: Any = None, priors: AccelPriors | None = None) -> None:
        super().__init__(spec, calibration)
        self.device: AccelDevice = resolve_device(spec, self.params)
        self.priors = priors if priors is not None else load_priors()
        self._substitutions: set[str] = set()

    @property
    def notes(self) -> tuple[str, ...]:
        subs = tuple(sorted(self._substitutions))
        return ("efficiency priors transferred from the GPU family (no accelerator measurements); "
                "intervals widened",) + self.device.notes + subs

    # --- the model ------------------------------------------------------------------------------
    def timing(self, kernel: Kernel) -> KernelTiming:
        precision = self.precision_of(kernel)
        t = kernel_timing(kernel, precision, self.device)
        if t.precision != precision:
            where = "matrix arrays" if t.unit.startswith("matrix") else "vector unit"
            self._substitutions.add(f"{precision} kernels run at {t.precision} on the {where} "
                                    "(no published peak at their own precision)")
        return t

    def compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        d = self.device
        if kernel.category.is_matrix and kernel.matrix_flops > 0:
            p = d.matrix_precision(precision)
            return Rate(d.matrix_peaks[p], self.params.matrix_unit)
        p = d.vector_precision(precision)
        return Rate(d.vector_peaks.get(p, 0.0), self.params.vector_unit)

    def memory_rate(self, kernel: Kernel) -> Rate:
        return Rate(self.device.hbm_bandwidth, self.spec.main_memory.name)

    def kernel_overhead(self, kernel: Kernel) -> float:
        return self.device.dispatch_s

    def graph_kernel_overhead(self, kernel: Kernel) -> float:
        """A compiled graph still dispatches each fused op on the device (the spec's dispatch cost)."""
        return self.device.dispatch_s

    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        return self.priors.prior(kernel.category)

    def confidence(self, kernel: Kernel) -> ConfidenceLevel:
        return ConfidenceLevel.THEORETICAL

    def roofline(self, kernel: Kernel, precision: str) -> tuple[float, str, str]:
        """The modelled time (tiles, SRAM/HBM) replaces the plain roofline; core's
        ``estimate_kernel`` then applies calibration or the prior and the dispatch overhead."""
        t = self.timing(kernel)
        return t.seconds, t.bound, t.unit
