"""graphs' serving scenario (:class:`graphs_llm.scenario.ServingScenario`) as VIDUR's :class:`ServingScenario`.

A thin converter: the same request stream definition runs through graphs' simulator
(``graphs serving simulate``) and through VIDUR. Fixed lengths map to VIDUR's fixed generator;
every other distribution is written as a length trace (``request_lengths.csv`` with VIDUR's
``num_prefill_tokens,num_decode_tokens`` columns) holding exactly the lengths graphs simulates
(VIDUR shuffles a trace with its seed: same lengths, another order). Arrivals: VIDUR draws its own
Poisson process at the same rate and seed (same distribution, not the same instants).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from graphs_tools import ToolInputError
from graphs_vidur.scenario import NETWORK_DEVICES, ServingScenario, vidur_device

# graphs zoo name -> the Hugging Face id VIDUR's model configs use
VIDUR_MODELS = {
    "llama2-7b": "meta-llama/Llama-2-7b-hf", "llama2-13b": "meta-llama/Llama-2-13b-hf",
    "llama3-8b": "meta-llama/Meta-Llama-3-8B", "phi-2": "microsoft/phi-2",
    "mistral-7b": "mistralai/Mistral-7B-v0.1", "mixtral-8x7b": "mistralai/Mixtral-8x7B-v0.1",
}
TRACE_FILE = "request_lengths.csv"


def write_length_trace(scenario: Any, path: str | Path) -> Path:
    """The scenario's request lengths as a VIDUR length trace."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["num_prefill_tokens", "num_decode_tokens"])
        for r in scenario.requests():
            w.writerow([r.prefill, r.decode])
    return p


def from_scenario(scenario: Any, plugins: Any = None, out_dir: str | Path | None = None,
                  model_id: str | None = None) -> ServingScenario:
    """VIDUR's scenario for a graphs :class:`~graphs_llm.scenario.ServingScenario` (writes the length trace
    into ``out_dir`` when the lengths are not fixed)."""
    model = model_id or VIDUR_MODELS.get(scenario.model)
    if model is None:
        raise ToolInputError(f"{scenario.model}: no VIDUR model id known; pass model_id='org/name'")
    hw = scenario.hardware
    if plugins is not None:
        try:
            hw = plugins.hardware_entry(hw).spec
        except Exception:  # a system id: VIDUR needs the device
            from graphs_distributed.system import find_system
            s = find_system(scenario.hardware)
            hw = plugins.hardware_entry(s.device).spec if s is not None else hw
    dev = vidur_device(hw)
    if scenario.weight_dtype or scenario.precision != "fp16":
        raise ToolInputError("VIDUR profiles fp16 models only (no --weight-dtype, --precision fp16)")
    lens = scenario.lengths
    fields: dict[str, Any] = {
        "model": model, "device": dev, "network_device": NETWORK_DEVICES[dev], "tensor_parallel": scenario.tp,
        "pipeline_stages": 1, "replicas": 1, "qps": scenario.qps, "num_requests": scenario.num_requests,
        "scheduler": scenario.scheduler, "batch_size_cap": scenario.batch_size_cap, "chunk_size": scenario.chunk_size,
        "max_tokens_in_batch": scenario.max_tokens_in_batch, "seed": scenario.seed,
    }
    reqs = scenario.requests()
    longest = max(r.prefill + r.decode for r in reqs)
    if lens.kind == "fixed":
        fields.update(prefill_tokens=lens.prefill, decode_tokens=lens.decode, max_tokens=max(4096, longest))
    else:
        if out_dir is None:
            raise ToolInputError(f"{lens.kind} lengths go to VIDUR as a trace file: give out_dir")
        trace = write_length_trace(scenario, Path(out_dir) / TRACE_FILE)
        fields.update(trace_file=str(trace.resolve()), max_tokens=max(4096, longest))
    return ServingScenario(**fields)
