"""LLM serving and training support: architecture configs, the iteration builder (IR of one
serving iteration), kernel timing under a runtime, inference phases (TTFT/TPOT/memory), serving
scenarios and a request-level simulator, and accuracy against VIDUR's profiles.

See docs/llm_serving.md.
"""

import importlib
from typing import Any

_EXPORTS = {
    "AttentionImpl": "graphs.llm.builder",
    "Chunk": "graphs.llm.builder",
    "DecoderBuilder": "graphs.llm.builder",
    "IterationModel": "graphs.llm.serving",
    "LLMConfig": "graphs.llm.config",
    "LLMCostModel": "graphs.llm.cost",
    "Lengths": "graphs.llm.scenario",
    "Precision": "graphs.llm.builder",
    "Request": "graphs.llm.scenario",
    "ServeOptions": "graphs.llm.inference",
    "ServeReport": "graphs.llm.inference",
    "ServingResult": "graphs.llm.serving",
    "ServingScenario": "graphs.llm.scenario",
    "analyze_serve": "graphs.llm.inference",
    "simulate": "graphs.llm.serving",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: `graphs` commands import this package without numpy work
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
