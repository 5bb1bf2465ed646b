"""Serving-level fit on top of graphs' kernel estimates, scored leave-one-model-out on ML.ENERGY data.

Graphs' features of a row (:mod:`graphs_llm.mlenergy`) are the kernel times of one decode step at
the realised batch ``B`` and mean context, split by kernel class (dense projections, routed-expert
GEMMs, attention, the rest), the collective time, and the prefill of one prompt. A serving engine
adds what kernels do not show (host scheduling per step and per sequence, expert-parallel
dispatch, kernels slower than their family prior). Per GPU, the model is

    ITL    = Σ_j c_j · t_j + c_pre · (B / D) · t_prefill(P_task) + c_0 + c_B · B + c_ep · L_moe·[EP]
    T_step = m_itl · ITL + m_pre · (B / D) · t_prefill(P_task)            (mean step, with prefill)
    tokens/s = B / T_step
    P_gpu  = P_static + P_matrix·a_matrix + P_vector·a_vector + P_memory·a_memory + P_link·a_link
             (graphs.power; activities of the step's kernels over T_step; capped at the TDP)
    J/token = n_gpus · P_gpu / tokens/s

with ``t_j`` ∈ {dense, experts, attention, other, collectives} from the kernel model, ``D`` the
mean output length of the run, ``L_moe`` the MoE layers, ``[EP]`` 1 for expert-parallel runs, and
``P_task`` a prompt length per task. Every ``c`` and ``m`` is ≥ 0, fitted per GPU by non-negative
least squares on relative errors; ``P_task`` (one per task, shared by the GPUs: a property of the
workload) by a grid search on the step-time fit; the power coefficients as fractions of TDP — a static
fraction per GPU, matrix and memory fractions shared by the GPUs — by non-negative least squares on
measured power with the *measured* step time (so they are physical watts).

**Leave one model out.** Rows are grouped by architecture (a model with its fine-tunes and
quantised releases: Instruct/Thinking/FP8/VL variants of one network); each group is predicted by
fits on the other groups only (its rows on every GPU held out together). Intervals: 2.5th–97.5th percentiles of the relative
residuals of an inner leave-one-group-out on the training groups (never on the held-out group).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from graphs_llm.mlenergy import GPU_IDS, Features

METRICS = ("itl_ms", "throughput_tok_s", "avg_power_w", "energy_per_token_j")
ITL_TERMS = ("dense", "experts", "attention", "other", "collectives", "prefill", "per_step", "per_sequence",
             "ep_per_moe_layer")
ITL_SCALE = {"per_step": 1e-3, "per_sequence": 1e-5, "ep_per_moe_layer": 1e-4}   # units of the fitted numbers
POWER_TERMS = ("static", "matrix", "memory", "link")
TASK_PROMPTS = {"lm-arena-chat": 256, "gpqa": 256, "sourcegraph-fim": 1024, "image-chat": 1024, "video-chat": 4096}
PROMPT_GRID = (128, 256, 512, 1024, 2048, 4096)
INTERVAL = (0.025, 0.975)


def itl_columns(f: Features, prompt: float) -> np.ndarray:
    d = f.decode_at(prompt)
    pre = f.prefill_of(prompt).time_s * f.row.batch / f.row.out_len
    moe_ep = f.layers if (f.moe and f.row.ep > 1) else 0
    return np.array([d.linear_s, d.experts_s, d.attention_s, d.other_s, d.comm_s, pre,
                     ITL_SCALE["per_step"], f.row.batch * ITL_SCALE["per_sequence"],
                     moe_ep * ITL_SCALE["ep_per_moe_layer"]])


def step_columns(f: Features, prompt: float, itl_s: float) -> np.ndarray:
    return np.array([itl_s, f.prefill_of(prompt).time_s * f.row.batch / f.row.out_len])


def activity_per_step(f: Features, prompt: float) -> tuple[float, float, float, float, float]:
    """(matrix, vector, memory, link, compute-bound) seconds of one mean step: a decode plus B/D prefills."""
    d = f.decode_at(prompt)
    p = f.prefill_of(prompt).scaled(f.row.batch / f.row.out_len)
    return (d.matrix_s + p.matrix_s, d.vector_s + p.vector_s, d.memory_s + p.memory_s, d.link_s + p.link_s,
            d.compute_bound_s + p.compute_bound_s)


def nnls(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Non-negative least squares, min ‖A·x − b‖ with x ≥ 0 (Lawson & Hanson's active-set algorithm,
    "Solving Least Squares Problems", 1974, ch. 23), on unit-norm columns."""
    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    A = A / norms
    n = A.shape[1]
    passive = np.zeros(n, bool)
    x = np.zeros(n)
    tol = 1e-10 * max(1.0, float(np.abs(A).max()) * float(np.abs(b).max()))
    w = A.T @ (b - A @ x)
    for _ in range(3 * n + 10):
        if passive.all() or np.max(np.where(passive, -np.inf, w)) <= tol:
            break
        passive[int(np.argmax(np.where(passive, -np.inf, w)))] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if (z[passive] > tol).all():
                break
            neg = passive & (z <= tol)
            alpha = float(np.min(x[neg] / (x[neg] - z[neg]))) if neg.any() else 1.0
            x = x + alpha * (z - x)
            passive &= x > tol
            if not passive.any():
                z = np.zeros(n)
                break
        x = z
        w = A.T @ (b - A @ x)
    return np.maximum(x, 0.0) / norms


