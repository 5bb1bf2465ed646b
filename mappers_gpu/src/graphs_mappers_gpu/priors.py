"""Efficiency priors: measured / modelled time ratios per kernel group, from data.

The table ships as ``data/priors.json``, written by ``benchmarks/derive_gpu_priors.py`` from
the kernel measurements in ``../shared/data`` (NeuSight, VIDUR, LLMCompass). A group is a
kernel class and the unit it ran on:

``matmul.cuda_core``, ``matmul.tensor_core``, ``conv.cuda_core``, ``conv.tensor_core``,
``elementwise``, ``norm``, ``softmax``, ... Groups without measurements of their own are
**aliases** that borrow another group's distribution; the prior's ``source`` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from graphs.errors import SpecError
from graphs.mapper import EfficiencyPrior
from graphs.ops.registry import Category
from graphs.partition import Kernel

PRIORS_FILE = "priors.json"
_MATRIX_CLASS = {Category.CONV: "conv", Category.MATMUL: "matmul", Category.ATTENTION: "attention",
                 Category.RECURRENT: "recurrent"}


def group_key(kernel: Kernel, unit_name: str) -> str:
    """``<class>.<unit>`` for kernels that ran on a matrix path, else the category name."""
    cls = _MATRIX_CLASS.get(kernel.category)
    return f"{cls}.{unit_name}" if cls else kernel.category.value


@dataclass(frozen=True)
class PriorTable:
    """Groups (``median/low/high/n``) and aliases loaded from a priors file."""

    groups: Mapping[str, Mapping[str, Any]]
    aliases: Mapping[str, str]
    source: str
    overheads: Mapping[str, Any] = field(default_factory=dict)
    dispatch: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = PRIORS_FILE) -> "PriorTable":
        try:
            groups, aliases, source = data["groups"], data.get("aliases", {}), data["source"]
            for k, g in groups.items():
                EfficiencyPrior(float(g["median"]), float(g["low"]), float(g["high"]), source, int(g["n"]))
        except (KeyError, TypeError, ValueError) as e:
            raise SpecError(f"{origin}: malformed GPU priors file ({type(e).__name__}: {e})") from None
        for a, target in aliases.items():
            if target not in groups:
                raise SpecError(f"{origin}: alias {a!r} points to unknown group {target!r}")
        return cls(groups, aliases, source, data.get("overheads", {}), data.get("dispatch_scale", {}), data)

    def resolve(self, key: str) -> tuple[str, bool]:
        """(group the key uses, whether it is borrowed)."""
        if key in self.groups:
            return key, False
        if key in self.aliases:
            return self.aliases[key], True
        base = key.split(".", 1)[0]
        if base in self.aliases:
            return self.aliases[base], True
        raise SpecError(f"GPU priors have no group for {key!r} (groups: {', '.join(sorted(self.groups))})")

    def prior(self, key: str, power_class: str | None = None) -> EfficiencyPrior:
        """Prior of ``key``, from the ``key@power_class`` group when the file has one (each answer is
        built once: the table does not change)."""
        cache = self.__dict__.setdefault("_answers", {})
        got = cache.get((key, power_class))
        if got is None:
            got = cache[(key, power_class)] = self._prior(key, power_class)
        return got

    def _prior(self, key: str, power_class: str | None) -> EfficiencyPrior:
        target, borrowed = self.resolve(key)
        if power_class and f"{target}@{power_class}" in self.groups:
            target = f"{target}@{power_class}"
        return self._make(target, key if borrowed else None)

    def dispatch_scale(self, kernel: Kernel) -> tuple[float, float, float]:
        """(median, low, high) multiplier of ``op_dispatch`` for this kernel's kind.

        Kinds measured on their own (linear, matmul, conv, layer_norm, softmax) use their
        entry; elementwise kinds and kinds without measurements use the elementwise entry.
        """
        key = "elementwise" if kernel.category is Category.ELEMENTWISE else kernel.kind
        d = self.dispatch.get(key) or self.dispatch.get("elementwise")
        if not d:
            return 1.0, 1.0, 1.0
        return float(d["median"]), float(d["low"]), float(d["high"])

    def _make(self, target: str, borrowed_for: str | None) -> EfficiencyPrior:
        g = self.groups[target]
        note = f"group {target}" + (f", borrowed for {borrowed_for} (no measurements of its own)" if borrowed_for else "")
        return EfficiencyPrior(float(g["median"]), float(g["low"]), float(g["high"]),
                               f"{self.source} [{note}]", int(g["n"]))


def load_priors(path: str | Path | None = None) -> PriorTable:
    """The shipped priors (or the file at ``path``)."""
    if path is None:
        text = resources.files("graphs_mappers_gpu").joinpath("data", PRIORS_FILE).read_text(encoding="utf-8")
        origin = PRIORS_FILE
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise SpecError(f"{path}: cannot read GPU priors ({e.strerror or e})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"{origin}: malformed JSON at line {e.lineno}: {e.msg}") from None
    return PriorTable.from_dict(data, origin)
