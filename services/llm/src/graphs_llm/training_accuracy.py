"""Accuracy of the training-step model on NeuSight's training labels.

**Training steps** — NeuSight's ``labels/*/*-dp4|tp4|pp4_1.json`` (GPT-2 large, FP32, PyTorch
eager, Hugging Face with eager attention, forward + backward timed, optimizer step not timed) and
the single-GPU ``*-train-*.json`` labels of the same model on other GPUs, predicted from specs and
the GPU engine (no fitting on these rows); roofline in the same run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graphs.errors import GraphsError


# --- NeuSight training steps ---------------------------------------------------------------------
NEUSIGHT_GPU = {"NVIDIA_A100-SXM4-40GB": "a100-sxm4-40gb", "NVIDIA_A100_80GB_PCIe": "a100-pcie-80gb",
                "NVIDIA_A100-PCIE-40GB": "a100-pcie-40gb", "Tesla_V100-PCIE-32GB": "v100-pcie-32gb",
                "Tesla_T4": "t4", "Tesla_P100-PCIE-16GB": "p100-pcie-16gb", "Tesla_P4": "p4"}
NEUSIGHT_MODEL = {"gpt2_large": "gpt2-large"}


@dataclass
class TrainingLabel:
    gpu: str
    model: str
    seq: int
    batch: int
    option: str            # "" (one GPU), dp4, tp4, pp4_1
    measured_s: float


def neusight_training_labels(root: str | Path) -> list[TrainingLabel]:
    out = []
    for f in sorted((Path(root) / "neusight" / "labels").glob("*/*-train-*.json")):
        parts = f.stem.split("-")
        if parts[0] not in NEUSIGHT_MODEL or f.parent.name not in NEUSIGHT_GPU:
            continue
        try:
            seq, batch = int(parts[2]), int(parts[3])
        except (IndexError, ValueError):
            continue
        option = parts[4] if len(parts) > 4 else ""
        if option == "fusion":
            continue
        d = json.loads(f.read_text(encoding="utf-8"))
        out.append(TrainingLabel(f.parent.name, parts[0], seq, batch, option, float(d["e2e_latency"]) * 1e-3))
    return out


def parallel_of(option: str):
    from graphs_llm.training import ParallelConfig
    if not option:
        return ParallelConfig()
    if option.startswith("dp"):
        return ParallelConfig(dp=int(option[2:]))
    if option.startswith("tp"):
        return ParallelConfig(tp=int(option[2:]))
    if option.startswith("pp"):
        stages, _, mb = option[2:].partition("_")
        return ParallelConfig(pp=int(stages), micro_batches=int(mb or 1))
    raise GraphsError(f"unknown NeuSight option {option!r}")


def neusight_training_accuracy(root: str | Path, plugins: Any, system_id: str = "dgx-a100-320gb") -> list[dict[str, Any]]:
    """Predict every NeuSight GPT-2 training label (see module docstring); one dict per label."""
    from graphs_distributed.system import system_for
    from graphs_llm.training import TrainingOptions, training_step
    from graphs.frontends import LoadOptions, load_model
    from graphs_llm.config import LLMConfig
    base_system = system_for(system_id)
    out = []
    cfgs: dict[str, Any] = {}
    for lab in neusight_training_labels(root):
        zoo = NEUSIGHT_MODEL[lab.model]
        if zoo not in cfgs:
            cfgs[zoo] = LLMConfig.from_graph(load_model(zoo, LoadOptions(batch=1, seq_len=8), plugins))
        hw = NEUSIGHT_GPU[lab.gpu]
        mapper = plugins.mapper_for(hw)
        par = parallel_of(lab.option)
        # the data name no machine; GPUs of one NeuSight GPU type sit on a DGX-A100-like NVSwitch node
        # (the shipped system's network, with this GPU's own spec)
        system = base_system.model_copy(update={"device": hw})
        opts = TrainingOptions(global_batch=lab.batch, seq_len=lab.seq, precision="fp32", optimizer=False,
                               fused_attention=False, runtime="eager")
        rep = training_step(cfgs[zoo], mapper, system, par, opts)
        roof = training_step(cfgs[zoo], mapper, system, par, replace(opts, runtime="roofline"))  # spec-only baseline
        out.append({"gpu": lab.gpu, "hardware": hw, "model": lab.model, "option": lab.option or "1 GPU",
                    "batch": lab.batch, "seq": lab.seq, "measured_ms": lab.measured_s * 1e3,
                    "graphs_ms": rep.step_s * 1e3, "ape": abs(rep.step_s - lab.measured_s) / lab.measured_s,
                    "interval_ms": (rep.low_s * 1e3, rep.high_s * 1e3),
                    "inside": rep.low_s <= lab.measured_s <= rep.high_s, "confidence": rep.confidence,
                    "roofline_ms": roof.step_s * 1e3, "roofline_ape": abs(roof.step_s - lab.measured_s) / lab.measured_s,
                    "breakdown_ms": {k: v * 1e3 for k, v in rep.breakdown.items() if v}})
    return out
