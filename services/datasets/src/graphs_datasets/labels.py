"""NeuSight-style model labels: one transformer layer as torch.fx nodes, and the whole-model time.

Layout (``neusight/labels/<GPU>/``)::

    <model>-<inf|train>-<seq>-<batch>[-<option>].csv   one row per torch.fx node of the embeddings,
                                                     ONE transformer layer and the head, with
                                                     input/output shapes, dtype and the op's
                                                     measured latency (ms, CUDA events, eager)
    <model>-<inf|train>-<seq>-<batch>[-<option>].json  {num_layer, e2e_latency, fw_latency, bwall_latency} (ms)

:func:`parse_label_csv` turns the CSV into a :class:`LabelGraph`: every node becomes a
:class:`LabelOp` with the :class:`~graphs.partition.Kernel` eager PyTorch launches for it (built
with core's op formulas, :mod:`graphs.kernels`) or ``None`` for nodes that launch no
kernel (views, shape arithmetic on Python values, dropout in eval mode). Nodes are assigned to
``embeddings`` (before the first layer), ``layer`` (the nodes of layer 0, whose
``nn_module_stack`` names ``….layer.0`` / ``….h.0`` / ``….layers.0``) and ``head`` (after it), so
that the whole model composes as ``embeddings + num_layer × layer + head``.
A tensor-producing node of an op this module does not know is an error naming it — never a zero.
"""

from __future__ import annotations

import ast
import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from graphs.kernels import (copy_kernel, elementwise_kernel, embedding_kernel, fill_kernel, gemm_kernel,
                                     known_dtype, make_kernel, numel, rowwise_kernel)
from graphs.errors import GraphsError
from graphs.ir import TensorSpec
from graphs.partition import GemmShape, Kernel

PARTS = ("embeddings", "layer", "head")
TAG = re.compile(r"^(?P<model>[A-Za-z0-9_]+)-(?P<mode>inf|train)-(?P<seq>\d+)-(?P<batch>\d+)(?:-(?P<option>\w+))?$")
_FIRST_LAYER = re.compile(r"(?:^|\.)(?:layer|layers|h|block|blocks)\.0(?:\.|$)")
_NODE_NAMES = re.compile(r"(\w+):")
_MODULE_PATH = re.compile(r"'([\w\.]+)', <class '([\w\.]+)'>")
_CALLABLE = (re.compile(r"<built-in (?:method|function) (\w+)"), re.compile(r"<function (\w+) at"),
             re.compile(r"<class '[\w\.]*?(\w+)'>"))

# nodes that launch no kernel: views, Python-value arithmetic, eval-mode dropout
NO_KERNEL = frozenset({
    "view", "permute", "transpose", "expand", "unsqueeze", "squeeze", "split", "chunk", "getitem", "size", "dim",
    "getattr", "finfo", "Dropout", "dropout", "Identity", "flatten", "narrow", "detach", "t"})
ELEMENTWISE = {
    "add": "add", "iadd": "add", "sub": "sub", "mul": "mul", "truediv": "div", "div": "div", "pow": "pow",
    "tanh": "tanh", "Tanh": "tanh", "gelu": "gelu", "GELU": "gelu", "GELUActivation": "gelu", "relu": "relu",
    "ReLU": "relu", "where": "where", "masked_fill": "where", "masked_fill_": "where", "lt": "lt", "gt": "gt",
    "eq": "eq", "ne": "ne", "le": "le", "ge": "ge", "neg": "neg", "exp": "exp", "sqrt": "sqrt", "rsqrt": "rsqrt",
    "maximum": "maximum", "minimum": "minimum", "sigmoid": "sigmoid", "silu": "silu", "SiLU": "silu",
}
CASTS = frozenset({"to", "type", "type_as", "long", "bool", "float", "half", "int"})
FILLS = frozenset({"ones", "zeros", "full", "arange", "tensor", "ones_like", "zeros_like", "full_like", "empty"})


