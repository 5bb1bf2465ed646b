"""Fit a device's calibration from its measurements in the results store (``graphs calibrate``).

Inputs: every measurement of device ``hw`` in the store —

* **kernels** (level ``kernel``) whose ops can be rebuilt: a runner's IR record
  (``shapes.builder == "graph"``, :mod:`graphs.measured`) or an imported data set's shapes
  (:func:`graphs_datasets.public.stored_kernel`). Only measurements that are exactly one kernel
  (after the family's default fusion) are fitted; kernels timed inside a *held-out* model are
  never used;
* **whole models** (level ``model``, ``shapes.builder == "zoo"``) of the models not held out.

Steps (for a family without its own fitter):

1. **dispatch overhead** — the median time of *tiny* kernels, whose roofline time is below
   1 % of their measured time (the ``dispatch`` group of the ``quick``/``full`` suites:
   one-element adds and friends): ``kernel_overhead``;
2. **curves** — for every kernel, ``x`` = its roofline time on this device (the family engine's
   own roofline, set up like the measurements: :meth:`graphs.mapper.Mapper.for_measurements`)
   and ``y = (t_measured − overhead) / x``, the work part's ratio to the roofline. Kernels whose
   time is mostly overhead (``t − overhead < 20 % of t``) are not fitted: their ratio is noise
   over a tiny remainder. For each curve key (:meth:`graphs.mapper.Mapper.calibration_keys`:
   kind first, then category) with at least :data:`MIN_POINTS` kernels, ``log y`` is fitted as a
   **monotone piecewise-linear function of ``log x``** with knots at quantiles of ``log x``
   (:func:`fit_curve`: bounded robust least squares, soft-L1 loss, both directions tried, the
   better kept); the residual quantiles (5/50/95 %) of ``y / r(x)`` give the 90 % interval;
3. **per-model overhead** — each fitted model run is estimated with these curves (the family's
   default fusion, no model overhead), and ``T_model ≈ (1 + f) · Σ kernel estimates + c`` is
   fitted over the runs (:func:`fit_model_overhead`): ``model_overhead_fraction = f`` (kernels run
   slower inside a model than alone: cold caches, allocation) and ``model_overhead = c``
   (framework cost per forward pass). The median of ``T − Σ`` alone — a constant — is reported
   but not used: it is dominated by the large models and over-predicted small ones by 2× on
   the development CPU. A distribution-free 90 % prediction interval of ``T_model / estimate``
   over those runs (:func:`prediction_interval`) is ``model_residuals``: a model estimate's
   interval (kernel errors partly cancel inside a model, so adding the kernels' interval ends
   overstates it).

   A family engine whose mapper computes ``model_overhead_features(kernels)`` (the CPU family:
   kernels per model, weight bytes read) gets ``T ≈ (1 + f)·Σ + θ·features + c`` as a second
   candidate when at least :data:`MIN_CV_MODELS` models are fitted (:func:`choose_composition`):
   both forms are scored by leave-one-model-out — curves and overheads refitted without the
   model, its runs predicted — the better one is kept (``model_overhead_terms`` = θ), and the
   interval is taken from those leave-one-model-out ratios instead of the in-sample ones.

A family engine class may bring its own kernel fitter as
``fit_calibration(spec, samples, source)`` (the GPU family does: tile/wave-aware ``t_model``
and precision-specific keys); step 3 is then added to its result.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from graphs.calibration import Calibration, Curve, Overhead, Residuals
from graphs.errors import GraphsError
from graphs.measured import ZOO, is_graph_record, model_graph, record_kernels
from graphs.partition import Kernel
from graphs.store import ResultsStore, StoredMeasurement

MIN_POINTS = 8           # kernels for a curve
TINY_ROOFLINE_SHARE = 0.01   # a kernel whose roofline is below this share of its time is pure overhead
WORK_SHARE = 0.2         # fitted only when t - overhead >= this share of t
MAX_KNOTS = 6
POINTS_PER_KNOT = 6


STATISTICS = ("median", "min")


def measured_time(m, statistic: str = "median") -> float:
    """A measurement's time: its median over repeats, or (``min``) its fastest repeat — the
    undisturbed time on a machine shared with other processes."""
    if statistic == "min" and m.min_s:
        return float(m.min_s)
    return float(m.median_s)


PHYSICS_TOLERANCE = 0.05     # a measurement this much below the physical floor is an error, not noise


def check_physics(points: Sequence["KernelPoint"], mapper: Any, hw_id: str) -> None:
    """Refuse to fit measurements that beat physics: a kernel timed faster than its FLOPs at the unit's
    peak or its bytes at the bandwidth of the level it streams from means the spec (or the timing) is
    wrong, and a calibration fitted on it would carry the error into every estimate."""
    bad = []
    for p in points:
        floor = sum(mapper.physical_floor(k, mapper.precision_of(k)) for k in p.kernels)
        if floor > 0 and p.seconds < floor * (1 - PHYSICS_TOLERANCE):
            bad.append((p.seconds / floor, p))
    if bad:
        ratio, worst = min(bad, key=lambda b: b[0])
        raise GraphsError(f"{hw_id}: {len(bad)} measurement(s) are faster than physics allows — e.g. "
                          f"{worst.sm.m.name} took {worst.seconds:.3g} s, {ratio:.0%} of the least time its FLOPs "
                          "and bytes need at the spec's peaks; fix the spec's peaks or bandwidth (or the timing) "
                          "before calibrating")


@dataclass
class KernelPoint:
    """One measured kernel: the measurement and its rebuilt kernel(s)."""

    sm: StoredMeasurement
    kernels: list[Kernel]
    statistic: str = "median"

    @property
    def seconds(self) -> float:
        return measured_time(self.sm.m, self.statistic)

    @property
    def model(self) -> str | None:
        v = self.sm.m.params.get("model") if self.sm.m.params.get("in_model") else None
        return str(v) if v else None


@dataclass
class ModelRun:
    sm: StoredMeasurement
    statistic: str = "median"

    @property
    def seconds(self) -> float:
        return measured_time(self.sm.m, self.statistic)

    @property
    def model(self) -> str:
        return str(self.sm.m.shapes["model"])

    @property
    def batch(self) -> int:
        return int(self.sm.m.shapes["batch"])

    @property
    def seq_len(self) -> int | None:
        s = self.sm.m.shapes.get("seq_len")
        return int(s) if s else None

    @property
    def key(self) -> tuple[str, int, int | None]:
        return (self.model, self.batch, self.seq_len)


@dataclass
class Measured:
    """A device's usable measurements."""

    hw: str
    kernels: list[KernelPoint] = field(default_factory=list)
    models: list[ModelRun] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    conditions: dict[str, Any] = field(default_factory=dict)


