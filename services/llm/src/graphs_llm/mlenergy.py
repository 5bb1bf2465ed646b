"""The ML.ENERGY Benchmark v3 data (``../shared/data/mlenergy``): rows, and graphs' per-row features.

Layout: ``index.json`` (``architectures``, ``tasks``, ``models``) and ``models/<org>__<model>__<task>.json``
with ``configurations[]``. One LLM/VLM row is one vLLM 0.11.1 replica on ``num_gpus`` H100 SXM or
B200 GPUs at a ``max_num_seqs`` cap, saturated (all requests sent at t = 0; the realised batch is
0.85–1.0 × the cap), measured over its steady state: median inter-token latency, output tokens/s,
average GPU power (NVML, **summed over the replica's GPUs**) and energy per output token
(= power / throughput). Parallelism as the benchmark launches vLLM: ``tensor_parallel 1,
expert_parallel N`` is TP = N for attention with EP = N for the experts; ``data_parallel N`` is
attention data parallelism (not modelled here).

:func:`features` turns a row into what graphs' own models say about it, with no fitting: the
decode step at the realised batch and mean context, a prefill, and the per-unit activity, each
from :class:`graphs_llm.steady.ServingStep` (kernel estimates of the family engine). The fitted
layer on top is :mod:`graphs_llm.mlenergy_fit`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from graphs.errors import GraphsError

GPU_IDS = {"H100": "h100", "B200": "b200"}
LLM_TASKS = ("gpqa", "lm-arena-chat", "sourcegraph-fim", "image-chat", "video-chat")
DIFFUSION_TASKS = ("text-to-image", "text-to-video")
CTX_GRID = (0, 2048)                 # decode steps are estimated at these extra prompt lengths (linear between)
PREFILL_GRID = (256, 1024, 4096)     # prefill chunks estimated at these lengths (piecewise linear)
DIFFUSION_REASON = ("diffusion pipelines (xDiT, Ulysses/ring sequence parallelism) are not modelled: graphs has no "
                    "configs for these DiTs and VAEs and no sequence-parallel attention")


def is_layout(root: Path) -> bool:
    """True for a folder laid out like the ML.ENERGY v3 data (by content, not by name)."""
    root = Path(root)
    idx = root / "index.json"
    if not idx.is_file() or not (root / "models").is_dir():
        return False
    try:
        data = json.loads(idx.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict) or "tasks" not in data:
        return False
    for f in sorted((root / "models").glob("*__*.json"))[:3]:
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not isinstance(d, dict) or "configurations" not in d or "model_id" not in d:
            return False
    return True


@dataclass(frozen=True)
class Row:
    """One measured LLM/VLM configuration."""

    model: str
    task: str
    gpu: str
    num_gpus: int
    tp: int
    ep: int
    dp: int
    max_num_seqs: int
    batch: float                 # realised average batch (running requests) of the replica
    out_len: float               # average output tokens per request
    out_len_sq: float            # E[D²] of the output lengths (histogram of the run)
    itl_ms: float
    throughput_tok_s: float
    power_w: float               # whole replica
    energy_per_token_j: float
    index: int = 0               # position in its file (duplicates keep their own)

    @property
    def key(self) -> tuple:
        return (self.gpu, self.model, self.task, self.num_gpus, self.tp, self.ep, self.dp, self.max_num_seqs, self.index)

    @property
    def measured(self) -> dict[str, float]:
        return {"itl_ms": self.itl_ms, "throughput_tok_s": self.throughput_tok_s, "avg_power_w": self.power_w,
                "energy_per_token_j": self.energy_per_token_j}

    @property
    def vision(self) -> bool:
        return self.task in ("image-chat", "video-chat")

    @property
    def length_context(self) -> float:
        """Mean cached output tokens over the decode steps of the running sequences: E[D²]/(2·E[D])."""
        return self.out_len_sq / (2.0 * self.out_len) if self.out_len > 0 else 0.0


@dataclass(frozen=True)
class Skip:
    """A configuration graphs does not score, with the reason (never dropped silently)."""

    gpu: str
    model: str
    task: str
    num_gpus: int
    max_num_seqs: int | None
    reason: str
    kind: str = "llm"
    batch_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None or k == "max_num_seqs"}


def _moments(hist: Mapping[str, Any] | None, mean: float) -> float:
    """E[D²] from a run's output-length histogram (bin midpoints), rescaled to the run's own mean."""
    if not hist:
        return mean * mean
    try:
        edges = [float(x) for x in hist["bins"]]
        counts = [float(x) for x in hist["counts"]]
    except (KeyError, TypeError, ValueError):
        return mean * mean
    if len(edges) != len(counts) + 1 or sum(counts) <= 0:
        return mean * mean
    mids = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
    n = sum(counts)
    m1 = sum(c * x for c, x in zip(counts, mids)) / n
    m2 = sum(c * x * x for c, x in zip(counts, mids)) / n
    return m2 * (mean / m1) ** 2 if m1 > 0 else mean * mean


def _num(d: Mapping[str, Any], k: str) -> float:
    v = d.get(k)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(float(v)):
        raise ValueError(f"{k}: not a finite number ({v!r})")
    return float(v)


def load(root: str | Path) -> tuple[list[Row], list[Skip]]:
    """Every LLM/VLM row, and every configuration that is not one (diffusion, malformed) as a skip."""
    root = Path(root)
    rows: list[Row] = []
    skips: list[Skip] = []
    files = sorted((root / "models").glob("*.json"))
    if not files:
        raise GraphsError(f"{root}: no models/*.json")
    for f in files:
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            skips.append(Skip("?", f.stem, "?", 0, None, f"unreadable file {f.name}: {e}", "file"))
            continue
        model, task = str(d.get("model_id", f.stem)), str(d.get("task", "?"))
        confs = d.get("configurations") or []
        for i, c in enumerate(confs):
            gpu = str(c.get("gpu_model", "?"))
            n = int(c.get("num_gpus") or 0)
            if task in DIFFUSION_TASKS or "batch_latency_s" in c:
                skips.append(Skip(gpu, model, task, n, None, DIFFUSION_REASON, "diffusion",
                                  int(c.get("batch_size") or 0) or None))
                continue
            try:
                par = c.get("parallelization") or {}
                tp, ep, dp = int(par.get("tensor_parallel", 1)), int(par.get("expert_parallel", 1)), \
                    int(par.get("data_parallel", 1))
                out_len = _num(c, "avg_output_len")
                rows.append(Row(
                    model=model, task=task, gpu=gpu, num_gpus=n, tp=tp, ep=ep, dp=dp,
                    max_num_seqs=int(c["max_num_seqs"]), batch=_num(c, "avg_batch_size"), out_len=out_len,
                    out_len_sq=_moments(c.get("output_length_distribution"), out_len),
                    itl_ms=_num(c, "median_itl_ms"), throughput_tok_s=_num(c, "output_throughput_tokens_per_sec"),
                    power_w=_num(c, "avg_power_watts"), energy_per_token_j=_num(c, "energy_per_token_joules"), index=i))
            except (KeyError, TypeError, ValueError) as e:
                skips.append(Skip(gpu, model, task, n, c.get("max_num_seqs"), f"malformed configuration: {e}"))
    return rows, skips


# --- graphs' features of a row -------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """A :class:`graphs_llm.steady.StepCost` as plain numbers (per GPU)."""

    kernel_s: float
    low_s: float
    high_s: float
    comm_s: float
    matrix_s: float
    vector_s: float
    memory_s: float
    link_s: float
    compute_bound_s: float
    linear_s: float          # dense projections (QKV, O, MLP, shared experts, LM head)
    experts_s: float         # routed-expert grouped GEMMs and their activation
    attention_s: float       # attention over the KV cache
    other_s: float           # norms, rotary, residual adds, KV writes, routing, sampling
    kernels: float           # kernels per iteration
    confidence: str

    NUMERIC = ("kernel_s", "low_s", "high_s", "comm_s", "matrix_s", "vector_s", "memory_s", "link_s", "compute_bound_s",
               "linear_s", "experts_s", "attention_s", "other_s", "kernels")

    @classmethod
    def of(cls, c: Any) -> "Step":
        a, p = c.activity, c.parts
        return cls(c.kernel_s, c.low_s, c.high_s, c.comm_s, a.matrix_s, a.vector_s, a.memory_s, a.link_s,
                   c.compute_bound_s, p.get("k_linear", 0.0), p.get("k_experts", 0.0), p.get("k_attention", 0.0),
                   p.get("k_other", 0.0), p.get("kernels", 0.0), c.confidence.name)

    def mix(self, o: "Step", w: float) -> "Step":
        """(1 − w)·self + w·o (w may lie outside [0, 1]: linear extrapolation)."""
        return Step(*(getattr(self, k) + (getattr(o, k) - getattr(self, k)) * w for k in self.NUMERIC), self.confidence)

    def scaled(self, k: float) -> "Step":
        return Step(*(getattr(self, f) * k for f in self.NUMERIC), self.confidence)

    @property
    def time_s(self) -> float:
        return self.kernel_s + self.comm_s


def interp(points: Iterable[tuple[float, Step]], x: float) -> Step:
    """Piecewise-linear interpolation of steps over x (linear extrapolation past the ends)."""
    pts = sorted(points, key=lambda p: p[0])
    if len(pts) == 1:
        return pts[0][1]
    for (x0, s0), (x1, s1) in zip(pts, pts[1:]):
        if x <= x1 or (x1, s1) == pts[-1]:
            return s0.mix(s1, (x - x0) / (x1 - x0))
    return pts[-1][1]


@dataclass(frozen=True)
class Features:
    """What graphs' models (no fitting) say about one row: decode steps and prefills per GPU."""

    row: Row
    group: str                     # the architecture (held out together: variants of one model)
    moe: bool
    weights: str
    layers: int
    decode: tuple[tuple[float, Step], ...]     # (extra prompt length, step at mean context)
    prefill: tuple[tuple[float, Step], ...]    # (prompt length, prefill of one prompt)
    roofline_decode_s: float                   # baseline: the decode step at the spec peaks (no efficiency)
    tdp_w: float
    extra: dict[str, Any] = field(default_factory=dict)

    def decode_at(self, prompt: float) -> Step:
        return interp(self.decode, prompt)

    def prefill_of(self, prompt: float) -> Step:
        return interp(self.prefill, prompt)

    def to_dict(self) -> dict[str, Any]:
        return {"row": asdict(self.row), "group": self.group, "moe": self.moe, "weights": self.weights,
                "layers": self.layers, "decode": [[x, asdict(s)] for x, s in self.decode],
                "prefill": [[x, asdict(s)] for x, s in self.prefill], "roofline_decode_s": self.roofline_decode_s,
                "tdp_w": self.tdp_w, "extra": self.extra}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Features":
        return cls(Row(**d["row"]), d["group"], bool(d["moe"]), d["weights"], int(d["layers"]),
                   tuple((float(x), Step(**s)) for x, s in d["decode"]),
                   tuple((float(x), Step(**s)) for x, s in d["prefill"]), float(d["roofline_decode_s"]),
                   float(d["tdp_w"]), dict(d.get("extra") or {}))


