"""What analytical LLM estimators (GenZ, llm-analysis) are given: one inference step, described by numbers.

:class:`LLMStepJob` is the workload the peer adapters (``graphs-genz``, ``graphs-llm-analysis``)
take: a decoder's architecture (:class:`~graphs_llm.config.LLMConfig` fields), one phase
(``decode``: one step of ``batch`` sequences with ``context`` cached tokens each; ``prefill``:
``batch`` prompts of ``prompt`` tokens), the tensor-parallel degree and the device as the
numbers such tools take: dense peak at the precision, HBM bandwidth and capacity, and the
per-GPU one-direction link bandwidth and latency of graphs' system for that device
(``graphs_distributed``: NVLink for H100/A100). Every number comes from graphs' own spec, so all
estimators see the same hardware.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from graphs.errors import GraphsError
from graphs_llm.config import LLMConfig

PHASES = ("decode", "prefill")


@dataclass(frozen=True)
class DeviceNumbers:
    """A device as analytical LLM tools describe it (SI units)."""

    id: str
    peak_flops: float              # dense, at the job's precision (FLOP/s)
    hbm_bandwidth: float           # B/s
    memory_bytes: float
    link_bandwidth: float = 0.0    # per GPU, one direction (B/s); 0 = no multi-GPU system known
    link_latency_s: float = 0.0
    sources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: Any, precision: str, plugins: Any = None) -> "DeviceNumbers":
        peak = spec.peak(precision)
        if not peak:
            raise GraphsError(f"{spec.id}: no dense {precision} peak in its spec")
        if not spec.memory_bytes:
            raise GraphsError(f"{spec.id}: no memory capacity in its spec")
        link, lat, src = 0.0, 0.0, {"peak/bandwidth/capacity": f"graphs hardware spec {spec.id}"}
        try:
            from graphs_distributed.system import system_for
            s = system_for(spec.id, plugins)
            link, lat = s.intra_node.beta, s.intra_node.step_latency.si
            src["link"] = f"graphs system {s.id} (intra-node, per GPU per direction)"
        except (ImportError, GraphsError):
            pass
        return cls(spec.id, float(peak), float(spec.memory_bandwidth), float(spec.memory_bytes), float(link),
                   float(lat), src)


@dataclass(frozen=True)
class LLMStepJob:
    """One inference step for an analytical LLM tool (see the module docstring)."""

    model: str
    config: LLMConfig
    device: DeviceNumbers
    phase: str = "decode"
    batch: int = 1
    context: int = 512               # decode: cached tokens per sequence at this step
    prompt: int = 512                # prefill: prompt tokens per sequence
    tp: int = 1
    precision: str = "bf16"
    hardware: str = ""

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise GraphsError(f"phase must be one of {', '.join(PHASES)}, got {self.phase!r}")
        if self.batch < 1 or self.tp < 1 or self.context < 1 or self.prompt < 1:
            raise GraphsError("batch, tp, context and prompt must be >= 1")
        if self.precision not in ("bf16", "fp16"):
            raise GraphsError(f"analytical LLM peers are given 16-bit jobs; {self.precision} is not one")
        if self.tp > 1 and not self.device.link_bandwidth:
            raise GraphsError(f"{self.device.id}: tensor parallel {self.tp} needs a link bandwidth (no graphs system)")

    def to_dict(self) -> dict[str, Any]:
        """The job document: the decoder numbers the peers read (:data:`PEER_CONFIG_KEYS`), not every
        field graphs' own builder has (sliding windows, MoE widths ... which :func:`row_scope` refuses)."""
        d = asdict(self)
        d["config"] = {k: v for k, v in self.config.to_dict().items() if k in PEER_CONFIG_KEYS}
        return d