@dataclass(frozen=True)
class LabelOp:
    """One torch.fx node of a label CSV."""

    index: int
    name: str
    op: str                 # normalised callee: Linear, addmm, softmax, add, view ...
    part: str               # embeddings | layer | head
    measured_s: float       # the node's own measured latency (eager, CUDA events), seconds
    kernel: Kernel | None   # what eager PyTorch launches for it; None: no kernel
    shapes_in: tuple[tuple[int, ...], ...] = ()
    shape_out: tuple[int, ...] = ()
    contiguous_in: tuple[bool, ...] = ()
    in_dtypes: tuple[str | None, ...] = ()
    pre: tuple[Kernel, ...] = ()  # kernels launched before ``kernel`` by the same node (operand copies)

    @property
    def all_kernels(self) -> tuple[Kernel, ...]:
        """Every kernel the node launches, in order (``pre`` then ``kernel``; empty for none)."""
        return (*self.pre, self.kernel) if self.kernel is not None else ()


@dataclass(frozen=True)
class LabelKey:
    model: str
    mode: str
    seq: int
    batch: int
    option: str = ""

    @classmethod
    def from_stem(cls, stem: str) -> "LabelKey":
        m = TAG.match(stem)
        if not m:
            raise GraphsError(f"{stem!r} is not a label name (expected <model>-<inf|train>-<seq>-<batch>[-<option>])")
        return cls(m["model"], m["mode"], int(m["seq"]), int(m["batch"]), m["option"] or "")

    @property
    def tag(self) -> str:
        base = f"{self.model}-{self.mode}-{self.seq}-{self.batch}"
        return f"{base}-{self.option}" if self.option else base


@dataclass(frozen=True)
class ModelLabel:
    """The whole-model measurement of one label (``.json``)."""

    key: LabelKey
    num_layer: int | None
    fw_s: float
    e2e_s: float
    bw_s: float
    path: Path

    @classmethod
    def read(cls, path: str | Path) -> "ModelLabel":
        p = Path(path)
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise GraphsError(f"{p}: cannot read model label ({e})") from None
        try:
            fw, e2e = float(d["fw_latency"]), float(d["e2e_latency"])
        except (KeyError, TypeError, ValueError):
            raise GraphsError(f"{p}: a model label needs fw_latency and e2e_latency (ms)") from None
        if not (math.isfinite(fw) and math.isfinite(e2e) and fw > 0 and e2e > 0):
            raise GraphsError(f"{p}: fw_latency {fw} / e2e_latency {e2e} ms are not positive finite times")
        nl = d.get("num_layer")
        return cls(LabelKey.from_stem(p.stem), int(nl) if nl else None, fw * 1e-3, e2e * 1e-3,
                   float(d.get("bwall_latency") or 0.0) * 1e-3, p)


@dataclass
class LabelGraph:
    """The ops of one label CSV, split into embeddings / layer / head."""

    key: LabelKey
    ops: list[LabelOp]
    path: Path
    unsupported: dict[str, int] = field(default_factory=dict)

    def part(self, name: str) -> list[LabelOp]:
        return [o for o in self.ops if o.part == name]

    @property
    def kernels(self) -> list[LabelOp]:
        return [o for o in self.ops if o.kernel is not None]

    def compose(self, num_layer: int, value: Callable[[LabelOp], float]) -> float:
        """``Σ embeddings + num_layer × Σ layer + Σ head`` of ``value(op)``."""
        s = {p: 0.0 for p in PARTS}
        for o in self.ops:
            s[o.part] += value(o)
        return s["embeddings"] + num_layer * s["layer"] + s["head"]

    def measured(self, num_layer: int, kernels_only: bool = False) -> float:
        """Composed per-op measurements (all nodes, or only those that launch a kernel)."""
        return self.compose(num_layer, lambda o: o.measured_s if (o.kernel is not None or not kernels_only) else 0.0)


def _callee(row: Mapping[str, str], modules: list[tuple[str, str]]) -> str:
    op, target = row.get("op", ""), row.get("target", "")
    if op == "call_module":
        return modules[-1][1].rsplit(".", 1)[-1] if modules else target.rsplit(".", 1)[-1]
    if op == "call_method":
        return target
    for rx in _CALLABLE:
        m = rx.search(target)
        if m:
            return m.group(1)
    return target


def _shape(text: str) -> tuple[int, ...] | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        v = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    if isinstance(v, (list, tuple)) and all(isinstance(d, int) for d in v):
        return tuple(v)
    return None