def architecture_group(model_id: str) -> str:
    """The root of a model's ``same_as`` chain: fine-tunes and quantised releases of one architecture."""
    from graphs_llm.archs import _table
    seen = set()
    cur = model_id
    while True:
        e = _table().get(cur) or {}
        nxt = e.get("same_as")
        if not nxt or nxt in seen:
            return cur
        seen.add(cur)
        cur = nxt


class FeatureBuilder:
    """Features of rows, sharing one serving-step model per (model, GPU, deployment)."""

    def __init__(self, plugins: Any) -> None:
        self.plugins = plugins
        self._steps: dict[tuple, Any] = {}
        self._mappers: dict[tuple[str, str], Any] = {}
        self._comm: dict[str, Any] = {}

    def _mapper(self, hw: str, runtime: str) -> Any:
        key = (hw, runtime)
        if key not in self._mappers:
            from graphs_llm.timing import mapper_for_runtime
            self._mappers[key] = mapper_for_runtime(self.plugins, hw, runtime)
        return self._mappers[key]

    def _collectives(self, hw: str) -> Any:
        if hw not in self._comm:
            from graphs_distributed.collectives import CollectiveModel
            from graphs_distributed.system import system_for
            model = CollectiveModel.for_system(system_for(hw, self.plugins))
            self._comm[hw] = lambda c, nb, ranks: model.time(c, nb, ranks)
        return self._comm[hw]

    def skip_reason(self, row: Row) -> str | None:
        from graphs_llm.archs import refusal
        if row.gpu not in GPU_IDS:
            return f"GPU {row.gpu!r} is not one graphs maps (H100, B200)"
        why = refusal(row.model)
        if why:
            return why
        if row.dp > 1:
            return ("attention data parallelism (vLLM --data-parallel-size with expert parallel MoE) is not modelled: "
                    "graphs' serving step splits attention by tensor parallelism only")
        if row.num_gpus < 1 or row.num_gpus != max(row.tp, row.ep, 1):
            return f"parallelism TP {row.tp} x EP {row.ep} does not match {row.num_gpus} GPUs"
        if row.batch < 1 or row.out_len <= 0:
            return "no running batch or no output tokens"
        return None

    def deployment(self, row: Row) -> Any:
        from graphs_llm.steady import Deployment
        n = row.num_gpus
        return Deployment(gpus=n, tp=n, ep=n if row.ep > 1 else 1)

    def step_model(self, row: Row, runtime: str = "graph") -> Any:
        from graphs_llm.archs import published
        from graphs_llm.steady import ServingStep
        hw = GPU_IDS[row.gpu]
        dep = self.deployment(row)
        key = (row.model, hw, dep, runtime)
        if key not in self._steps:
            m = published(row.model)
            self._steps[key] = ServingStep(m.cfg, self._mapper(hw, runtime), dep, m.precision,
                                           comm=self._collectives(hw) if dep.ranks > 1 else None, runtime=runtime)
        return self._steps[key]

    def features(self, row: Row) -> Features:
        """Graphs' decode and prefill estimates for ``row`` (raise GraphsError if it cannot be modelled)."""
        from graphs_llm.archs import published
        why = self.skip_reason(row)
        if why:
            raise GraphsError(why)
        m = published(row.model)
        st = self.step_model(row)
        b = max(1, round(row.batch))
        lc = row.length_context
        dec = tuple((float(x), Step.of(st.decode(b, round(lc + x)))) for x in CTX_GRID)
        pre = tuple((float(p), Step.of(st.prefill(p))) for p in PREFILL_GRID)
        roof = self.step_model(row, "roofline").decode(b, round(lc + 512))
        spec = st.mapper.spec
        return Features(row, architecture_group(row.model), m.is_moe, m.weights, m.cfg.layers, dec, pre,
                        roof.kernel_s, spec.power.tdp.si if spec.power else 0.0,
                        {"weight_bytes_per_gpu": st.weight_bytes(), "kv_bytes_per_token_per_gpu": st.kv_bytes_per_token(),
                         "memory_bytes_per_gpu": spec.memory_bytes})