def canonical_models(names: Iterable[str], plugins) -> list[str]:
    """Zoo names (aliases resolved); GraphsError for a name that is not a zoo model."""
    out = []
    for n in names:
        n = n.strip()
        if not n:
            continue
        e = plugins.find_model(n)
        if e is None:
            raise GraphsError(f"unknown model {n!r} (see `graphs zoo list`)")
        out.append(e.name)
    return out


def load_measured(store: ResultsStore, hw: str, plugins, fusion: str = "none", statistic: str = "median") -> Measured:
    """Kernels and model runs of device ``hw`` (its catalog id) that can be rebuilt and estimated."""
    if statistic not in STATISTICS:
        raise GraphsError(f"unknown statistic {statistic!r} (expected {' or '.join(STATISTICS)})")
    out = Measured(hw)
    rows = store.query(device=hw)
    if not rows:
        have = ", ".join(store.devices()) or "none"
        raise GraphsError(f"no measurements of {hw!r} in {store.path} (devices there: {have}); "
                          f"run `graphs benchmark` first")
    threads: Counter = Counter()
    for sm in rows:
        m = sm.m
        if m.level == "model":
            if isinstance(m.shapes, Mapping) and m.shapes.get("builder") == ZOO:
                out.models.append(ModelRun(sm, statistic))
                if m.threads:
                    threads[m.threads] += 1
            else:
                out.skipped["model run without a zoo reference"] += 1
            continue
        if m.level != "kernel":
            out.skipped[f"level {m.level}"] += 1
            continue
        ks = _kernels_of(m, plugins, fusion)
        if ks is None:
            out.skipped["kernel that cannot be rebuilt"] += 1
            continue
        if not ks:
            out.skipped["views only (no kernel)"] += 1
            continue
        out.kernels.append(KernelPoint(sm, ks, statistic))
        if m.threads:
            threads[m.threads] += 1
    runs = [sm.run for sm in rows]
    host = dict(runs[-1].host or {})
    sw = dict(runs[-1].software or {})
    cond: dict[str, Any] = {}
    if threads:
        cond["threads"] = threads.most_common(1)[0][0]
        if len(threads) > 1:
            out.skipped[f"measurements at other thread counts than {cond['threads']} (used anyway)"] += \
                sum(v for k, v in threads.items() if k != cond["threads"])
    for k in ("cpu_model", "gpu_name", "signature"):
        if host.get(k):
            cond[k] = host[k]
    for k in ("torch", "cuda", "driver"):
        if sw.get(k):
            cond[k] = sw[k]
    cond["runtime"] = ",".join(sorted({r.runtime for r in runs}))
    cond["statistic"] = statistic
    out.conditions = cond
    return out


