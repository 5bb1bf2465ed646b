"""One training step of a decoder LLM on a multi-GPU system: data, tensor, pipeline and expert parallelism.

Per GPU, a micro-batch holds ``b = global_batch / (dp · micro_batches)`` sequences of ``seq_len``
tokens (``T = b · seq_len``). With the iteration builder's graphs (:mod:`graphs_llm.builder`, the
model sharded ``tp`` ways, causal attention over the whole sequence, LM head and loss over every
token) and the family engine's kernel estimates:

* forward of stage ``i`` = its layers (``L/pp`` each, remainder to the first stages) + the
  embedding (first stage) + the head (last stage); **backward = ``backward_factor`` × forward**
  (2.0: the two GEMMs per forward GEMM; an assumption, changeable; +1 forward with activation
  recomputation);
* **tensor parallelism** (Megatron): per layer two all-reduces of ``T·dim`` activations in the
  forward and two in the backward, over ``tp`` ranks, exposed × ``(1 − tp_overlap)``;
* **pipeline** (GPipe or 1F1B: same bubble, different activation memory):
  ``Σᵢ (fᵢ + bᵢ) + (m − 1) · maxᵢ (fᵢ + bᵢ)`` plus ``2(pp − 1)`` activation sends on the
  fill/drain path; interleaved schedules are not modelled;
* **data parallelism**: all-reduce of the stage's gradients over ``dp`` ranks after the last
  micro-batch; it overlaps the last micro-batch's backward by the fraction ``dp_overlap``
  (PyTorch DDP buckets gradients, so 1.0 by default) but never hides the last bucket;
* **expert parallelism** (MoE): experts split ``ep`` ways; per MoE layer two all-to-alls (dispatch,
  combine) of ``T·top_k·dim`` in the forward and two in the backward;
* **optimizer** (optional): a fused Adam pass over the GPU's parameters (fp32 master weights, two
  moments), a memory-bound kernel estimated like any other.

Ranks are placed tensor-parallel innermost (one node holds a TP group when it fits), then
pipeline, then data parallel, as Megatron-LM does; a group's collectives use
:class:`~graphs_distributed.collectives.CollectiveModel` with the ranks it spans per node.

Memory per GPU: weights, gradients, optimizer state (Adam: 12 bytes/parameter with fp32 master
weights under mixed precision, 8 bytes at fp32), and activations kept for the backward pass per
layer and micro-batch: ``s·b·h·(10 + 24/t + 5·a·s/(h·t))`` bytes at 2-byte activations
(Korthikanti et al., *Reducing Activation Recomputation in Large Transformer Models*, 2022,
§4.1; scaled by the activation width), ``m`` micro-batches in flight on the first stage under
GPipe, ``min(m, pp)`` under 1F1B.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from graphs.errors import GraphsError
from graphs.hardware.schema import PRECISION_DTYPE
from graphs.ir import DTYPE_BITS
from graphs_llm.builder import AttentionImpl, Chunk, Precision
from graphs_llm.config import LLMConfig
from graphs_llm.cost import LLMCostModel
from graphs_distributed.collectives import CollectiveModel

SCHEDULES = ("1f1b", "gpipe")
ATTENTION_SEQUENCES = 64     # sequences per micro-batch costed one by one; more are scaled linearly


@dataclass(frozen=True)
class ParallelConfig:
    dp: int = 1
    tp: int = 1
    pp: int = 1
    ep: int = 1
    micro_batches: int = 1
    schedule: str = "1f1b"

    def __post_init__(self) -> None:
        for k in ("dp", "tp", "pp", "ep", "micro_batches"):
            if getattr(self, k) < 1:
                raise GraphsError(f"--{k.replace('_', '-')} must be >= 1")
        if self.schedule not in SCHEDULES:
            raise GraphsError(f"--schedule {self.schedule!r}: expected one of {', '.join(SCHEDULES)}")
        if self.ep > self.dp:
            raise GraphsError(f"--ep {self.ep}: expert parallelism spans data-parallel ranks (ep <= dp = {self.dp})")

    @property
    def gpus(self) -> int:
        return self.dp * self.tp * self.pp


@dataclass(frozen=True)
class TrainingOptions:
    global_batch: int = 8
    seq_len: int = 1024
    precision: str = "bf16"           # activations/weights compute precision
    backward_factor: float = 2.0
    recompute: bool = False           # full activation recomputation: + one forward in the backward
    dp_overlap: float = 1.0           # share of the last backward that hides the DP all-reduce
    tp_overlap: float = 0.0           # share of TP all-reduces hidden behind compute
    bucket_bytes: float = 25 * 2**20  # DDP bucket (PyTorch default 25 MiB): the last one is never hidden
    optimizer: bool = True
    fused_attention: bool = True
    runtime: str = "eager"            # training frameworks run eager PyTorch kernels

    def __post_init__(self) -> None:
        if self.global_batch < 1 or self.seq_len < 1:
            raise GraphsError("--batch and --seq-len must be >= 1")
        if self.precision not in ("fp32", "bf16", "fp16", "tf32"):
            raise GraphsError(f"train mode: --precision {self.precision!r} must be fp32, tf32, bf16 or fp16")
        for k in ("dp_overlap", "tp_overlap"):
            if not 0.0 <= getattr(self, k) <= 1.0:
                raise GraphsError(f"--{k.replace('_', '-')} must be in [0, 1]")
        if self.backward_factor <= 0:
            raise GraphsError("--backward-factor must be > 0")


@dataclass
class TrainingReport:
    model: str
    system: str
    device: str
    parallel: ParallelConfig
    options: TrainingOptions
    step_s: float
    low_s: float
    high_s: float
    confidence: str
    breakdown: dict[str, float]
    stages: list[dict[str, float]]
    tokens_per_s: float
    mfu: float
    memory: dict[str, float]
    fits: bool | None
    comm: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # one micro-batch on one GPU (what tool adapters need to rebuild the step layer by layer)
    micro_batch: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["parallel"], d["options"] = asdict(self.parallel), asdict(self.options)
        return d


def _stage_layers(layers: int, pp: int) -> list[int]:
    if pp > layers:
        raise GraphsError(f"--pp {pp} exceeds the model's {layers} layers")
    base, extra = divmod(layers, pp)
    return [base + (1 if i < extra else 0) for i in range(pp)]


def training_step(cfg: LLMConfig, mapper: Any, system: Any, par: ParallelConfig, opts: TrainingOptions,
                  collectives: CollectiveModel | None = None) -> TrainingReport:
    """Estimate one training step (see the module docstring)."""
    if par.gpus > 1:
        system.check_gpus(par.gpus)
    if opts.global_batch % (par.dp * par.micro_batches):
        raise GraphsError(f"--batch {opts.global_batch} is not divisible by dp x micro-batches "
                          f"({par.dp} x {par.micro_batches})")
    if cfg.experts and cfg.experts % par.ep:
        raise GraphsError(f"{cfg.name}: {cfg.experts} experts cannot be split {par.ep} ways")
    if not cfg.experts and par.ep > 1:
        raise GraphsError(f"{cfg.name} is not a mixture-of-experts model: --ep must be 1")
    if opts.seq_len > cfg.max_pos:
        raise GraphsError(f"{cfg.name}: --seq-len {opts.seq_len} exceeds the model's {cfg.max_pos} positions")
    coll = collectives or CollectiveModel.for_system(system)
    node = system.node_size
    act_dt = PRECISION_DTYPE["fp32" if opts.precision == "tf32" else opts.precision]
    nbytes = DTYPE_BITS[act_dt] / 8
    local_cfg = cfg.with_(experts=cfg.experts // par.ep) if cfg.experts else cfg
    model = LLMCostModel(local_cfg, mapper, precision=Precision(act=act_dt), runtime=opts.runtime,
                         attention=AttentionImpl(fused=opts.fused_attention, paged=False), tp=par.tp)
    b = opts.global_batch // (par.dp * par.micro_batches)
    S = opts.seq_len
    T = b * S
    lin = model.layer_linear(T)
    # attention of b independent sequences: the iteration builder makes a node per sequence, so above
    # ATTENTION_SEQUENCES they are costed as that many and scaled (the work is linear in b there)
    n_seq = min(b, ATTENTION_SEQUENCES)
    attn = model.attention([Chunk(S, 0)] * n_seq, ())
    if n_seq < b:
        f = b / n_seq
        attn = replace(attn, value=attn.value * f, low=attn.low * f, high=attn.high * f)
    emb = model.embedding(T)
    head = model.head(T, T)
    per_layer = lin.value + attn.value
    # placement: TP innermost, then PP, then DP; a group whose ranks are `stride` apart has
    # node_size // stride of them on one node (at least 1), a divisor of its size
    def group_time(coll_name: str, nb: float, ranks: int, stride: int) -> float:
        if ranks <= 1:
            return 0.0
        per_node = math.gcd(ranks, max(1, min(ranks, node // stride)))
        return coll.time(coll_name, nb, ranks, per_node)

    tp_ar = group_time("all_reduce", T * cfg.dim * nbytes, par.tp, 1)
    tp_comm_layer = 4 * tp_ar * (1 - opts.tp_overlap)           # 2 forward + 2 backward per layer
    ep_a2a = group_time("all_to_all", T * cfg.top_k * cfg.dim * nbytes, par.ep, par.tp * par.pp) if cfg.experts else 0.0
    ep_comm_layer = 4 * ep_a2a
    p2p = group_time("send_recv", T * cfg.dim * nbytes / par.tp, 2, par.tp) if par.pp > 1 else 0.0
    bf = opts.backward_factor + (1.0 if opts.recompute else 0.0)
    stages = []
    layers = _stage_layers(cfg.layers, par.pp)
    lo_hi = []
    for i, n in enumerate(layers):
        f = n * per_layer + (emb.value if i == 0 else 0.0) + (head.value if i == par.pp - 1 else 0.0)
        flo = n * (lin.low + attn.low) + (emb.low if i == 0 else 0.0) + (head.low if i == par.pp - 1 else 0.0)
        fhi = n * (lin.high + attn.high) + (emb.high if i == 0 else 0.0) + (head.high if i == par.pp - 1 else 0.0)
        comm = n * (tp_comm_layer + ep_comm_layer)
        stages.append({"layers": n, "forward_s": f, "backward_s": bf * f, "comm_s": comm,
                       "micro_batch_s": f * (1 + bf) + comm})
        lo_hi.append((flo * (1 + bf) + comm, fhi * (1 + bf) + comm))
    m = par.micro_batches
    mb = [s["micro_batch_s"] for s in stages]
    slow = max(range(len(mb)), key=lambda i: mb[i])
    pipe = sum(mb) + (m - 1) * mb[slow] + (2 * (par.pp - 1) * p2p)
    pipe_lo = sum(lo for lo, _ in lo_hi) + (m - 1) * lo_hi[slow][0] + 2 * (par.pp - 1) * p2p
    pipe_hi = sum(hi for _, hi in lo_hi) + (m - 1) * lo_hi[slow][1] + 2 * (par.pp - 1) * p2p
    compute = m * sum(s["forward_s"] + s["backward_s"] for s in stages) / par.pp
    bubble = pipe - m * max(mb) - 2 * (par.pp - 1) * p2p if par.pp > 1 else 0.0
    # parameters held by one GPU (largest stage)
    per_layer_params = local_cfg.layer_parameters() / par.tp
    first_extra = cfg.vocab * cfg.dim / par.tp + ((cfg.max_pos + cfg.pos_offset) * cfg.dim if cfg.positions == "learned" else 0)
    last_extra = (0 if cfg.tied else cfg.vocab * cfg.dim / par.tp) + cfg.dim * (2 if cfg.norm == "layer" else 1) \
        + (cfg.vocab / par.tp if cfg.lm_head_bias else 0)
    stage_params = [n * per_layer_params + (first_extra if i == 0 else 0) + (last_extra if i == par.pp - 1 else 0)
                    for i, n in enumerate(layers)]
    params_gpu = max(stage_params)
    grad_bytes = params_gpu * nbytes
    dp_ar = group_time("all_reduce", grad_bytes, par.dp, par.tp * par.pp)
    last_bucket = group_time("all_reduce", min(grad_bytes, opts.bucket_bytes), par.dp, par.tp * par.pp)
    window = stages[0]["backward_s"] * opts.dp_overlap
    dp_exposed = max(dp_ar - window, last_bucket) if par.dp > 1 else 0.0
    # optimizer: fused Adam over the GPU's parameters (fp32 master, m, v; read grads; write p, m, v)
    opt_s = 0.0
    if opts.optimizer:
        from graphs.ops.registry import Category
        from graphs.partition import Kernel
        n_el = float(int(params_gpu))
        adam = Kernel(name="optimizer:adam", nodes=("optimizer",), kind="addcmul", category=Category.ELEMENTWISE,
                      flops=10.0 * n_el, matrix_flops=0.0, bytes_read=16.0 * n_el, bytes_written=12.0 * n_el,
                      dtype="float32")
        opt_s = model.timer(adam).time_s
    step = pipe + dp_exposed + opt_s
    low, high = pipe_lo + dp_exposed + opt_s, pipe_hi + dp_exposed + opt_s
    conf = min((p.confidence for p in (lin, attn, emb, head)), default=None)
    # memory
    ws = params_gpu * nbytes
    master = params_gpu * 4 if nbytes < 4 else 0.0
    opt_state = params_gpu * 8 + master
    a, h = cfg.heads, cfg.dim
    t = par.tp
    act_layer = S * b * h * (10 + 24 / t + (0 if opts.fused_attention else 5 * a * S / (h * t))) * nbytes / 2
    if opts.recompute:
        act_layer = 2 * S * b * h * nbytes / t      # only the layer inputs are kept
    in_flight = m if par.schedule == "gpipe" else min(m, par.pp)
    activations = act_layer * layers[0] * in_flight
    mem_total = ws + grad_bytes + opt_state + activations
    cap = mapper.spec.memory_bytes
    tokens = opts.global_batch * S
    peak = mapper.spec.peak(opts.precision) or mapper.spec.peak("fp32")
    model_flops = 6 * cfg.parameters() * tokens * (1 + (1 / 3 if opts.recompute else 0))
    mfu = model_flops / (step * par.gpus * peak) if step and peak else 0.0
    notes = [f"backward = {opts.backward_factor:g} x forward" + (" + recomputed forward" if opts.recompute else ""),
             f"runtime {opts.runtime}; attention {'fused' if opts.fused_attention else 'unfused (eager)'}",
             f"DP all-reduce overlaps {opts.dp_overlap:.0%} of the last micro-batch backward (last bucket "
             f"{opts.bucket_bytes / 2**20:.0f} MiB exposed); TP all-reduces {opts.tp_overlap:.0%} overlapped",
             f"pipeline schedule {par.schedule} (bubble fill/drain; interleaving not modelled)"]
    breakdown = {"compute_s": compute, "pipeline_bubble_s": max(bubble, 0.0), "tp_comm_s": m * sum(
        s["comm_s"] for s in stages) / par.pp if par.tp > 1 else 0.0,
        "ep_comm_s": m * sum(layers) * ep_comm_layer / par.pp if cfg.experts else 0.0,
        "pp_p2p_s": 2 * (par.pp - 1) * p2p, "dp_allreduce_exposed_s": dp_exposed, "dp_allreduce_s": dp_ar,
        "optimizer_s": opt_s}
    return TrainingReport(
        model=cfg.name, system=system.id, device=mapper.spec.id, parallel=par, options=opts, step_s=step,
        low_s=low, high_s=high, confidence=conf.name if conf is not None else "THEORETICAL", breakdown=breakdown,
        stages=stages, tokens_per_s=tokens / step if step else 0.0, mfu=mfu,
        memory={"weights_bytes": ws, "gradients_bytes": grad_bytes, "optimizer_bytes": opt_state,
                "activations_bytes": activations, "total_bytes": mem_total, "device_bytes": cap or 0.0,
                "parameters_per_gpu": params_gpu},
        fits=(mem_total <= cap) if cap else None,
        comm={"tp_all_reduce_s": tp_ar, "dp_all_reduce_s": dp_ar, "pp_send_s": p2p, "ep_all_to_all_s": ep_a2a,
              "tp_all_reduce_bytes": T * cfg.dim * nbytes if par.tp > 1 else 0.0, "dp_gradient_bytes": grad_bytes,
              "pp_activation_bytes": T * cfg.dim * nbytes / par.tp if par.pp > 1 else 0.0},
        notes=notes,
        micro_batch={"tokens": T, "sequences": b, "layer_forward_s": per_layer, "embedding_forward_s": emb.value,
                     "head_forward_s": head.value, "layer_parameters": float(local_cfg.layer_parameters()),
                     "embedding_parameters": float(cfg.vocab * cfg.dim + (
                         (cfg.max_pos + cfg.pos_offset) * cfg.dim if cfg.positions == "learned" else 0)),
                     "head_parameters": float(last_extra * par.tp),
                     "activation_bytes": T * cfg.dim * nbytes, "bytes_per_element": nbytes,
                     "backward_factor": bf})