# --- compact storage of features (committed for CI) -----------------------------------------------
_ROW_FIELDS = tuple(Row.__dataclass_fields__)


def pack_features(feats: Iterable[Features], digits: int = 7) -> dict[str, Any]:
    """Features as columns of numbers (a few hundred kB for the whole data set)."""
    def r(x: float) -> float:
        return float(f"{x:.{digits}g}")
    out = []
    for f in feats:
        steps = [[x, *[r(getattr(s, k)) for k in Step.NUMERIC], s.confidence] for x, s in f.decode + f.prefill]
        out.append([[getattr(f.row, k) if not isinstance(getattr(f.row, k), float) else r(getattr(f.row, k))
                     for k in _ROW_FIELDS], f.group, f.moe, f.weights, f.layers, len(f.decode), steps,
                    r(f.roofline_decode_s), f.tdp_w, {k: r(v) if isinstance(v, float) else v for k, v in f.extra.items()}])
    return {"row_fields": list(_ROW_FIELDS), "step_fields": ["x", *Step.NUMERIC, "confidence"], "features": out}


def unpack_features(data: Mapping[str, Any]) -> list[Features]:
    if list(data["row_fields"]) != list(_ROW_FIELDS) or list(data["step_fields"]) != ["x", *Step.NUMERIC, "confidence"]:
        raise GraphsError("committed features were written by a different version of graphs_llm.mlenergy")
    out = []
    for row, group, moe, weights, layers, n_dec, steps, roof, tdp, extra in data["features"]:
        st = [(float(s[0]), Step(*s[1:-1], s[-1])) for s in steps]
        out.append(Features(Row(*row), group, bool(moe), weights, int(layers), tuple(st[:n_dec]), tuple(st[n_dec:]),
                            float(roof), float(tdp), dict(extra)))
    return out
