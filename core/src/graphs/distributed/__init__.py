"""Multi-GPU systems (sourced YAML specs), the α–β collective model, and the training-step model
for data, tensor, pipeline and expert parallelism. See docs/distributed.md.
"""

import importlib
from typing import Any

_EXPORTS = {
    "COLLECTIVES": "graphs.distributed.collectives",
    "CollectiveModel": "graphs.distributed.collectives",
    "Link": "graphs.distributed.collectives",
    "ParallelConfig": "graphs.distributed.training",
    "SystemSpec": "graphs.distributed.system",
    "TrainingOptions": "graphs.distributed.training",
    "TrainingReport": "graphs.distributed.training",
    "builtin_systems": "graphs.distributed.system",
    "find_system": "graphs.distributed.system",
    "one_level": "graphs.distributed.collectives",
    "system_for": "graphs.distributed.system",
    "training_step": "graphs.distributed.training",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: `graphs` commands import this package without numpy work
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
