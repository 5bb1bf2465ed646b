"""Multi-GPU systems (sourced YAML specs), the α–β collective model, and the training-step model
for data, tensor, pipeline and expert parallelism. See docs/distributed.md.
"""

import importlib
from typing import Any

_EXPORTS = {
    "COLLECTIVES": "graphs_distributed.collectives",
    "CollectiveModel": "graphs_distributed.collectives",
    "Link": "graphs_distributed.collectives",
    "ParallelConfig": "graphs_llm.training",
    "SystemSpec": "graphs_distributed.system",
    "TrainingOptions": "graphs_llm.training",
    "TrainingReport": "graphs_llm.training",
    "builtin_systems": "graphs_distributed.system",
    "find_system": "graphs_distributed.system",
    "one_level": "graphs_distributed.collectives",
    "system_for": "graphs_distributed.system",
    "training_step": "graphs_llm.training",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: `graphs` commands import this package without numpy work
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
