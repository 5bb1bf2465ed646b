"""The resolved accelerator: a spec and its ``family_params`` as plain numbers.

Precision: a kernel runs on the matrix arrays at its own precision when the spec lists a
matrix peak for it, else at the first listed precision of ``FALLBACK`` (e.g. an fp32 matmul on
a TPU, whose MXU publishes bf16/int8 peaks only, runs as bf16 — XLA's default matmul
precision on TPU); the estimate's notes name every substitution. Vector units compute in the
precision they publish, else fp32 (TPU VPU, Trainium Vector/Scalar engines compute in fp32).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphs.errors import SpecError
from graphs.hardware.schema import HardwareSpec

from graphs_mappers_accel.memory import Sram, on_chip_sram
from graphs_mappers_accel.params import AccelParams
from graphs_mappers_accel.systolic import ArrayGeometry

FALLBACK = {
    "fp64": ("fp32", "tf32", "bf16", "fp16"),
    "fp32": ("tf32", "bf16", "fp16"),
    "tf32": ("bf16", "fp16", "fp32"),
    "bf16": ("fp16", "fp32"),
    "fp16": ("bf16", "fp32"),
    "fp8": ("int8", "bf16", "fp16"),
    "int8": ("fp8", "bf16", "fp16"),
    "int4": ("int8", "fp8", "bf16"),
}


@dataclass(frozen=True)
class AccelDevice:
    id: str
    matrix_peaks: dict[str, float]          # precision -> FLOP/s (dense)
    vector_peaks: dict[str, float]          # precision -> FLOP/s
    geometry: ArrayGeometry | None
    base_precision: str                     # precision the geometry's clock was matched to
    sram: Sram | None
    hbm_bandwidth: float
    dispatch_s: float
    notes: tuple[str, ...] = field(default=())

    def matrix_precision(self, precision: str) -> str:
        """The precision the arrays actually run ``precision`` at."""
        for p in (precision,) + FALLBACK.get(precision, ()):
            if self.matrix_peaks.get(p):
                return p
        return max(self.matrix_peaks, key=self.matrix_peaks.get)

    def vector_precision(self, precision: str) -> str:
        if not self.vector_peaks or self.vector_peaks.get(precision):
            return precision
        return "fp32" if self.vector_peaks.get("fp32") else max(self.vector_peaks, key=self.vector_peaks.get)

    def vector_seconds(self, flops: float, precision: str) -> float:
        """Time of ``flops`` on the vector unit (0 when no vector peak is known)."""
        peak = self.vector_peaks.get(self.vector_precision(precision), 0.0)
        return flops / peak if peak and flops else 0.0

    def rate(self, precision: str) -> float:
        """MACs per processing element per cycle at ``precision`` (1.0 at the base precision)."""
        g = self.geometry
        if g is None:
            return 1.0
        return self.matrix_peaks[precision] / (2.0 * g.peak_macs_per_cycle * g.clock_hz)


def _peaks(spec: HardwareSpec, unit: str) -> dict[str, float]:
    u = spec.compute.get(unit)
    return {p: q.si for p, q in u.peaks.items()} if u else {}


def resolve_device(spec: HardwareSpec, params: AccelParams) -> AccelDevice:
    notes: list[str] = []
    mx = _peaks(spec, params.matrix_unit)
    if not mx:
        raise SpecError(f"{spec.id}: compute.{params.matrix_unit} (the matrix unit) has no dense peaks")
    vec = _peaks(spec, params.vector_unit)
    if not vec and (params.vector_lanes is None or params.vector_clock is None):
        notes.append(f"no published vector peak (compute.{params.vector_unit}) nor vector_lanes/vector_clock: "
                     "non-matrix kernels are modelled by their memory traffic only")
    elif not vec:
        ops = params.vector_ops_per_lane.value if params.vector_ops_per_lane else 1.0
        vec = {"fp32": params.vector_lanes.value * ops * params.vector_clock.si}
        notes.append(f"vector peak derived from family_params: {params.vector_lanes.value:g} lanes x {ops:g} ops x "
                     f"{params.vector_clock.si / 1e9:g} GHz = {vec['fp32'] / 1e12:.3g} TFLOP/s fp32")
    base = max(mx, key=mx.get)
    for p in ("bf16", "fp16"):
        if mx.get(p):
            base = p
            break
    geometry = None
    if params.has_geometry:
        units, rows, cols = int(params.matrix_units.value), int(params.array_rows.value), int(params.array_cols.value)
        if params.clock is not None:
            clock = params.clock.si
        else:
            clock = mx[base] / (2.0 * units * rows * cols)
            notes.append(f"array clock derived from the {base} peak: {clock / 1e9:.3g} GHz")
        geometry = ArrayGeometry(
            units=units, rows=rows, cols=cols, clock_hz=clock,
            granularity=int(params.stream_granularity.value) if params.stream_granularity else 1,
            weight_load_cycles=params.weight_load_cycles.value if params.weight_load_cycles else float(rows),
            min_pass_cycles=params.min_pass_cycles.value if params.min_pass_cycles else 0.0,
            max_stream_rows=int(params.max_stream_rows.value) if params.max_stream_rows else 0,
        )
        derived = 2.0 * geometry.peak_macs_per_cycle * clock
        if derived > mx[base] * 1.02:
            raise SpecError(f"{spec.id}: arrays x clock give {derived / 1e12:.4g} TFLOP/s {base}, above the "
                            f"published dense peak {mx[base] / 1e12:.4g}")
    else:
        notes.append("matrix-array geometry not published: matrix kernels at the dense peak, no tile padding")
    sram = on_chip_sram(spec)
    if sram is None:
        notes.append("no on-chip SRAM size in the spec: every kernel streams from main memory once")
    dispatch = spec.overhead("kernel_launch")
    if "kernel_launch" not in spec.overheads:
        notes.append("no published per-kernel dispatch overhead: none added")
    return AccelDevice(spec.id, mx, vec, geometry, base, sram, spec.memory_bandwidth, dispatch, tuple(notes))
