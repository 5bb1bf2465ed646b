"""Efficiency priors of the edge family: transferred from the GPU family, widened.

``data/priors.json`` (written by ``benchmarks/derive_transferred_priors.py``) has four groups:
``npu.matrix`` / ``npu.vector`` (from the GPU's tensor-core matmul and elementwise groups) and
``cpu.matrix`` / ``cpu.vector`` (from the low-power GPUs' CUDA-core matmul and elementwise
groups — general-purpose cores at a low power limit). No edge NPU or Arm SoC measurement is
in ``../shared/data``; every interval is widened by the file's ``widening`` factor each way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

from graphs.errors import SpecError
from graphs.mapper import EfficiencyPrior
from graphs.partition import Kernel


@dataclass(frozen=True)
class EdgePriors:
    groups: Mapping[str, Mapping[str, Any]]
    source: str

    def prior(self, kernel: Kernel, place: str) -> EfficiencyPrior:
        side = "npu" if place == "npu" else "cpu"
        key = f"{side}.{'matrix' if kernel.category.is_matrix else 'vector'}"
        g = self.groups[key]
        return EfficiencyPrior(float(g["median"]), float(g["low"]), float(g["high"]),
                               f"{self.source} [group {key}: {g['from']}]", int(g["n"]))


def load_priors() -> EdgePriors:
    text = resources.files("graphs_mappers_edge").joinpath("data", "priors.json").read_text(encoding="utf-8")
    try:
        d = json.loads(text)
        return EdgePriors(d["groups"], d["source"])
    except (json.JSONDecodeError, KeyError) as e:
        raise SpecError(f"priors.json: malformed edge priors ({type(e).__name__}: {e})") from None
