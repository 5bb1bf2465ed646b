"""What a sweep covers: the axes (from CLI flags or a YAML sweep file), the points of their cross
product, how points are grouped into tasks, and each point's resumability key.

Modes:

* ``forward`` — one forward pass (``graphs analyze``): models × devices × batch × precision ×
  sequence length × fusion;
* ``serve`` — one LLM serving replica (``graphs serve``): models × devices × batch × precision ×
  prompt length × generated length × tensor parallelism;
* ``train`` — one LLM training step (``graphs train``): models × devices or systems × global
  batch × precision × sequence length × (dp, tp, pp).

A point's key is a hash of the point, the graphs version and a fingerprint of the device's spec
and calibration, so a re-run skips exactly the points whose answer cannot have changed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from graphs.errors import GraphsError

MODES = ("forward", "serve", "train")
FUSIONS = ("auto", "default", "none")
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Point:
    """One configuration. ``precision`` "" is the model's own dtype (forward mode); ``seq_len`` 0 is
    the model's default (or not a sequence model)."""

    mode: str
    model: str
    hardware: str
    batch: int = 1
    precision: str = ""
    seq_len: int = 0
    fusion: str = "auto"
    prompt_len: int = 0
    gen_len: int = 0
    dp: int = 1
    tp: int = 1
    pp: int = 1

    def group(self) -> tuple:
        """Points of one task share a trace and (forward mode) one analysis per fusion policy."""
        return (self.mode, self.model, self.batch, self.seq_len, self.precision, self.prompt_len)

    def key(self, version: str, fingerprint: str) -> str:
        payload = json.dumps({"point": asdict(self), "graphs": version, "device": fingerprint}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass
class SweepSpec:
    """The axes of a sweep (lists; the cross product is taken)."""

    mode: str = "forward"
    models: list[str] = field(default_factory=list)
    hardware: list[str] = field(default_factory=list)
    batch: list[int] = field(default_factory=lambda: [1])
    precision: list[str] = field(default_factory=lambda: [""])
    seq_len: list[int] = field(default_factory=lambda: [0])
    fusion: list[str] = field(default_factory=lambda: ["auto"])
    prompt_len: list[int] = field(default_factory=lambda: [512])
    gen_len: list[int] = field(default_factory=lambda: [128])
    dp: list[int] = field(default_factory=lambda: [1])
    tp: list[int] = field(default_factory=lambda: [1])
    pp: list[int] = field(default_factory=lambda: [1])

    def check(self) -> None:
        if self.mode not in MODES:
            raise GraphsError(f"sweep mode {self.mode!r}: expected one of {', '.join(MODES)}")
        if not self.models:
            raise GraphsError("sweep: give at least one model (--model or models: in the sweep file)")
        if not self.hardware:
            raise GraphsError("sweep: give at least one device (--hardware or hardware: in the sweep file)")
        for name in ("batch", "seq_len", "prompt_len", "gen_len", "dp", "tp", "pp"):
            for v in getattr(self, name):
                if not isinstance(v, int) or isinstance(v, bool) or v < (0 if name == "seq_len" else 1) or v > 2**31 - 1:
                    raise GraphsError(f"sweep: {name} {v!r} must be a positive integer")
        for f in self.fusion:
            if f not in FUSIONS:
                raise GraphsError(f"sweep: fusion {f!r}: expected one of {', '.join(FUSIONS)}")
        from graphs.hardware.schema import PRECISION_DTYPE
        for p in self.precision:
            if p and p not in PRECISION_DTYPE:
                raise GraphsError(f"sweep: unknown precision {p!r} (expected one of {', '.join(PRECISION_DTYPE)})")
        if self.mode != "forward" and "" in self.precision:
            self.precision = [p or ("fp16" if self.mode == "serve" else "bf16") for p in self.precision]
        n = self.size()
        if n > MAX_POINTS:
            raise GraphsError(f"sweep: {n:,} points is more than {MAX_POINTS:,}; split the sweep")

    def size(self) -> int:
        n = len(self.models) * len(self.hardware) * len(self.batch) * len(self.precision)
        if self.mode == "forward":
            return n * len(self.seq_len) * len(self.fusion)
        if self.mode == "serve":
            return n * len(self.prompt_len) * len(self.gen_len) * len(self.tp)
        return n * len(self.seq_len) * len(self.dp) * len(self.tp) * len(self.pp)

    def points(self) -> list[Point]:
        out: list[Point] = []
        base = itertools.product(self.models, self.batch, self.precision)
        for model, batch, prec in base:
            for hw in self.hardware:
                if self.mode == "forward":
                    for s, fu in itertools.product(self.seq_len, self.fusion):
                        out.append(Point("forward", model, hw, batch, prec, s, fu))
                elif self.mode == "serve":
                    for p, g, tp in itertools.product(self.prompt_len, self.gen_len, self.tp):
                        out.append(Point("serve", model, hw, batch, prec, 0, "auto", p, g, 1, tp, 1))
                else:
                    for s, dp, tp, pp in itertools.product(self.seq_len, self.dp, self.tp, self.pp):
                        out.append(Point("train", model, hw, batch, prec, s or 1024, "auto", 0, 0, dp, tp, pp))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


LIST_FIELDS = {f.name for f in fields(SweepSpec)} - {"mode"}
INT_FIELDS = {"batch", "seq_len", "prompt_len", "gen_len", "dp", "tp", "pp"}


def split_list(text: str, name: str, as_int: bool = False) -> list[Any]:
    """``"1,8,32"`` -> [1, 8, 32]; ``"resnet50, bert-base"`` -> names (empty items dropped)."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not as_int:
        return items
    out = []
    for t in items:
        try:
            out.append(int(t))
        except ValueError:
            raise GraphsError(f"--{name.replace('_', '-')} {t!r}: expected integers separated by commas") from None
    return out


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        items = split_list(value, name, as_int=name in INT_FIELDS)
    else:
        items = [value]
    if name in INT_FIELDS:
        for v in items:
            if not isinstance(v, int) or isinstance(v, bool):
                raise GraphsError(f"sweep file: {name}: {v!r} is not an integer")
    elif name == "precision":
        items = ["" if v in (None, "native", "model") else str(v) for v in items]
    else:
        items = [str(v) for v in items]
    return items


def spec_from_mapping(data: Mapping[str, Any], where: str = "sweep file") -> SweepSpec:
    """A SweepSpec from a YAML mapping (``models``, ``hardware``, ``batch`` ... lists or scalars)."""
    if not isinstance(data, Mapping):
        raise GraphsError(f"{where}: expected a mapping of axes (models:, hardware:, batch: ...)")
    aliases = {"model": "models", "devices": "hardware", "device": "hardware", "precisions": "precision",
               "batches": "batch"}
    spec = SweepSpec()
    for k, v in data.items():
        key = aliases.get(str(k), str(k))
        if key == "mode":
            spec.mode = str(v)
        elif key in LIST_FIELDS:
            items = _as_list(v, key)
            if items:
                setattr(spec, key, items)
        else:
            raise GraphsError(f"{where}: unknown key {k!r} (known: mode, {', '.join(sorted(LIST_FIELDS))})")
    return spec


def load_sweep_file(path: Path) -> SweepSpec:
    from graphs.hardware.schema import read_yaml
    from graphs.errors import SpecError
    try:
        data = read_yaml(path, "sweep file")
    except SpecError as e:
        raise GraphsError(str(e)) from None
    return spec_from_mapping(data or {}, path.name)


def resolve_hardware(selectors: Sequence[str], plugins: Any) -> list[str]:
    """Device ids for ``selectors``: an id or alias, a spec YAML path, ``all`` (every installed device
    whose family engine is installed, the host CPU excepted: name ``host`` to include it) or
    ``family:NAME``. Unknown ids fail now (one line), before anything is traced."""
    out: list[str] = []
    for sel in selectors:
        if sel == "all" or sel.startswith("family:"):
            fam = sel.partition(":")[2] if sel != "all" else None
            ids = sorted(h for h, e in plugins.hardware.items()
                         if h != "host" and _family(e) in plugins.mappers and (fam is None or _family(e) == fam))
            if not ids:
                raise GraphsError(f"--hardware {sel}: no installed device matches")
            out.extend(ids)
        else:
            try:
                sid = plugins.hardware_entry(sel).spec.id
            except GraphsError:
                from graphs_distributed.system import find_system
                s = find_system(sel)
                if s is None:
                    raise
                sid = s.id
            out.append(sel if sel.endswith((".yaml", ".yml")) else sid)
    seen: set[str] = set()
    return [h for h in out if not (h in seen or seen.add(h))]


def _family(entry: Any) -> str:
    fam = getattr(entry, "family", "") or ""
    return fam or entry.spec.family


def device_fingerprint(hw: str, plugins: Any) -> str:
    """Hash of the device's spec and calibration (what an estimate on it depends on besides code)."""
    try:
        entry = plugins.hardware_entry(hw)
        spec = entry.spec
        cal = plugins.calibration_for(hw) if not hw.endswith((".yaml", ".yml")) else None
        text = spec.model_dump_json() + "|" + (cal.model_dump_json() if cal is not None else "none")
    except GraphsError:
        from graphs_distributed.system import find_system
        s = find_system(hw)
        if s is None:
            raise
        text = s.model_dump_json()
        try:
            cal = plugins.calibration_for(s.device)
            text += "|" + plugins.hardware_entry(s.device).spec.model_dump_json() + "|" + (
                cal.model_dump_json() if cal is not None else "none")
        except GraphsError:
            pass
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def group_points(points: Iterable[Point]) -> list[list[Point]]:
    """Tasks: points that share a trace (and, forward mode, analyses), in first-seen order."""
    groups: dict[tuple, list[Point]] = {}
    for p in points:
        groups.setdefault(p.group(), []).append(p)
    return list(groups.values())


def with_overrides(spec: SweepSpec, **axes: Any) -> SweepSpec:
    """``spec`` with every axis given (not None) replaced."""
    changes = {k: v for k, v in axes.items() if v is not None and v != []}
    return replace(spec, **changes)
