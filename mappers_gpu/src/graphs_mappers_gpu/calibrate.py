"""Fit a device's calibration (:class:`graphs.calibration.Calibration`) from measured kernels.

A calibration replaces the family prior of a kernel group with a curve measured on *this*
device: for each kernel the engine computes its modelled time ``t_model``
(:func:`graphs_mappers_gpu.timing.kernel_timing`, tiles, waves, L2 included) and the curve maps
``x = t_model`` to ``r(x) = (measured − kernel_launch) / t_model``. The estimate is then

    estimate = kernel_launch + t_model × r(t_model) × q50      (interval: q05, q95)

where ``q`` are the multiplicative residuals of the fit. Small kernels of eager PyTorch are
host-bound (the op cannot finish before the host has dispatched it): their ratio rises as
``t_model`` falls, with slope −1 in log-log, and the curve represents that floor itself.

**Curve keys** are ``<kind>.<precision>`` (``linear.fp32``, ``layer_norm.fp32``,
``matmul.fp16``) with a category fallback ``<category>.<precision>`` (``elementwise.fp32``);
``precision`` is the precision of the unit the engine runs the kernel on (``tf32`` for an
FP32 matmul on tensor cores, ``fp32`` on CUDA cores or AMD matrix cores; otherwise the
kernel's data precision). Matrix kernels whose
GEMM extents are not all multiples of 16 bytes get the suffix ``.unaligned``: cuBLAS runs them
with kernels that cannot use 128-bit vector loads, and the data show it — NeuSight's FP32
linears on a Tesla P4 run at a median 1.35× their modelled time when M, N and K are multiples
of 4 and 4.4× otherwise (V100: 1.06× vs 1.16×). A curve is fitted for every key with at least
``min_points`` measurements, as the binned median of the ratio over equal-count bins of
``log x``; an estimate uses the first key whose curve covers its ``t_model``.

**kernel_launch** of a device: the intercept of latency vs bytes over eager elementwise
kernels that stream more than twice the L2 (the fixed cost that adds to GPU time), as in
``benchmarks/derive_gpu_priors.py``; without such kernels the family value is kept.

**Transfer** (:func:`transfer_calibration`): a device without measurements gets, for every
key, the geometric mean over the measured devices' curves (same vendor first, then the same
power class — boards of 100 W or less do not sustain boost clocks, see ``priors.py``),
evaluated on the target's own ``t_model``; ``transferred_from`` names the sources, so its
estimates are INTERPOLATED.

**Matrix-unit efficiency** (:func:`matrix_factor`): a curve of a key that no device of the
target's vendor has measured comes from other vendors' devices, whose matrix units and BLAS
libraries differ (rocBLAS/Tensile on AMD Matrix Cores vs cuBLAS). Where the target — or,
without own measurements, a device of its vendor — has measured *some* matrix key (LLMCompass's
fp16 matmuls of the MI210), the geometric mean of its measured ratio over the other vendors'
transferred ratio, over kernels of at least ``FACTOR_X_MIN`` modelled time (launch cost under
10 %), scales every transferred matrix curve (linear, matmul, conv, attention) of the target.
Only matrix keys are scaled: the memory-bound kernels of LLMCompass's MI210 run 2.4× the
transfer, and applying that factor as well was evaluated and rejected (the NeuSight MI210 labels
then err by 30 %, not 8 %: a different PyTorch/ROCm stack's elementwise kernels; see
docs/accuracy/gpu_public_data.md, which also says that this choice was made after seeing those labels).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np

from graphs.calibration import Calibration, Curve, Overhead, Residuals
from graphs.hardware.schema import DTYPE_PRECISION
from graphs.ir import DTYPE_BITS
from graphs.ops.registry import Category
from graphs.calibration import KernelSample
from graphs.partition import Kernel

MIN_POINTS = 8           # measurements per key for a curve (fewer than 2 bins: a flat curve)
POINTS_PER_BIN = 25      # equal-count bins of log(t_model) ...
SMALL_BIN = 5            # ... or of 5 points when there are fewer than 125
MAX_BINS = 24
STREAM_L2_FACTOR = 2.0   # elementwise kernels streaming more than this × L2 set kernel_launch


ALIGN_BYTES = 16         # 128-bit vector loads


def gemm_aligned(kernel: Kernel) -> bool:
    """Whether every GEMM extent (M, N, K) of a matrix kernel is a multiple of 16 bytes (True if no GEMM)."""
    g = kernel.gemm
    if g is None or not kernel.category.is_matrix:
        return True
    elem = DTYPE_BITS.get(kernel.dtype, 32) / 8
    return (g.m * elem) % ALIGN_BYTES == 0 and (g.n * elem) % ALIGN_BYTES == 0 and (g.k * elem) % ALIGN_BYTES == 0


def curve_keys(kernel: Kernel, unit_precision: str) -> tuple[str, str]:
    """(kind key, category key) of a kernel, in the order an estimate tries them.

    The precision in the key is the kernel's data precision (``fp16`` data on an ALU without
    FP16 rates is still an fp16 kernel: other bytes, other library kernels), except ``tf32``
    for FP32 data on tensor cores.
    """
    prec = "tf32" if unit_precision == "tf32" else DTYPE_PRECISION.get(kernel.dtype, unit_precision)
    sfx = "" if gemm_aligned(kernel) else ".unaligned"
    return f"{kernel.kind}.{prec}{sfx}", f"{kernel.category.value}.{prec}{sfx}"


def launch_intercept(samples: Sequence[tuple[KernelSample, float]], l2_bytes: float) -> tuple[float, int] | None:
    """(kernel_launch seconds, n) from eager elementwise kernels streaming > 2 × L2, or None."""
    pts = [(s.kernel.bytes, s.seconds) for s, _ in samples
           if s.timing == "eager" and s.kernel.category is Category.ELEMENTWISE
           and s.kernel.bytes > STREAM_L2_FACTOR * max(l2_bytes, 1.0)]
    if len(pts) < 10:
        return None
    a = np.array(pts)
    design = np.vstack([np.ones(len(a)), a[:, 0]]).T
    intercept = float(np.linalg.lstsq(design, a[:, 1], rcond=None)[0][0])
    return max(intercept, 0.0), len(pts)


def fit_curve(xs: Sequence[float], ratios: Sequence[float], weights: Sequence[float] | None = None) -> Curve:
    """Binned (weighted) median of ``ratios`` over equal-count bins of ``log xs``; residuals of that fit."""
    x = np.asarray(xs, float)
    r = np.asarray(ratios, float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, float)
    order = np.argsort(x)
    x, r, w = x[order], r[order], w[order]
    per_bin = POINTS_PER_BIN if len(x) >= 5 * POINTS_PER_BIN else SMALL_BIN
    nb = int(max(1, min(MAX_BINS, len(x) // per_bin)))
    edges = np.linspace(0, len(x), nb + 1).astype(int)
    pts: list[tuple[float, float]] = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        lx = float(np.average(np.log(x[a:b]), weights=w[a:b]))
        pts.append((math.exp(lx), _wquantile(r[a:b], w[a:b], 0.5)))
    pts = _dedupe(pts)
    c = Curve(points=tuple(pts), residuals=Residuals(q05=1.0, q50=1.0, q95=1.0), n=len(x),
              x_min=float(x[0]), x_max=float(x[-1]))
    resid = r / np.array([c.ratio(v) for v in x])
    q05, q50, q95 = (_wquantile(resid, w, q) for q in (0.05, 0.5, 0.95))
    return c.model_copy(update={"residuals": Residuals(q05=q05, q50=q50, q95=q95)})


def _wquantile(v: np.ndarray, w: np.ndarray, q: float) -> float:
    o = np.argsort(v)
    v, w = v[o], w[o]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


def _dedupe(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for x, r in sorted(pts):
        if out and x <= out[-1][0] * (1 + 1e-12):
            continue
        out.append((x, r))
    return out


def model_times(mapper, samples: Iterable[KernelSample]) -> list[tuple[KernelSample, float, str]]:
    """(sample, t_model, unit precision) for every sample the engine can model."""
    out = []
    for s in samples:
        t = mapper.timing(s.kernel)
        if t.seconds > 0 and s.seconds > 0 and math.isfinite(s.seconds):
            out.append((s, t.seconds, t.unit.precision))
    return out


def fit_calibration(mapper, samples: Iterable[KernelSample], *, source: str, runtime: str = "pytorch-eager",
                    min_points: int = MIN_POINTS) -> Calibration:
    """Calibration of ``mapper``'s device from its measured kernels (see module docstring)."""
    rows = model_times(mapper, samples)
    li = launch_intercept([(s, t) for s, t, _ in rows], mapper.device.l2_bytes)
    launch = li[0] if li else mapper.kernel_overhead(rows[0][0].kernel) if rows else 0.0
    by_key: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s, t, prec in rows:
        ratio = (s.seconds - launch) / t if s.timing == "eager" else s.seconds / t
        if ratio <= 0:
            continue
        for key in curve_keys(s.kernel, prec):
            by_key[key].append((t, ratio))
    curves = {}
    for key, vals in sorted(by_key.items()):
        if len(vals) >= min_points:
            xs, rs = zip(*vals)
            curves[key] = fit_curve(xs, rs)
    over = (Overhead(value_s=launch, n=li[1], source="intercept of latency vs bytes, eager elementwise kernels "
                     "streaming more than 2x L2") if li else None)
    return Calibration(device=mapper.spec.id, source=source, runtime=runtime, fusion="none", curves=curves,
                       kernel_overhead=over)