def _relative_lsq(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative coefficients minimising Σ((X·c)/y − 1)² (NNLS on the system scaled by 1/y)."""
    w = 1.0 / y
    return nnls(X * w[:, None], y * w)


@dataclass
class GPUFit:
    """The fitted serving model of one GPU (from some set of rows)."""

    gpu: str
    prompts: dict[str, float]
    itl: np.ndarray
    step: np.ndarray
    power: np.ndarray            # static, matrix (= vector), memory, link: W at full activity
    tdp_w: float
    groups: tuple[str, ...]
    batch_range: tuple[float, float]
    classes: frozenset[bool] = frozenset()       # MoE / dense seen
    residuals: dict[str, tuple[float, float]] = field(default_factory=dict)   # metric -> (q05, q95) of pred/meas−1

    def prompt(self, f: Features) -> float:
        return self.prompts.get(f.row.task, TASK_PROMPTS.get(f.row.task, 512))

    def predict(self, f: Features) -> dict[str, float]:
        from graphs.power import Activity, average_power
        p = self.prompt(f)
        itl = float(itl_columns(f, p) @ self.itl)
        step = float(step_columns(f, p, itl) @ self.step)
        mat, vec, mem, link, bound = activity_per_step(f, p)
        coeffs = power_coefficients(self.power, self.tdp_w, f"fit on {len(self.groups)} architectures")
        est = average_power(coeffs, Activity(mat, vec, mem, link), step, compute_bound_s=min(bound, step))
        step_c = est.time_s                    # a binding power cap stretches the step
        thr = f.row.batch / step_c
        power = est.power_w * f.row.num_gpus
        return {"itl_ms": itl * 1e3 * step_c / step, "throughput_tok_s": thr, "avg_power_w": power,
                "energy_per_token_j": power / thr, "clock_factor": est.clock_factor}

    def confidence(self, f: Features) -> str:
        lo, hi = self.batch_range
        inside = lo <= f.row.batch <= hi and f.moe in self.classes
        return "CALIBRATED" if inside else "INTERPOLATED"

    def to_dict(self) -> dict[str, Any]:
        return {"gpu": self.gpu, "prompts": self.prompts, "itl": dict(zip(ITL_TERMS, map(float, self.itl))),
                "step": {"itl": float(self.step[0]), "prefill": float(self.step[1])},
                "power_w": dict(zip(POWER_TERMS, map(float, self.power))), "tdp_w": self.tdp_w,
                "groups": list(self.groups), "batch_range": list(self.batch_range),
                "residuals": {k: list(v) for k, v in self.residuals.items()}}


def power_coefficients(power: Sequence[float], tdp_w: float, source: str) -> Any:
    from graphs.energy import Coefficient
    from graphs.power import PowerCoefficients
    static, matrix, memory, link = (float(x) for x in power)
    one = lambda v: Coefficient(v, v, v, source)  # noqa: E731
    return PowerCoefficients(static=one(static), matrix=one(matrix), vector=one(matrix), memory=one(memory),
                             link=one(link), limit_w=tdp_w, confidence="CALIBRATED", source=source)


class Design:
    """Every row of one GPU: its regression columns at every prompt length of the grid, computed once."""

    def __init__(self, rows: Sequence[Features]) -> None:
        self.rows = list(rows)
        self.gpu = self.rows[0].row.gpu if self.rows else "?"
        self.prompts = sorted(set(PROMPT_GRID) | set(TASK_PROMPTS.values()))
        self.kindex = {p: k for k, p in enumerate(self.prompts)}
        n = len(self.rows)
        self.itl = np.array([[itl_columns(f, p) for f in self.rows] for p in self.prompts])      # K × n × 9
        self.pre = np.array([[step_columns(f, p, 0.0)[1] for f in self.rows] for p in self.prompts])  # K × n
        self.act = np.array([[activity_per_step(f, p) for f in self.rows] for p in self.prompts])   # K × n × 5
        self.y_itl = np.array([f.row.itl_ms / 1e3 for f in self.rows])
        self.y_step = np.array([f.row.batch / f.row.throughput_tok_s for f in self.rows])
        self.y_power = np.array([f.row.power_w / f.row.num_gpus for f in self.rows])
        self.tdp = np.array([f.tdp_w for f in self.rows])
        self.tasks = [f.row.task for f in self.rows]
        self.groups = np.array([f.group for f in self.rows])
        self.all = np.arange(n)

    def k_of(self, prompts: Mapping[str, float], idx: np.ndarray) -> np.ndarray:
        return np.array([self.kindex[int(prompts.get(self.tasks[i], 512))] for i in idx], dtype=int)

    def step_error(self, idx: np.ndarray, q: Mapping[str, float]) -> float:
        """Mean relative error of the step-time fit on rows ``idx`` with prompt lengths ``q``."""
        k = self.k_of(q, idx)
        X = self.itl[k, idx]
        c = _relative_lsq(X, self.y_itl[idx])
        S = np.stack([X @ c, self.pre[k, idx]], axis=1)
        m = _relative_lsq(S, self.y_step[idx])
        return float(np.mean(np.abs(S @ m / self.y_step[idx] - 1)))

    def fit_time(self, idx: np.ndarray, search: bool = True, prompts: Mapping[str, float] | None = None
                 ) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
        """(prompt length per task, ITL coefficients, step coefficients) fitted on rows ``idx``."""
        prompts = dict(prompts) if prompts else {t: float(TASK_PROMPTS.get(t, 512)) for t in {self.tasks[i] for i in idx}}

        if search:
            for _ in range(2):             # coordinate search of the prompt length per task (step-time fit)
                for t in sorted(prompts):
                    prompts[t] = min((self.step_error(idx, {**prompts, t: float(p)}), float(p)) for p in PROMPT_GRID)[1]
        k = self.k_of(prompts, idx)
        X = self.itl[k, idx]
        itl = _relative_lsq(X, self.y_itl[idx])
        step = _relative_lsq(np.stack([X @ itl, self.pre[k, idx]], axis=1), self.y_step[idx])
        return prompts, itl, step

    def power_columns(self, idx: np.ndarray, prompts: Mapping[str, float]) -> np.ndarray:
        """Per-GPU power regressors as fractions of TDP: [static of H100, static of B200 … (one per GPU in
        POWER_GPUS), matrix activity, memory activity] over the *measured* mean step."""
        k = self.k_of(prompts, idx)
        a = self.act[k, idx]
        t = self.y_step[idx]
        onehot = np.zeros((len(idx), len(POWER_GPUS)))
        if self.gpu in POWER_GPUS:
            onehot[:, POWER_GPUS.index(self.gpu)] = 1.0
        return np.concatenate([onehot, np.minimum(1, (a[:, 0] + a[:, 1]) / t)[:, None],
                               np.minimum(1, a[:, 2] / t)[:, None]], axis=1)


POWER_GPUS = ("H100", "B200")


@dataclass
class Model:
    """The fitted serving model: per-GPU time fits and the pooled power fractions."""

    gpus: dict[str, GPUFit]
    fractions: np.ndarray            # static per GPU (POWER_GPUS order), matrix, memory — fractions of TDP

    def fit_for(self, gpu: str) -> GPUFit:
        return self.gpus[gpu]


def _shared_prompts(designs: Mapping[str, Design], masks: Mapping[str, np.ndarray]) -> dict[str, float]:
    """One prompt length per task for every GPU (a property of the workload, not of the GPU): a coordinate
    search minimising the mean relative error of the step-time fits over all GPUs' rows."""
    tasks = sorted({d.tasks[i] for gpu, d in designs.items() for i in d.all[masks[gpu]]})
    prompts = {t: float(TASK_PROMPTS.get(t, 512)) for t in tasks}

    def err(q: Mapping[str, float]) -> float:
        tot, n = 0.0, 0
        for gpu, d in designs.items():
            idx = d.all[masks[gpu]]
            if len(idx):
                tot += d.step_error(idx, q) * len(idx)
                n += len(idx)
        return tot / max(n, 1)
    for _ in range(2):
        for t in tasks:
            prompts[t] = min((err({**prompts, t: float(p)}), float(p)) for p in PROMPT_GRID)[1]
    return prompts


def fit_model(designs: Mapping[str, Design], masks: Mapping[str, np.ndarray], search: bool = True,
              prompts: Mapping[str, Mapping[str, float]] | None = None) -> Model:
    """Fit on the rows selected by ``masks`` (per GPU, boolean)."""
    fits: dict[str, GPUFit] = {}
    P_cols, P_y = [], []
    shared = _shared_prompts(designs, masks) if search else None
    for gpu, d in designs.items():
        idx = d.all[masks[gpu]]
        if not len(idx):
            continue
        given = (prompts or {}).get(gpu) or (shared and {t: shared[t] for t in {d.tasks[i] for i in idx}})
        pr, itl, step = d.fit_time(idx, False, given)
        P_cols.append(d.power_columns(idx, pr))
        P_y.append(d.y_power[idx] / d.tdp[idx])
        batches = [d.rows[i].row.batch for i in idx]
        fits[gpu] = GPUFit(gpu, pr, itl, step, np.zeros(4), float(d.tdp[idx][0]), tuple(sorted(set(d.groups[idx]))),
                           (min(batches), max(batches)), frozenset(d.rows[i].moe for i in idx))
    frac = _relative_lsq(np.concatenate(P_cols), np.concatenate(P_y))
    for gpu, fit in fits.items():
        s = frac[POWER_GPUS.index(gpu)] if gpu in POWER_GPUS else float(np.mean(frac[:len(POWER_GPUS)]))
        fit.power = np.array([s, frac[-2], frac[-1], 0.0]) * fit.tdp_w
    return Model(fits, frac)


def inner_residuals(designs: Mapping[str, Design], masks: Mapping[str, np.ndarray], model: Model
                    ) -> dict[str, dict[str, tuple[float, float]]]:
    """(q05, q95) of predicted/measured − 1 per GPU and metric: each training group predicted by a fit on the
    other training groups (prompt lengths kept from ``model`` to keep this affordable)."""
    groups = sorted({g for gpu, d in designs.items() for g in d.groups[masks[gpu]]})
    res: dict[str, dict[str, list[float]]] = {gpu: {m: [] for m in METRICS} for gpu in designs}
    prompts = {gpu: f.prompts for gpu, f in model.gpus.items()}
    for g in groups:
        inner = {gpu: masks[gpu] & (d.groups != g) for gpu, d in designs.items()}
        if not any(m.any() for m in inner.values()):
            continue
        m_in = fit_model(designs, inner, search=False, prompts=prompts)
        for gpu, d in designs.items():
            if gpu not in m_in.gpus:
                continue
            for i in d.all[masks[gpu] & (d.groups == g)]:
                f = d.rows[i]
                pred = m_in.gpus[gpu].predict(f)
                for m in METRICS:
                    res[gpu][m].append(pred[m] / f.row.measured[m] - 1)
    return {gpu: {m: (float(np.quantile(v, INTERVAL[0])), float(np.quantile(v, INTERVAL[1]))) if v else (0.0, 0.0)
                  for m, v in r.items()} for gpu, r in res.items()}


def fit_all(features: Sequence[Features], inner: bool = True) -> Model:
    """The model fitted on every row (what graphs ships); ``inner``: with leave-one-group-out intervals."""
    designs = {gpu: Design([f for f in features if f.row.gpu == gpu]) for gpu in sorted({f.row.gpu for f in features})}
    masks = {gpu: np.ones(len(d.rows), bool) for gpu, d in designs.items()}
    model = fit_model(designs, masks)
    if inner:
        for gpu, r in inner_residuals(designs, masks, model).items():
            if gpu in model.gpus:
                model.gpus[gpu].residuals = r
    return model


@dataclass(frozen=True)
class Scored:
    """One row's predictions (leave-one-model-out) with interval, confidence and the baselines."""

    features: Features
    predicted: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    confidence: str
    baseline: dict[str, float]
    fit_groups: int


def baselines(f: Features) -> dict[str, float]:
    """Roofline decode step (spec peaks, no efficiency, no overhead) and power = TDP."""
    itl = f.roofline_decode_s
    thr = f.row.batch / itl
    power = f.tdp_w * f.row.num_gpus
    return {"itl_ms": itl * 1e3, "throughput_tok_s": thr, "avg_power_w": power, "energy_per_token_j": power / thr}


def leave_one_model_out(features: Sequence[Features], progress: Callable[[str], None] | None = None
                        ) -> list[Scored]:
    """Every row predicted by fits on the other architectures (both GPUs' rows of its architecture held out)."""
    designs = {gpu: Design([f for f in features if f.row.gpu == gpu]) for gpu in sorted({f.row.gpu for f in features})}
    out: list[Scored] = []
    for g in sorted({f.group for f in features}):
        masks = {gpu: d.groups != g for gpu, d in designs.items()}
        if progress:
            progress(f"holding out {g}")
        model = fit_model(designs, masks)
        resid = inner_residuals(designs, masks, model)
        for gpu, d in designs.items():
            if gpu not in model.gpus:
                continue
            fit = model.gpus[gpu]
            for i in d.all[~masks[gpu]]:
                f = d.rows[i]
                pred = fit.predict(f)
                r = resid[gpu]
                lo = {m: pred[m] / (1 + r[m][1]) for m in METRICS}
                hi = {m: pred[m] / (1 + r[m][0]) for m in METRICS}
                if f.tdp_w:    # physics: a replica never draws more than its GPUs' power limit
                    hi["avg_power_w"] = min(hi["avg_power_w"], f.tdp_w * f.row.num_gpus)
                    lo["avg_power_w"] = min(lo["avg_power_w"], hi["avg_power_w"])
                out.append(Scored(f, pred, lo, hi, fit.confidence(f), baselines(f), len(fit.groups)))
    return out


def mape(pairs: Sequence[tuple[float, float]]) -> float | None:
    v = [abs(p - m) / abs(m) for p, m in pairs if m]
    return 100.0 * sum(v) / len(v) if v else None


def summarize(scored: Sequence[Scored]) -> dict[str, Any]:
    """Per GPU and metric: n, MAPE, median APE, interval coverage, and the baselines' MAPE."""
    out: dict[str, Any] = {}
    for gpu in sorted({s.features.row.gpu for s in scored}):
        rows = [s for s in scored if s.features.row.gpu == gpu]
        per: dict[str, Any] = {}
        for m in METRICS:
            meas = [s.features.row.measured[m] for s in rows]
            pred = [s.predicted[m] for s in rows]
            apes = sorted(abs(p - y) / y * 100 for p, y in zip(pred, meas))
            cover = sum(1 for s, y in zip(rows, meas) if s.low[m] <= y <= s.high[m]) / len(rows)
            if m == "itl_ms":   # graphs' kernel model alone (no serving-level fit), at the default prompt lengths
                raw = [1e3 * s.features.decode_at(TASK_PROMPTS.get(s.features.row.task, 512)).time_s for s in rows]
                kernels_only = mape(list(zip(raw, meas)))
            else:
                kernels_only = None
            per[m] = {"n": len(rows), "mape": mape(list(zip(pred, meas))), "kernels_only_mape": kernels_only,
                      "median_ape": float(np.median(apes)), "p90_ape": float(np.quantile(apes, 0.9)),
                      "coverage": cover, "baseline_mape": mape([(s.baseline[m], y) for s, y in zip(rows, meas)]),
                      "baseline": "roofline decode step" if m in ("itl_ms", "throughput_tok_s") else
                      ("power = TDP" if m == "avg_power_w" else "roofline throughput x TDP")}
        out[gpu] = per
    return out


def per_model(scored: Sequence[Scored]) -> list[dict[str, Any]]:
    """MAPE per (GPU, model) for each metric (to see which models miss)."""
    keys = sorted({(s.features.row.gpu, s.features.row.model) for s in scored})
    out = []
    for gpu, model in keys:
        rows = [s for s in scored if s.features.row.gpu == gpu and s.features.row.model == model]
        out.append({"gpu": gpu, "model": model, "n": len(rows),
                    **{m: mape([(s.predicted[m], s.features.row.measured[m]) for s in rows]) for m in METRICS}})
    return out


def power_table(features: Sequence[Features], boot: int = 200, seed: int = 0, source: str = "") -> dict[str, Any]:
    """The GPU engine's ``data/power.json``: coefficients fitted on every row, with bootstrap intervals
    (architectures resampled with replacement; 5th–95th percentiles)."""
    designs = {gpu: Design([f for f in features if f.row.gpu == gpu]) for gpu in sorted({f.row.gpu for f in features})}
    full = fit_model(designs, {gpu: np.ones(len(d.rows), bool) for gpu, d in designs.items()})
    prompts = {gpu: f.prompts for gpu, f in full.gpus.items()}
    groups = sorted({g for d in designs.values() for g in d.groups})
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(boot):
        pick = rng.choice(len(groups), size=len(groups), replace=True)
        cols, ys = [], []
        for gpu, d in designs.items():
            for gi in pick:
                idx = d.all[d.groups == groups[gi]]
                if len(idx):
                    cols.append(d.power_columns(idx, prompts[gpu]))
                    ys.append(d.y_power[idx] / d.tdp[idx])
        samples.append(_relative_lsq(np.concatenate(cols), np.concatenate(ys)))
    S = np.array(samples)
    lo, hi = np.quantile(S, 0.05, axis=0), np.quantile(S, 0.95, axis=0)
    frac = full.fractions
    n_static = len(POWER_GPUS)

    def tri(j: int, scale: float = 1.0) -> list[float]:
        return [float(frac[j] * scale), float(min(lo[j], frac[j]) * scale), float(max(hi[j], frac[j]) * scale)]
    devices = {}
    for gpu, fit in full.gpus.items():
        if gpu not in POWER_GPUS:
            continue
        tdp = fit.tdp_w
        j = POWER_GPUS.index(gpu)
        devices[GPU_IDS[gpu]] = {"static": tri(j, tdp), "matrix": tri(n_static, tdp), "vector": tri(n_static, tdp),
                                 "memory": tri(n_static + 1, tdp), "link": [0.0, 0.0, 0.0], "tdp_w": tdp,
                                 "rows": int(len(designs[gpu].rows))}
    statics = [frac[j] for j in range(n_static)]
    fam_static = [float(np.mean(statics)), float(min(min(statics), *(lo[j] for j in range(n_static)))),
                  float(max(max(statics), *(hi[j] for j in range(n_static))))]
    return {
        "source": source or ("fitted by benchmarks/accuracy_mlenergy.py --write-power on the ML.ENERGY Benchmark v3 "
                             "LLM/VLM rows (vLLM 0.11.1 serving, NVML board power via Zeus; ../shared/data/mlenergy)"),
        "model": "P = static + matrix*a_matrix + vector*a_vector + memory*a_memory + link*a_link (graphs.power); "
                 "a_x = unit-seconds at full rate / wall seconds; values [fit, 5th, 95th percentile] over "
                 f"{boot} bootstrap resamples of the {len(groups)} architectures",
        "notes": "vector is not identifiable from these data (CUDA-core activity < 1% of a serving step): set equal to "
                 "matrix. link: collectives did not explain power (fit 0). static is active idle: clocks up, a CUDA "
                 "context, no kernel running -- not the bare idle of an unused GPU.",
        "architectures": groups,
        "devices": devices,
        "family": {"static": fam_static, "matrix": tri(n_static), "vector": tri(n_static), "memory": tri(n_static + 1),
                   "link": [0.0, 0.0, 0.0], "devices": [GPU_IDS[g] for g in POWER_GPUS if g in full.gpus]},
    }
