"""Efficiency priors of the accelerator family: transferred from the GPU family, widened.

``data/priors.json`` is written by ``benchmarks/derive_transferred_priors.py``: no public
accelerator measurements exist in ``../shared/data``, so each group (``matrix``,
``elementwise``, ``norm``, ``softmax``) carries the GPU family's measured ratio of real to
modelled kernel time, its 5th–95th percentile interval widened by the file's ``widening``
factor each way. Estimates that use them are THEORETICAL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

from graphs.errors import SpecError
from graphs.mapper import EfficiencyPrior
from graphs.ops.registry import Category

PRIORS_FILE = "priors.json"


def group_of(category: Category, aliases: Mapping[str, str]) -> str:
    """The group a kernel category uses (its own name, or an alias)."""
    return aliases.get(category.value, category.value)


@dataclass(frozen=True)
class AccelPriors:
    groups: Mapping[str, Mapping[str, Any]]
    aliases: Mapping[str, str]
    source: str

    def prior(self, category: Category) -> EfficiencyPrior:
        key = group_of(category, self.aliases)
        g = self.groups.get(key)
        if g is None:
            raise SpecError(f"accel priors have no group {key!r} (for {category.value})")
        borrowed = "" if key == category.value else f", borrowed for {category.value}"
        return EfficiencyPrior(float(g["median"]), float(g["low"]), float(g["high"]),
                               f"{self.source} [group {key}: {g['from']}{borrowed}]", int(g["n"]))


def load_priors() -> AccelPriors:
    text = resources.files("graphs_mappers_accel").joinpath("data", PRIORS_FILE).read_text(encoding="utf-8")
    try:
        d = json.loads(text)
        return AccelPriors(d["groups"], d.get("aliases", {}), d["source"])
    except (json.JSONDecodeError, KeyError) as e:
        raise SpecError(f"{PRIORS_FILE}: malformed accel priors ({type(e).__name__}: {e})") from None
