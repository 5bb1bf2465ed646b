"""The llm-analysis adapter: an :class:`~graphs_llm.peers.LLMStepJob` → ``llm_analysis_driver.py`` → s.

llm-analysis (Cheng Li, ``pip install llm-analysis``) estimates LLM training and inference
latency and memory from the model, GPU, data type and parallelism configs: each layer's time
is max(FLOPs / (peak · flops efficiency), bytes / (HBM · memory efficiency)), plus tensor-
parallel communication; a decode step also loads and stores the KV cache. The adapter builds
its configs from graphs' numbers (no shipped config file is used, so any graphs GPU works) and
keeps its default efficiencies (1.0). Its MLP FLOPs are those of a 4h two-matrix MLP whatever
the width; a gated MLP is given as ``ffn_embed_dim = 1.5 × intermediate`` so the weight bytes
(which bound decode) are right. The result is ``decode_latency`` (one step of the batch) or
``prefill_latency``.
"""

from __future__ import annotations

from typing import Any, Mapping

from graphs.results import ConfidenceLevel, EstimationResult
from graphs_llm.peers import DeviceNumbers, LLMStepPeer
from graphs_tools import PackageSpec, PythonToolAdapter, ToolOutputError, point_result

PACKAGE = PackageSpec("llm-analysis", ("llm-analysis==0.2.2",), module="llm_analysis")


class LLMAnalysisAdapter(LLMStepPeer, PythonToolAdapter):
    name = "llm-analysis"
    description = "llm-analysis: analytical latency and memory of LLM training and inference (configs in, roofline out)"
    homepage = "https://github.com/cli99/llm-analysis"
    package = PACKAGE
    peer_label = "llm-analysis"
    driver = "llm_analysis_driver.py"

    compare_facts = {
        "fitted": False,
        "install": "pip install llm-analysis (`graphs tools install llm-analysis`: its own environment)",
        "one_step": True,
        "formats": "model/GPU/dtype config JSON (or a Hugging Face config.json)", "standard_formats": False,
        "scope": "per-layer roofline of prefill and decode (+ KV cache and TP communication), layers summed",
        "levels": ("model",), "hw_by_config": True,
        "hw_how": "a GPU config of memory, HBM and link bandwidth, link latency and peak FLOP/s",
        "source": "pypi.org/project/llm-analysis; docs/tools/llm-analysis.md"}

    def result_from(self, workload: Any, record: Mapping[str, Any], source: str) -> EstimationResult:
        s = record.get("latency_s")
        if not isinstance(s, (int, float)) or not s > 0:
            raise ToolOutputError(f"{source}: no positive latency_s in llm-analysis' record")
        phase = record.get("phase", "")
        metrics = {k: record[k] for k in ("summary", "flops_efficiency", "hbm_memory_efficiency", "wall_s")
                   if k in record}
        metrics.update(phase=phase, tool_version=record.get("_tool_version"))
        note = ("decode_latency: one step of the whole batch, KV cache loaded and stored"
                if phase == "decode" else "prefill_latency of the whole batch")
        hw = self.workload_hardware(workload)
        return point_result(float(s), "s", estimator=self.name, hardware=hw, source=source,
                            notes=(note, "efficiencies: llm-analysis defaults (flops 1.0, HBM 1.0)",
                                   "MLP FLOPs as a 4h two-matrix MLP (llm-analysis); weights from ffn_embed_dim"),
                            metrics=metrics, confidence=ConfidenceLevel.THEORETICAL)

    # --- what graphs compare asks (the rest: LLMStepPeer) -------------------------------------------
    def hardware_evidence(self, hardware: str, numbers: DeviceNumbers) -> str:
        return (f"llm-analysis' GPUConfig is built from any graphs GPU spec ({hardware}: "
                f"{numbers.memory_bytes / 1e9:.0f} GB, {numbers.hbm_bandwidth / 1e9:.0f} GB/s)")
