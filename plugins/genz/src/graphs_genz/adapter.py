"""The GenZ adapter: an :class:`~graphs_llm.peers.LLMStepJob` → ``genz_driver.py`` in GenZ's environment → ms.

GenZ (``genz-llm`` on PyPI; Bambhaniya et al., "Demystifying Platform Requirements for Diverse
LLM Inference Use Cases", 2024) is an analytical model: every operator of the decoder is timed
as max(compute at the peak, memory traffic at the bandwidth) plus collectives over the
interconnect. The adapter gives it graphs' numbers for the device (dense peak at the precision,
HBM bandwidth and capacity, link bandwidth/latency of graphs' system) as a ``real_values``
system dict, the architecture as a ``GenZ.ModelConfig`` (gated MLP = ``num_ffi=2``), and beam
size 1 (GenZ's decode default is 4). Efficiencies stay at GenZ's default 1.0: the tool as users
run it. The result is the step's latency: a decode step for the whole batch (= the time between
two tokens of one sequence), or the whole prefill.
"""

from __future__ import annotations

from typing import Any, Mapping

from graphs.results import ConfidenceLevel, EstimationResult
from graphs_llm.peers import DeviceNumbers, LLMStepPeer
from graphs_tools import PackageSpec, PythonToolAdapter, ToolOutputError, point_result

PACKAGE = PackageSpec("genz-llm", ("genz-llm==0.0.16",), module="GenZ")


class GenZAdapter(LLMStepPeer, PythonToolAdapter):
    name = "genz"
    description = "GenZ (genz-llm): analytical LLM inference model (operators at roofline, collectives, offload)"
    homepage = "https://github.com/abhibambhaniya/GenZ-LLM-Analyzer"
    package = PACKAGE
    peer_label = "GenZ"
    driver = "genz_driver.py"

    compare_facts = {
        "fitted": False,
        "install": "pip install genz-llm (`graphs tools install genz-llm`: its own environment)", "one_step": True,
        "formats": "model architecture numbers (GenZ ModelConfig) or one of its 80+ built-in model names",
        "standard_formats": False,
        "scope": "per-operator roofline of one prefill or decode step, summed over the layers (+ collectives)",
        "levels": ("kernel", "model"), "hw_by_config": True,
        "hw_how": "a system dict of peak FLOP/s, memory bandwidth and size, link bandwidth and latency",
        "source": "pypi.org/project/genz-llm; docs/tools/genz.md"}

    def result_from(self, workload: Any, record: Mapping[str, Any], source: str) -> EstimationResult:
        ms = record.get("latency_ms")
        if not isinstance(ms, (int, float)) or not ms > 0:
            raise ToolOutputError(f"{source}: no positive latency_ms in GenZ's record")
        phase = record.get("phase", "")
        metrics = {k: record[k] for k in ("breakdown_ms", "summary", "throughput", "is_offload", "wall_s") if k in record}
        metrics["phase"] = phase
        metrics["tool_version"] = record.get("_tool_version")
        note = ("decode: one step of the whole batch (beam 1) = the time between two tokens of a sequence"
                if phase == "decode" else "prefill of the whole batch")
        hw = self.workload_hardware(workload)
        return point_result(float(ms), "ms", estimator=self.name, hardware=hw, source=source,
                            notes=(note, "GenZ system_eff = 1 (its default)"), metrics=metrics,
                            confidence=ConfidenceLevel.THEORETICAL)

    # --- what graphs compare asks (the rest: LLMStepPeer) -------------------------------------------
    def hardware_evidence(self, hardware: str, numbers: DeviceNumbers) -> str:
        return (f"GenZ's system dict is written from any graphs GPU spec ({hardware}: "
                f"{numbers.peak_flops / 1e12:.0f} TFLOP/s, {numbers.hbm_bandwidth / 1e9:.0f} GB/s)")