def _shapes(text: str) -> list[tuple[int, ...]]:
    try:
        v = ast.literal_eval((text or "").strip() or "[]")
    except (ValueError, SyntaxError):
        return []
    out = []
    for s in v if isinstance(v, (list, tuple)) else []:
        if isinstance(s, (list, tuple)) and all(isinstance(d, int) for d in s):
            out.append(tuple(s))
    return out


def _bools(text: str) -> list[bool]:
    try:
        v = ast.literal_eval((text or "").strip() or "[]")
    except (ValueError, SyntaxError):
        return []
    return [bool(x) for x in v] if isinstance(v, (list, tuple)) else []


def op_kernel(callee: str, ins: Sequence[tuple[int, ...]], out: tuple[int, ...], dtype: str,
              contiguous_in: Sequence[bool] = (), in_dtypes: Sequence[str | None] = ()) -> Kernel | None:
    """The kernel eager PyTorch launches for one fx node (None: none); KeyError if unknown.

    ``in_dtypes`` are the dtypes of the node's tensor inputs where known (a cast to the dtype
    a tensor already has returns it unchanged: no kernel).
    """
    if callee in NO_KERNEL:
        return None
    if callee in ("Linear", "linear", "Conv1D"):
        x = ins[0]
        k, n = x[-1], out[-1]
        return gemm_kernel(1, numel(x[:-1]), n, k, dtype, linear=True)
    if callee == "addmm":                        # addmm(bias, x(M,K), W(K,N))
        m, k = ins[1][-2], ins[1][-1]
        return gemm_kernel(1, m, ins[2][-1], k, dtype, linear=True)
    if callee in ("matmul", "bmm", "mm", "baddbmm"):
        a, b = (ins[1], ins[2]) if callee == "baddbmm" else (ins[0], ins[1])
        m, k, n = a[-2] if len(a) > 1 else 1, a[-1], b[-1]
        batch = numel(out[:-2]) if len(out) > 2 else 1
        ta = TensorSpec(a, dtype)
        tb = TensorSpec(b, dtype)
        return make_kernel("matmul", "matmul", [ta, tb], [TensorSpec(out, dtype)], GemmShape(m, n, k, batch))
    if callee in ("softmax", "Softmax", "log_softmax"):
        return rowwise_kernel("log_softmax" if callee == "log_softmax" else "softmax", out, dtype)
    if callee in ("LayerNorm", "layer_norm"):
        return rowwise_kernel("layer_norm", out, dtype)
    if callee in ("Embedding", "embedding"):
        idx = ins[-1] if callee == "embedding" and len(ins) > 1 else ins[0]
        return embedding_kernel(idx, out, dtype)
    if callee in ELEMENTWISE:
        shapes = [s for s in ins if numel(s) > 0] or [out]
        return elementwise_kernel(ELEMENTWISE[callee], shapes, out, dtype)
    if callee in ("max", "min"):                  # torch.max(a, b): elementwise (broadcast); else a reduction
        if len(ins) >= 2 and numel(out) >= max(numel(ins[0]), numel(ins[1])):
            return elementwise_kernel("maximum" if callee == "max" else "minimum", ins[:2], out, dtype)
        return make_kernel(callee, callee, [TensorSpec(ins[0], dtype)], [TensorSpec(out, dtype)])
    if callee in CASTS:
        src = next((d for d in in_dtypes if d), None)
        if src is None or src == dtype or numel(out) == 0:
            return None                            # Python value or same dtype: returned as is
        return copy_kernel(out, dtype, in_dtype=src, kind="cast")
    if callee in ("contiguous", "reshape", "clone"):
        if callee != "clone" and (not contiguous_in or all(contiguous_in)):
            return None                            # already contiguous: a view
        return copy_kernel(out, dtype, kind="contiguous")
    if callee in FILLS:
        return fill_kernel(out, dtype)
    if callee == "cumsum":
        return make_kernel("cumsum", "cumsum", [TensorSpec(ins[0] if ins else out, dtype)], [TensorSpec(out, dtype)])
    raise KeyError(callee)