def _kernels_of(m, plugins, fusion: str) -> list[Kernel] | None:
    if is_graph_record(m.shapes):
        try:
            return record_kernels(m.shapes, plugins, fusion)
        except (GraphsError, ValueError, KeyError, TypeError, IndexError):
            return None
    try:
        from graphs_datasets.public import stored_kernel
    except ImportError:  # pragma: no cover
        return None
    k = stored_kernel(m)
    return [k] if k is not None else None


# --- the curve ------------------------------------------------------------------------------------------
def _hat_basis(lx: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Piecewise-linear interpolation weights of each point on the knots (flat beyond the ends)."""
    b = np.zeros((len(lx), len(knots)))
    if len(knots) == 1:
        b[:, 0] = 1.0
        return b
    x = np.clip(lx, knots[0], knots[-1])
    i = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(knots) - 2)
    t = (x - knots[i]) / (knots[i + 1] - knots[i])
    b[np.arange(len(x)), i] = 1 - t
    b[np.arange(len(x)), i + 1] = t
    return b


def fit_curve(xs: Sequence[float], ys: Sequence[float], max_knots: int = MAX_KNOTS) -> Curve:
    """A monotone piecewise-linear fit of ``log y`` on ``log x`` (see module doc) with residual quantiles."""
    from scipy.optimize import least_squares

    x = np.asarray(xs, float)
    y = np.asarray(ys, float)
    if len(x) < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("need at least two positive points")
    lx, ly = np.log(x), np.log(y)
    nk = int(max(1, min(max_knots, len(x) // POINTS_PER_KNOT + 1)))
    knots = np.unique(np.quantile(lx, np.linspace(0, 1, nk))) if nk > 1 else np.array([np.median(lx)])
    if len(knots) > 1 and knots[-1] - knots[0] < 1e-9:
        knots = knots[:1]
    basis = _hat_basis(lx, knots)
    # parametrise knot values as v0 + cumulative steps; steps >= 0 (rising) or <= 0 (falling)
    cum = np.tril(np.ones((len(knots), len(knots))))
    design = basis @ cum
    best = None
    for sign in ((1.0, -1.0) if len(knots) > 1 else (1.0,)):
        lo = np.full(len(knots), -np.inf)
        hi = np.full(len(knots), np.inf)
        if sign > 0:
            lo[1:] = 0.0
        else:
            hi[1:] = 0.0
        p0 = np.zeros(len(knots))
        p0[0] = float(np.median(ly))
        r = least_squares(lambda p: design @ p - ly, p0, bounds=(lo, hi), loss="soft_l1", f_scale=0.1)
        cost = float(np.sum(np.abs(design @ r.x - ly)))
        if best is None or cost < best[0]:
            best = (cost, r.x)
    vals = cum @ best[1]
    pts = tuple((float(math.exp(k)), float(math.exp(v))) for k, v in zip(knots, vals))
    curve = Curve(points=pts, residuals=Residuals(q05=1.0, q50=1.0, q95=1.0), n=len(x),
                  x_min=float(x.min()), x_max=float(x.max()))
    resid = y / np.array([curve.ratio(v) for v in x])
    q05, q50, q95 = (float(np.quantile(resid, q)) for q in (0.05, 0.5, 0.95))
    return curve.model_copy(update={"residuals": Residuals(q05=q05, q50=q50, q95=q95)})


# --- the fit ---------------------------------------------------------------------------------------------
def base_mapper(plugins, hw: str, calibration: Any, conditions: Mapping[str, Any]):
    """The family engine of ``hw`` with exactly ``calibration`` (None: none at all), set up like the measurements."""
    entry = plugins.hardware_entry(hw)
    fam = entry.spec.family
    if fam not in plugins.mappers:
        raise GraphsError(f"hardware {entry.spec.id!r} needs the {fam!r} family engine, which is not installed")
    cls = plugins.mappers[fam][0]
    return cls(entry.spec, calibration).for_measurements(conditions)


def dispatch_overhead(points: Sequence[KernelPoint], mapper) -> Overhead | None:
    tiny = []
    for p in points:
        if len(p.kernels) != 1:
            continue
        k = p.kernels[0]
        t_roof = mapper.roofline(k, mapper.precision_of(k))[0]
        if t_roof < TINY_ROOFLINE_SHARE * p.seconds:
            tiny.append(p.seconds)
    if len(tiny) < 3:
        return None
    return Overhead(value_s=float(np.median(tiny)), n=len(tiny),
                    source=f"median time of {len(tiny)} tiny kernels (roofline < {TINY_ROOFLINE_SHARE:.0%} of their time)")


def kernel_rows(points: Sequence[KernelPoint], mapper) -> list[tuple[KernelPoint, Kernel, float, float]]:
    """(point, kernel, x = roofline s, y = (t − overhead)/x) for single-kernel points whose work dominates."""
    rows = []
    for p in points:
        if len(p.kernels) != 1:
            continue
        k = p.kernels[0]
        x = mapper.roofline(k, mapper.precision_of(k))[0]
        if not x > 0:
            continue
        work = p.seconds - mapper.kernel_overhead_calibrated(k)
        if work < WORK_SHARE * p.seconds:
            continue
        rows.append((p, k, x, work / x))
    return rows


def fit_curves(rows: Sequence[tuple[KernelPoint, Kernel, float, float]], mapper,
               min_points: int = MIN_POINTS) -> dict[str, Curve]:
    by_key: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _, k, x, y in rows:
        for key in mapper.calibration_keys(k):
            by_key[key].append((x, y))
    curves = {}
    for key, vals in sorted(by_key.items()):
        if len(vals) >= min_points:
            xs, ys = zip(*vals)
            curves[key] = fit_curve(xs, ys)
    return curves


def fit_model_overhead(pairs: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(fraction f, constant c) of ``T_model ≈ (1 + f) · Σ kernel estimates + c``, both ≥ 0.

    Eager kernels run slower inside a model than timed alone (measured γ of 0.05–0.6 on the
    development CPU), roughly in proportion to the model's kernel time, so a constant alone (the
    median of ``T − Σ``) is dominated by the large models and over-predicts small ones several
    times over. Fitted in relative error with a soft-L1 loss, so each run counts alike.
    """
    from scipy.optimize import least_squares

    t = np.array([p[0] for p in pairs])
    k = np.array([p[1] for p in pairs])
    if len(pairs) == 1:
        return max(float(t[0] / k[0] - 1.0), 0.0), 0.0
    r = least_squares(lambda p: ((1 + p[0]) * k + p[1] - t) / t, [0.1, 0.0], bounds=([0.0, 0.0], [10.0, float(t.max())]),
                      loss="soft_l1", f_scale=0.05)
    return float(r.x[0]), float(r.x[1])


def prediction_interval(ratios: Sequence[float], level: float = 0.90) -> tuple[float, float, float]:
    """(low, median, high): a distribution-free ``level`` prediction interval for one more ratio.

    With n ratios sorted, a new one falls between the j-th smallest and the j-th largest with
    probability (n + 1 − 2j) / (n + 1); j = ⌊(n + 1)(1 − level) / 2⌋ (at least 1) — for fewer
    than 39 runs that is [min, max]. Plain 5/95 % sample quantiles of a few dozen runs cover
    only ~80 % of new runs.
    """
    r = np.sort(np.asarray(ratios, float))
    n = len(r)
    j = max(1, int(math.floor((n + 1) * (1 - level) / 2 + 1e-9)))
    j = min(j, (n + 1) // 2)
    return float(r[j - 1]), float(np.median(r)), float(r[n - j])


MIN_CV_MODELS = 4   # fitted models needed to choose the composition by leave-one-model-out error


@dataclass
class ModelFit:
    """A fitted model run: measured time ``t``, the sum of its kernel estimates ``k``, and its kernels."""

    run: ModelRun
    t: float
    k: float
    kernels: Sequence[Kernel]


def fit_model_composition(t: Sequence[float], k: Sequence[float], x: np.ndarray | None = None
                          ) -> tuple[float, np.ndarray, float]:
    """(f, θ, c) of ``T ≈ (1 + f) · K + x · θ + c``, all ≥ 0, robust fit in relative error.

    ``x`` holds one row of family features per run (:meth:`model_overhead_features`); without it
    this is :func:`fit_model_overhead`. Each feature is scaled to a typical run's time for the
    optimiser; the soft-L1 loss keeps one odd run from steering the fit.
    """
    from scipy.optimize import least_squares

    t, k = np.asarray(t, float), np.asarray(k, float)
    if x is None or x.size == 0:
        f, c = fit_model_overhead(list(zip(t, k)))
        return f, np.zeros(0), c
    x = np.asarray(x, float).reshape(len(t), -1)
    scale = np.array([float(np.median(t)) / m if (m := float(np.median(np.abs(col)))) > 0 else 0.0 for col in x.T])
    z = x * scale
    n = z.shape[1]
    lo = np.zeros(n + 2)
    hi = np.concatenate([[10.0], np.full(n, np.inf), [float(t.max())]])
    p0 = np.concatenate([[0.05], np.full(n, 0.01), [0.001 * float(np.median(t))]])
    r = least_squares(lambda p: ((1 + p[0]) * k + z @ p[1:-1] + p[-1] - t) / t, p0, bounds=(lo, hi),
                      loss="soft_l1", f_scale=0.05, x_scale="jac")
    return float(r.x[0]), r.x[1:-1] * scale, float(r.x[-1])


def choose_composition(runs: Sequence[ModelFit], features_of, points: Sequence[KernelPoint], fit_kernels,
                       plugins, hw: str, cond: Mapping[str, Any], graphs: "GraphCache") -> dict[str, Any] | None:
    """The per-model overhead of a family engine that computes ``model_overhead_features``, and its interval,
    by leave-one-model-out (LOMO) over the fitted models.

    For each fitted model ``m`` the kernel calibration is refitted without ``m``'s kernels and the
    overhead without ``m``'s runs, and ``m``'s runs are predicted: the error a model that was never
    measured would see. Two forms are scored this way — ``(1 + f)·Σ + c`` and
    ``(1 + f)·Σ + θ·features + c`` — and the one with the lower LOMO MAPE is fitted on every run. The
    interval is the distribution-free prediction interval (:func:`prediction_interval`) of the
    chosen form's LOMO ratios ``T / estimate`` — in-sample ratios of a fit on the same runs are too
    narrow for a new model. None when a fold cannot be fitted.
    """
    names = sorted(features_of(runs[0].kernels))
    feats = np.array([[features_of(r.kernels)[n] for n in names] for r in runs])
    models = sorted({r.run.model for r in runs})
    k_out = np.full(len(runs), np.nan)   # each run's kernel sum with its own model left out of the curves
    for m in models:
        try:
            cal_m, _ = fit_kernels([p for p in points if p.model != m])
        except GraphsError:
            return None
        mapper_m = base_mapper(plugins, hw, cal_m, cond)
        for i, r in enumerate(runs):
            if r.run.model == m:
                try:
                    k_out[i] = kernels_estimate(graphs.analysis(r.run, mapper_m.default_fusion), mapper_m)[0]
                except GraphsError:
                    return None
    t = np.array([r.t for r in runs])
    k_in = np.array([r.k for r in runs])
    forms: dict[str, dict[str, Any]] = {}
    for form, x in (("(1+f)*sum + c", None), ("(1+f)*sum + terms + c", feats)):
        ratios = np.full(len(runs), np.nan)
        for m in models:
            tr = np.array([r.run.model != m for r in runs])
            f, th, c = fit_model_composition(t[tr], k_in[tr], None if x is None else x[tr])
            for i in np.flatnonzero(~tr):
                ratios[i] = t[i] / ((1 + f) * k_out[i] + (0.0 if x is None else float(x[i] @ th)) + c)
        by_batch = {}
        for b in sorted({r.run.batch for r in runs}):
            sel = np.array([r.run.batch == b for r in runs])
            by_batch[f"b{b}"] = float(np.mean(np.abs(1 / ratios[sel] - 1)) * 100)
        forms[form] = {"mape": float(np.mean(np.abs(1 / ratios - 1)) * 100), "by_batch": by_batch,
                       "ratios": ratios}
    chosen = min(forms, key=lambda n: forms[n]["mape"])
    use = feats if "terms" in chosen else None
    f, th, c = fit_model_composition(t, k_in, use)
    ratios = forms[chosen]["ratios"]
    return {"chosen": chosen, "fraction": f, "constant": c,
            "terms": {n: float(v) for n, v in zip(names, th)} if use is not None else {},
            "forms": {n: {"mape": v["mape"], "by_batch": v["by_batch"]} for n, v in forms.items()},
            "interval": prediction_interval(ratios), "ratios": [float(v) for v in ratios],
            "lomo_runs": {f"{r.run.model} b{r.run.batch}": float(v) for r, v in zip(runs, ratios)}}


class GraphCache:
    """Analyses of traced model graphs by (model, batch, seq_len, fusion), shared by calibrate and validate."""

    def __init__(self, plugins) -> None:
        self.plugins = plugins
        self._a: dict[tuple, Any] = {}

    def analysis(self, run: ModelRun, fusion: str):
        from graphs.estimate import analyze_graph

        key = (*run.key, fusion)
        if key not in self._a:
            self._a[key] = analyze_graph(model_graph(run.sm.m.shapes, self.plugins), self.plugins, fusion=fusion)
        return self._a[key]


def kernels_estimate(analysis, mapper) -> tuple[float, Any]:
    """(Σ kernel estimates without the model overhead, the composed EstimationResult)."""
    from graphs.estimate import compose

    r = compose(analysis, mapper, fusion=mapper.default_fusion)
    return sum(p.time_s for p in r.breakdown), r


def calibrate(store: ResultsStore, hw: str, plugins, *, holdout: Sequence[str] = (),
              graphs: GraphCache | None = None, min_points: int = MIN_POINTS, statistic: str = "median",
              now: str | None = None) -> tuple[Calibration, dict[str, Any]]:
    """Fit ``hw``'s calibration from ``store``; returns (calibration, a report of what was used)."""
    entry = plugins.hardware_entry(hw)
    hw_id = entry.spec.id
    held = set(canonical_models(holdout, plugins))
    meas = load_measured(store, hw_id, plugins, statistic=statistic)
    if not meas.kernels:
        raise GraphsError(f"no kernel measurements of {hw_id!r} that can be rebuilt in {store.path} "
                          "(run `graphs benchmark --suite full` first)")
    points = [p for p in meas.kernels if p.model not in held]
    n_held_kernels = len(meas.kernels) - len(points)
    fam_cls = plugins.mappers.get(entry.spec.family, (None,))[0]
    date = now or dt.datetime.now(dt.timezone.utc).date().isoformat()
    runtime = meas.conditions.get("runtime", "")
    fitted_models = sorted({r.model for r in meas.models if r.model not in held})
    src = (f"graphs calibrate on {store.path.name}: {len(points)} kernel measurements"
           f" + {sum(1 for r in meas.models if r.model not in held)} model runs ({', '.join(fitted_models) or 'none'})"
           f"; held out: {', '.join(sorted(held)) or 'none'}; {runtime}; {statistic} times; {date}")
    cond = {**meas.conditions, "holdout": sorted(held), "fitted_models": fitted_models}

    check_physics(points, base_mapper(plugins, hw, None, cond), hw_id)

    def fit_kernels(pts: Sequence[KernelPoint]) -> tuple[Calibration, int]:
        """The kernel part of the calibration from ``pts`` (and how many measurements it used)."""
        if fam_cls is not None and fam_cls.can_fit():
            from graphs.calibration import KernelSample

            samples = [KernelSample(p.kernels[0], p.seconds, "eager", p.sm.run.notes) for p in pts
                       if len(p.kernels) == 1]
            c = fam_cls.fit_calibration(entry.spec, samples, source=src)
            return c.model_copy(update={"conditions": cond, "runtime": runtime or c.runtime}), len(samples)
        m0 = base_mapper(plugins, hw, None, cond)
        ko = dispatch_overhead(pts, m0)
        prov = Calibration(device=hw_id, source=src, runtime=runtime, fusion=m0.default_fusion,
                           kernel_overhead=ko, conditions=cond)
        m1 = base_mapper(plugins, hw, prov, cond)
        rows = kernel_rows(pts, m1)
        curves = fit_curves(rows, m1, min_points)
        if not curves:
            raise GraphsError(f"{hw_id}: no kernel class has {min_points} usable measurements; measure more "
                              "(`graphs benchmark --suite full`)")
        return prov.model_copy(update={"curves": curves}), len(rows)

    cal, rows_used = fit_kernels(points)
    # per-model framework overhead from the fitted (non-held-out) model runs
    graphs = graphs or GraphCache(plugins)
    mapper = base_mapper(plugins, hw, cal, cond)
    fitted_runs, skipped_models = [], []
    for run in meas.models:
        if run.model in held:
            continue
        try:
            a = graphs.analysis(run, mapper.default_fusion)
            k_sum, _ = kernels_estimate(a, mapper)
        except GraphsError as e:
            skipped_models.append(f"{run.model} b{run.batch}: {e}")
            continue
        fitted_runs.append(ModelFit(run, run.seconds, k_sum, a.kernels))
    pairs = [(r.t, r.k) for r in fitted_runs]
    resid = [t - k for t, k in pairs]
    composition: dict[str, Any] | None = None
    features_of = mapper.model_overhead_features
    if features_of(()) and len({r.run.model for r in fitted_runs}) >= MIN_CV_MODELS:
        composition = choose_composition(fitted_runs, features_of, points, fit_kernels, plugins, hw, cond, graphs)
    if composition is not None:
        frac, terms, const = composition["fraction"], composition["terms"], composition["constant"]
        q05, q50, q95 = composition["interval"]
        n_cv = len(composition["ratios"])
        tx = "".join(f" + {v:.3g} s x {n}" for n, v in terms.items())
        cal = cal.model_copy(update={
            "model_overhead_fraction": frac, "model_overhead_terms": terms or None,
            "model_residuals": Residuals(q05=q05, q50=q50, q95=q95), "model_overhead": Overhead(
                value_s=const, n=len(pairs),
                source=f"T_model = (1 + {frac:.3g}) x sum of kernel estimates{tx} + {const * 1e3:.3g} ms, robust fit "
                       f"(relative error) over {len(pairs)} runs of fitted models; form chosen by leave-one-model-out "
                       f"error ({composition['chosen']}: " + ", ".join(
                           f"{k} {v['mape']:.1f}%" for k, v in composition["forms"].items()) +
                       f"); interval from the {n_cv} leave-one-model-out ratios (curves and overheads refitted "
                       f"without the model); median of T - sum alone: {float(np.median(resid)) * 1e3:.3g} ms")})
    elif pairs:
        frac, const = fit_model_overhead(pairs)
        q05, q50, q95 = prediction_interval([t / ((1 + frac) * k + const) for t, k in pairs])
        cal = cal.model_copy(update={"model_overhead_fraction": frac,
                                     "model_residuals": Residuals(q05=q05, q50=q50, q95=q95), "model_overhead": Overhead(
            value_s=const, n=len(pairs),
            source=f"T_model = (1 + {frac:.3g}) x sum of kernel estimates + {const * 1e3:.3g} ms, robust fit "
                   f"(relative error) over {len(pairs)} runs of fitted models; median of T - sum alone: "
                   f"{float(np.median(resid)) * 1e3:.3g} ms")})
    report = {"device": hw_id, "kernels": len(meas.kernels), "kernels_held_out": n_held_kernels,
              "kernels_fitted": rows_used, "model_runs": len(meas.models),
              "model_runs_fitted": len(resid), "holdout": sorted(held), "skipped": dict(meas.skipped),
              "skipped_models": skipped_models, "curves": {k: c.n for k, c in cal.curves.items()},
              "kernel_overhead_s": cal.kernel_overhead.value_s if cal.kernel_overhead else None,
              "model_overhead_s": cal.model_overhead.value_s if cal.model_overhead else None,
              "model_overhead_fraction": cal.model_overhead_fraction,
              "model_overhead_terms": cal.model_overhead_terms,
              "composition": {k: v for k, v in composition.items() if k != "ratios"} if composition else None,
              "model_residuals_s": resid}
    return cal, report
