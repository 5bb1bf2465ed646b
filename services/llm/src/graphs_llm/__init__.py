"""LLM serving and training support: architecture configs, the iteration builder (IR of one
serving iteration), kernel timing under a runtime, inference phases (TTFT/TPOT/memory), serving
scenarios and a request-level simulator, and accuracy against VIDUR's profiles.

See docs/llm_serving.md.
"""

import importlib
from typing import Any

_EXPORTS = {
    "AttentionImpl": "graphs_llm.builder",
    "Chunk": "graphs_llm.builder",
    "DecoderBuilder": "graphs_llm.builder",
    "IterationModel": "graphs_llm.serving",
    "LLMConfig": "graphs_llm.config",
    "LLMCostModel": "graphs_llm.cost",
    "Lengths": "graphs_llm.scenario",
    "Precision": "graphs_llm.builder",
    "Request": "graphs_llm.scenario",
    "ServeOptions": "graphs_llm.inference",
    "ServeReport": "graphs_llm.inference",
    "ServingResult": "graphs_llm.serving",
    "ServingScenario": "graphs_llm.scenario",
    "analyze_serve": "graphs_llm.inference",
    "simulate": "graphs_llm.serving",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: `graphs` commands import this package without numpy work
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