FACTOR_X_MIN = 5e-5      # modelled time of the kernels a matrix-efficiency factor is taken from (s)


def _is_matrix_key(key: str) -> bool:
    from graphs.ops.kinds import KINDS

    head = key.split(".", 1)[0]
    info = KINDS.get(head)
    if info is not None:
        return info.category.is_matrix
    try:
        return Category(head).is_matrix
    except ValueError:
        return False


def _geomean_curves(use: Sequence[Curve], names: str) -> Curve:
    grid = sorted({x for cv in use for x, _ in cv.points})
    pts = [(x, math.exp(float(np.mean([math.log(cv.ratio(x)) for cv in use])))) for x in grid]
    gm = lambda vals: math.exp(float(np.mean(np.log(vals))))  # noqa: E731
    res = Residuals(q05=min(cv.residuals.q05 for cv in use), q50=gm([cv.residuals.q50 for cv in use]),
                    q95=max(cv.residuals.q95 for cv in use))
    return Curve(points=tuple(_dedupe(pts)), residuals=res, n=sum(cv.n for cv in use),
                 x_min=min(cv.x_min for cv in use), x_max=max(cv.x_max for cv in use), transferred_from=names)


def _pick(key: str, sources: Sequence[tuple[Calibration, str, str]], cls: str) -> tuple[list[Curve], str]:
    """Curves of ``key`` from the sources of power class ``cls`` if any has it, else from all."""
    have = [(c, pc) for c, pc, _ in sources if key in c.curves]
    use = [c for c, pc in have if pc == cls] or [c for c, _ in have]
    return [c.curves[key] for c in use], ", ".join(sorted({c.device for c in use}))