def operand_copies(callee: str, ins: Sequence[tuple[int, ...]], contiguous_in: Sequence[bool],
                   dtype: str) -> tuple[Kernel, ...]:
    """Copies eager ``torch.matmul`` makes of its operands before the batched GEMM.

    ``matmul`` folds the batch dimensions of an operand of rank ≥ 4 into one with
    ``expand(...).reshape(B, m, k)``; a non-contiguous operand whose batch dimensions cannot be
    viewed as one (the head split of attention: ``view(B, S, H, D).permute(0, 2, 1, 3)``, and its
    transpose) is materialised by a ``clone`` kernel first (checked with a dispatch trace of
    torch 2.13: ``aten.expand, aten.clone, aten._unsafe_view, aten.bmm``). The label CSV records
    only whether each input is contiguous, not its strides: a non-contiguous operand of rank ≥ 4
    is taken to be such a permutation. ``bmm``/``baddbmm`` take strided 3-D operands as they are.
    """
    if callee != "matmul":
        return ()
    return tuple(copy_kernel(s, dtype, kind="contiguous") for s, c in zip(ins[:2], contiguous_in[:2])
                 if len(s) >= 4 and not c)


def parse_label_csv(path: str | Path, strict: bool = True) -> LabelGraph:
    """Read one label CSV into a :class:`LabelGraph` (see module docstring)."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as e:
        raise GraphsError(f"{p}: cannot read label CSV ({e.strerror or e})") from None
    need = {"op", "target", "input_shapes", "output_shape", "dtype", "latency", "meta"}
    if rows and not need <= set(rows[0]):
        raise GraphsError(f"{p.name}: not a NeuSight label CSV (missing columns {', '.join(sorted(need - set(rows[0])))})")
    mods = [_MODULE_PATH.findall(r.get("meta", "")) for r in rows]
    first_layer = [i for i, ms in enumerate(mods) if any(_FIRST_LAYER.search(path_) for path_, _ in ms)]
    if not first_layer:
        raise GraphsError(f"{p.name}: no node belongs to a first transformer layer (…layer.0 / …h.0 / …layers.0)")
    lo, hi = first_layer[0], first_layer[-1]
    ops: list[LabelOp] = []
    unsupported: dict[str, int] = {}
    dtype_of = {r.get("Name", ""): known_dtype(r.get("dtype", "") or "") for r in rows}
    for i, r in enumerate(rows):
        if r.get("op") in ("placeholder", "get_attr", "output"):
            continue
        callee = _callee(r, mods[i])
        part = "embeddings" if i < lo else ("layer" if i <= hi else "head")
        try:
            lat = float(r.get("latency") or 0.0) * 1e-3
        except ValueError:
            lat = 0.0
        dtype = known_dtype(r.get("dtype", "") or "")
        out = _shape(r.get("output_shape", ""))
        kern = None
        ins, contig = _shapes(r.get("input_shapes", "")), _bools(r.get("input_contiguous", ""))
        srcs = [dtype_of.get(n) for n in _NODE_NAMES.findall(r.get("_input_nodes", ""))]
        if dtype is not None and out is not None:
            try:
                kern = op_kernel(callee, ins, out, dtype, contig, srcs)
            except KeyError:
                unsupported[callee] = unsupported.get(callee, 0) + 1
            except (IndexError, ValueError) as e:
                raise GraphsError(f"{p.name}: node {r.get('Name') or i} ({callee}): cannot read its shapes ({e})") from None
        pre = operand_copies(callee, ins, contig, dtype) if kern is not None and dtype is not None else ()
        ops.append(LabelOp(i, r.get("Name") or f"n{i}", callee, part, lat, kern, tuple(ins), tuple(out or ()),
                           tuple(contig), tuple(srcs), pre))
    if unsupported and strict:
        listed = ", ".join(f"{k} (x{v})" for k, v in sorted(unsupported.items()))
        raise GraphsError(f"{p.name}: tensor op(s) with no kernel model: {listed}")
    return LabelGraph(LabelKey.from_stem(p.stem), ops, p, unsupported)


def label_files(gpu_dir: str | Path, modes: Iterable[str] = ("inf",), options: Iterable[str] = ("",)) -> list[Path]:
    """Model labels (``.json``) in one GPU folder, filtered by mode and option, sorted."""
    ms, opts = set(modes), set(options)
    out = []
    for f in sorted(Path(gpu_dir).glob("*.json")):
        m = TAG.match(f.stem)
        if m and m["mode"] in ms and (m["option"] or "") in opts:
            out.append(f)
    return out