#: the architecture numbers an analytical LLM peer is given (a dense decoder with optional plain MoE)
PEER_CONFIG_KEYS = ("name", "vocab", "dim", "layers", "heads", "kv_heads", "head_dim", "ffn", "gated", "act",
                    "norm", "positions", "rotary_dim", "bias", "lm_head_bias", "tied", "parallel", "fused_qkv",
                    "experts", "top_k", "max_pos", "pos_offset")


def _beyond_peers(cfg: LLMConfig) -> str | None:
    """What in ``cfg`` the peers' job format cannot carry (so a job would silently drop it), or None."""
    if getattr(cfg, "window", 0) or getattr(cfg, "local_layers", 0):
        return "sliding-window attention layers"
    if getattr(cfg, "moe_ffn", 0) or getattr(cfg, "shared_ffn", 0) or getattr(cfg, "moe_step", 1) != 1:
        return "MoE expert widths, shared experts or interleaved MoE layers"
    return None


# --- comparison rows (graphs compare) -----------------------------------------------------------------
def row_scope(row: Any, plugins: Any, tool: str) -> str | None:
    """None if an analytical LLM tool can express the comparison ``row``, else why not (F4)."""
    if row.family != "decoder" or not row.hf_config:
        return f"{tool} models decoder-only LLMs from their architecture numbers; {row.model} is not one here"
    if row.precision not in ("bf16", "fp16"):
        return f"{tool} is given 16-bit weights and activations here; this row is {row.precision}"
    spec = plugins.hardware_entry(row.hardware).spec
    if spec.family != "gpu":
        return f"{tool}'s device is a GPU-like (peak, HBM, link) triple here; {row.hardware} is a {spec.family}"
    cfg = LLMConfig.from_mapping(row.hf_config, name=row.model)
    if cfg.parallel:
        return f"{tool}: {row.model}'s block structure (parallel attention/MLP) is not one it models"
    beyond = _beyond_peers(cfg)
    if beyond:
        return f"{tool}: {row.model} has {beyond}, which the job given to analytical LLM tools cannot state"
    return None


def row_job(row: Any, plugins: Any) -> LLMStepJob:
    """The step a comparison row describes: ``extra['phase']`` (``decode``: ``seq`` = cached tokens per
    sequence; default ``prefill`` of ``seq`` tokens), ``batch``, ``extra['tp']``, on the row's device."""
    spec = plugins.hardware_entry(row.hardware).spec
    cfg = LLMConfig.from_mapping(row.hf_config, name=row.model)
    phase = str(row.extra.get("phase", "prefill"))
    seq = int(row.seq or 512)
    return LLMStepJob(model=row.model, config=cfg, device=DeviceNumbers.from_spec(spec, row.precision, plugins),
                      phase=phase, batch=int(row.batch), context=seq, prompt=seq, tp=int(row.extra.get("tp", 1)),
                      precision=row.precision, hardware=spec.id)


class LLMStepPeer:
    """What graphs compare asks of an adapter that times one LLM step from an :class:`LLMStepJob`
    (GenZ, llm-analysis). Listed before the tool-adapter base, it answers the comparison questions;
    the adapter sets ``peer_label`` (the tool's name in refusals) and says in :meth:`hardware_evidence`
    what its hardware config is written from."""

    peer_label = ""

    def job_document(self, workload: Any) -> dict[str, Any]:
        return workload.to_dict()

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        return row_scope(row, plugins, self.peer_label)

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> Any:
        return row_job(row, plugins)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        gpus = sorted(h for h, e in plugins.hardware.items() if e.family == "gpu")
        if not gpus:
            return None
        d = DeviceNumbers.from_spec(plugins.hardware_entry(gpus[-1]).spec, "fp16", plugins)
        return True, f"verified: {self.hardware_evidence(gpus[-1], d)}"

    def hardware_evidence(self, hardware: str, numbers: DeviceNumbers) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def workload_hardware(workload: Any) -> str:
        """The device id of a job (an :class:`LLMStepJob` or its JSON dict)."""
        return getattr(workload, "hardware", "") or (workload.get("hardware", "") if isinstance(workload, dict) else "")