def matrix_factor(measured: Calibration, others: Sequence[tuple[Calibration, str, str]], power_class: str,
                  x_min: float = FACTOR_X_MIN) -> tuple[float, int] | None:
    """(factor, points): how much slower ``measured``'s matrix kernels run than ``others`` predict.

    Geometric mean, over the points (≥ ``x_min``) of every matrix curve of ``measured`` that
    ``others`` also have, of measured ratio / transferred ratio; None without such points.
    """
    logs: list[float] = []
    for key, cv in measured.curves.items():
        if cv.transferred_from or not _is_matrix_key(key):
            continue
        use, _ = _pick(key, others, power_class)
        if not use:
            continue
        ref = _geomean_curves(use, "")
        logs += [math.log(r / ref.ratio(x)) for x, r in cv.points if x >= x_min]
    return (math.exp(float(np.mean(logs))), len(logs)) if logs else None


def transfer_calibration(mapper, sources: Sequence[tuple], *, source: str = "", own: Calibration | None = None,
                         vendor: str = "") -> Calibration:
    """A calibration for ``mapper``'s device built from other devices' calibrations.

    ``sources`` are (calibration, power class of its device[, vendor of its device]). Per key,
    the curves of the devices of the target's ``vendor`` are used if any has the key; else those
    of the devices in the target's power class if any has it, else all; the transferred ratio at
    each x of the union grid is the geometric mean of the sources' ratios there (each held flat
    beyond its range), residuals likewise; ``kernel_launch`` is the median of the sources'.
    Matrix curves that come from other vendors' devices are scaled by :func:`matrix_factor` of
    ``own`` (the target's own calibration, if it has one) or else of the target vendor's
    devices. Confidence of every estimate is INTERPOLATED.
    """
    cls = mapper.device.power_class
    srcs = [(s[0], s[1], s[2] if len(s) > 2 else "") for s in sources]
    kin = [s for s in srcs if vendor and s[2] == vendor]
    other = [s for s in srcs if not (vendor and s[2] == vendor)]
    factor, why = None, ""
    if own is not None and own.curves:
        f = matrix_factor(own, other, cls)
        if f is not None:
            factor, why = f[0], f"matrix efficiency of {own.device} (own measurements, {f[1]} points)"
    if factor is None and kin:
        fs = [(c.device, matrix_factor(c, other, pc)) for c, pc, _ in kin]
        fs = [(d, f) for d, f in fs if f is not None]
        if fs:
            factor = math.exp(float(np.mean([math.log(f[0]) for _, f in fs])))
            why = "matrix efficiency of " + ", ".join(f"{d} ({f[1]} points)" for d, f in fs)
    keys = sorted({k for c, _, _ in srcs for k in c.curves})
    curves = {}
    for key in keys:
        use, names = _pick(key, kin, cls)
        scale = 1.0
        if not use:
            use, names = _pick(key, other, cls)
            if factor is not None and _is_matrix_key(key):
                scale = factor
                names = f"{names} x {factor:.3g} ({why})"
        cv = _geomean_curves(use, names)
        if scale != 1.0:
            cv = cv.model_copy(update={"points": tuple((x, r * scale) for x, r in cv.points)})
        curves[key] = cv
    launches = [c.kernel_overhead.value_s for c, _, _ in srcs if c.kernel_overhead is not None]
    over = Overhead(value_s=float(np.median(launches)), n=len(launches),
                    source="median kernel_launch of the source devices") if launches else None
    names = ", ".join(sorted({c.device for c, _, _ in srcs}))
    note = f"; matrix curves of other vendors x {factor:.3g} ({why})" if factor is not None else ""
    return Calibration(device=mapper.spec.id, source=(source or f"transferred from {names}") + note,
                       runtime=srcs[0][0].runtime if srcs else "", fusion="none",
                       transferred_from=names, curves=curves, kernel_overhead=over)
