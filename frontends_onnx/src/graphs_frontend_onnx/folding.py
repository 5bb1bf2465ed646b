"""Constant folding and canonical rewrites on the ONNX node list, alternated with shape inference.

Shape computations (Shape/Gather/Concat/... on static values) fold into ``Constant`` nodes;
tensors made from shapes alone stay ops when real ops read them; ``SplitToSequence`` +
``SequenceAt`` become ``Split``; a scalar scale on both QK operands moves onto the scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnx.shape_inference
from onnx import TensorProto, numpy_helper

from graphs.errors import GraphsError
from graphs.ir import Quantization, TensorSpec

from graphs_frontend_onnx.proto import _spec_from_info, fail, one_line, tensor_value

FOLD_NUMEL = 1 << 20       # largest tensor a folded constant computation may produce


# ops that create a tensor from shapes alone: their values feed folding, but when a real op
# reads them they stay real ops (``fill``), as ``aten::zeros_like``/``aten::arange`` do in the
# FX trace; when only shape computations read them they disappear with those.
CREATION_OPS = frozenset({"ConstantOfShape", "Range", "EyeLike"})


SHAPE_LIKE_NUMEL = 1024    # largest static input that still counts as shape data


NEVER_FOLD = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli",
              "Multinomial", "If", "Loop", "Scan", "SequenceConstruct", "SequenceEmpty", "Optional"}


# --- the loader ----------------------------------------------------------------------------
MAX_FOLD_ROUNDS = 6


# Data propagation computes the *values* of constant-input ops such as Range and Tile; a 170-byte
# model with Range(0, 1e12) would make it allocate terabytes. Above this many elements the values
# are not propagated (shapes still are), and inference runs under an address-space budget.
DATA_PROP_MAX_NUMEL = 1 << 24
INFER_MEMORY_BUDGET = 4 << 30     # bytes shape inference may add to the process


def _const_ints(model: onnx.ModelProto) -> dict[str, list[int]]:
    """Small integer constants of the graph (initializers and Constant nodes), by value name."""
    out: dict[str, list[int]] = {}
    for t in model.graph.initializer:
        if t.data_type in (TensorProto.INT64, TensorProto.INT32) and np.prod(t.dims, dtype=np.int64) <= 64:
            out[t.name] = [int(v) for v in numpy_helper.to_array(t).reshape(-1)]
    for n in model.graph.node:
        if n.op_type == "Constant" and n.output:
            for a in n.attribute:
                if a.name == "value" and a.t.data_type in (TensorProto.INT64, TensorProto.INT32) \
                        and np.prod(a.t.dims, dtype=np.int64) <= 64:
                    out[n.output[0]] = [int(v) for v in numpy_helper.to_array(a.t).reshape(-1)]
    return out


def propagation_is_bounded(model: onnx.ModelProto) -> bool:
    """False when a constant-input Range, Tile or ConstantOfShape would produce more than
    ``DATA_PROP_MAX_NUMEL`` values (data propagation would materialise them)."""
    c = _const_ints(model)
    for n in model.graph.node:
        try:
            if n.op_type == "Range" and all(i in c for i in n.input[:3]):
                start, limit, delta = (c[i][0] for i in n.input[:3])
                if delta and (limit - start) / delta > DATA_PROP_MAX_NUMEL:
                    return False
            elif n.op_type == "Tile" and len(n.input) > 1 and n.input[1] in c:
                if np.prod([max(r, 1) for r in c[n.input[1]]], dtype=np.float64) > DATA_PROP_MAX_NUMEL:
                    return False
            elif n.op_type in ("ConstantOfShape", "Expand") and n.input and n.input[-1] in c:
                if np.prod([max(d, 1) for d in c[n.input[-1]]], dtype=np.float64) > DATA_PROP_MAX_NUMEL:
                    return False
        except (IndexError, ValueError, OverflowError):
            return False
    return True


def _bounded_infer(model: onnx.ModelProto, path: str, **kw: Any) -> onnx.ModelProto:
    """``infer_shapes`` with at most INFER_MEMORY_BUDGET more address space (soft limit, restored)."""
    try:
        import resource
    except ImportError:   # pragma: no cover - not Unix
        return onnx.shape_inference.infer_shapes(model, **kw)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        used = None
    limit = None if used is None else used + INFER_MEMORY_BUDGET
    if limit is not None and (soft == resource.RLIM_INFINITY or limit < soft) and \
            (hard == resource.RLIM_INFINITY or limit <= hard):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    else:
        limit = None
    try:
        return onnx.shape_inference.infer_shapes(model, **kw)
    except MemoryError:
        raise fail(path, f"shape inference needed more than {INFER_MEMORY_BUDGET >> 30} GiB (a tensor of "
                         "absurd size?)") from None
    finally:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _infer(model: onnx.ModelProto, declared: dict[str, onnx.ValueInfoProto], inputs: list[onnx.ValueInfoProto],
           path: str) -> dict[str, onnx.ValueInfoProto]:
    """onnx shape inference (strict, data propagation when its values are bounded); name -> ValueInfo."""
    prop = propagation_is_bounded(model)
    try:
        inferred = _bounded_infer(model, path, check_type=True, strict_mode=True, data_prop=prop)
    except GraphsError:
        raise
    except Exception as e:
        try:  # strict mode refuses some models whose shapes still come out; keep its message if not
            inferred = _bounded_infer(model, path, strict_mode=False, data_prop=prop)
        except GraphsError:
            raise
        except Exception:
            inferred = None
        if inferred is None:
            raise fail(path, f"shape inference failed: {one_line(e)}") from None
    infos: dict[str, onnx.ValueInfoProto] = {}
    for vi in list(declared.values()) + list(inferred.graph.value_info) + list(inferred.graph.output) + inputs:
        if vi.name in infos and _spec_from_info(vi, vi.name, path) is None:
            continue  # keep a declared concrete shape over an inferred symbolic one
        infos[vi.name] = vi
    return infos


def _is_creation(n: onnx.NodeProto, w: "_Walk") -> bool:
    """A tensor made from shapes alone, as torch's zeros/arange/full (_like) ops make them.

    ConstantOfShape, Range and EyeLike always; Expand of a static scalar to the shape of an
    activation (how ``zeros_like(x)`` exports). An Expand to the shape of a weight is the
    exporter's own constant (e.g. a zero conv bias) and folds.
    """
    if n.op_type in CREATION_OPS:
        return True
    if n.op_type == "Expand" and len(n.input) == 2:
        v = _static_value(n.input[0], w)
        return v is not None and np.asarray(v).size == 1 and n.input[1] in w.activation_shapes
    return False


def _prune_unread_creations(nodes: list[onnx.NodeProto], outputs: list[str], w: "_Walk"
                            ) -> tuple[list[onnx.NodeProto], bool]:
    """Drop creation ops whose results only fed folded nodes."""
    read = {v for n in nodes for v in n.input if v} | set(outputs)
    keep = [n for n in nodes if not (n.domain in ("", "ai.onnx") and n.output and n.output[0] in w.created
                                     and not any(o in read for o in n.output if o))]
    return keep, len(keep) != len(nodes)


def _as_constant(n: onnx.NodeProto, w: "_Walk") -> onnx.NodeProto:
    """A Constant node holding the folded value of ``n``'s (single) output.

    Large values (masks, tables) are not written into the proto that shape inference reads:
    their Constant carries dims and type only (an external-data placeholder); the value
    stays in ``w.static``.
    """
    outs = [o for o in n.output if o]
    value = np.ascontiguousarray(w.static[outs[0]])
    if value.size > SHAPE_LIKE_NUMEL:
        t = numpy_helper.from_array(value.reshape(-1)[:0], outs[0])
        t.ClearField("dims")
        t.dims.extend(value.shape)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        t.external_data.add(key="location", value="graphs-folded-value")
    else:
        t = numpy_helper.from_array(value, outs[0])
    c = onnx.helper.make_node("Constant", [], outs[:1], name=n.name, value=t)
    c.metadata_props.extend(n.metadata_props)
    return c


class _Walk:
    """State of the walk over the nodes."""

    def __init__(self, path: str, base: Path) -> None:
        self.path, self.base = path, base
        self.specs: dict[str, TensorSpec] = {}
        self.static: dict[str, np.ndarray] = {}
        self.init: dict[str, TensorProto] = {}
        self.quant: dict[str, Quantization] = {}
        self.infos: dict[str, onnx.ValueInfoProto] = {}
        self.computed: set[str] = set()
        self.created: set[str] = set()             # outputs of creation ops that stay ops
        self.activation_shapes: set[str] = set()   # static values derived from an activation's shape
        self.producer: dict[str, onnx.NodeProto] = {}
        self.readers: dict[str, int] = {}


# --- sequences: SplitToSequence + SequenceAt (how torch exports split/chunk) -> Split ------
def _desequence(nodes: list[onnx.NodeProto], w: _Walk) -> tuple[list[onnx.NodeProto], bool]:
    readers: dict[str, list[onnx.NodeProto]] = {}
    for n in nodes:
        for v in n.input:
            if v:
                readers.setdefault(v, []).append(n)
    replace: dict[int, list[onnx.NodeProto]] = {}
    drop: set[int] = set()
    for n in nodes:
        if n.op_type != "SplitToSequence" or n.domain not in ("", "ai.onnx") or not n.output:
            continue
        seq = n.output[0]
        users = readers.get(seq, [])
        src = w.specs.get(n.input[0])
        if not users or src is None or any(u.op_type != "SequenceAt" for u in users):
            continue
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        axis = int(at.get("axis", 0))
        axis = axis + src.rank if axis < 0 else axis
        if not 0 <= axis < src.rank:
            continue
        dim = src.shape[axis]
        sizes: list[int] | None = None
        if len(n.input) > 1 and n.input[1]:
            sv = _static_value(n.input[1], w)
            if sv is None:
                continue
            sv = np.asarray(sv).astype(np.int64)
            if sv.ndim == 0:
                step = int(sv)
                if step <= 0:
                    continue
                sizes = [min(step, dim - i) for i in range(0, dim, step)]
            else:
                sizes = [int(x) for x in sv.reshape(-1)]
            squeeze = False
        else:
            sizes, squeeze = [1] * dim, not int(at.get("keepdims", 1))
        if sum(sizes) != dim or not sizes or len(sizes) > 4096:
            continue
        positions: list[tuple[onnx.NodeProto, int]] = []
        for u in users:
            pv = _static_value(u.input[1], w) if len(u.input) > 1 else None
            if pv is None:
                break
            pos = int(np.asarray(pv).reshape(-1)[0])
            pos = pos + len(sizes) if pos < 0 else pos
            if not 0 <= pos < len(sizes):
                break
            positions.append((u, pos))
        else:
            chunk = [f"{seq}#chunk{i}" for i in range(len(sizes))]
            split_name = f"{seq}#sizes"
            w.static[split_name] = np.array(sizes, dtype=np.int64)
            new = [onnx.helper.make_node("Constant", [], [split_name], name=f"{n.name}#sizes",
                                         value=numpy_helper.from_array(w.static[split_name], split_name)),
                   onnx.helper.make_node("Split", [n.input[0], split_name], chunk, name=n.name, axis=axis)]
            new[1].metadata_props.extend(n.metadata_props)
            for u, pos in positions:
                if squeeze:
                    ax = f"{u.output[0]}#axes"
                    w.static[ax] = np.array([axis], dtype=np.int64)
                    new.append(onnx.helper.make_node("Constant", [], [ax], name=f"{u.name}#axes",
                                                     value=numpy_helper.from_array(w.static[ax], ax)))
                    new.append(onnx.helper.make_node("Squeeze", [chunk[pos], ax], [u.output[0]], name=u.name))
                else:
                    new.append(onnx.helper.make_node("Identity", [chunk[pos]], [u.output[0]], name=u.name))
                drop.add(id(u))
            replace[id(n)] = new
    if not replace:
        return nodes, False
    out: list[onnx.NodeProto] = []
    for n in nodes:
        if id(n) in drop:
            continue
        out.extend(replace.get(id(n), [n]))
    return out, True


# --- attention: a scalar scale on the QK operands moves onto the scores ------------------
def _hoist_attention_scale(nodes: list[onnx.NodeProto], w: _Walk) -> tuple[list[onnx.NodeProto], bool]:
    """``MatMul(q·s₁, k·s₂)`` -> ``MatMul(q, k)·(s₁s₂)`` for static scalars s₁, s₂.

    torch exports ``scaled_dot_product_attention`` with √scale applied to Q and to Kᵀ; the
    product is the same scaled score matrix that the FX trace's attention op computes, and on
    the scores the scale fuses with the QKᵀ matmul, the softmax and the PV matmul into one
    attention kernel. The rewrite is recorded in the Mul's ``attrs["hoisted_from"]``.
    """
    producer = {o: n for n in nodes for o in n.output if o}
    readers: dict[str, int] = {}
    for n in nodes:
        for v in n.input:
            if v:
                readers[v] = readers.get(v, 0) + 1
    drop: set[int] = set()
    replace: dict[int, list[onnx.NodeProto]] = {}
    for n in nodes:
        if n.op_type != "MatMul" or n.domain not in ("", "ai.onnx") or len(n.input) != 2 or not n.output:
            continue
        if any(v in w.init or v in w.static for v in n.input):
            continue
        new_inputs, scale, muls = list(n.input), 1.0, []
        for j, v in enumerate(n.input):
            m = producer.get(v)
            if m is None or m.op_type != "Mul" or readers.get(v, 0) != 1 or len(m.input) != 2:
                continue
            for k in (0, 1):
                c = _static_value(m.input[k], w)
                if c is not None and np.asarray(c).size == 1 and np.asarray(c).dtype.kind == "f":
                    new_inputs[j] = m.input[1 - k]
                    scale *= float(np.asarray(c).reshape(-1)[0])
                    muls.append(m)
                    break
        if not muls:
            continue
        dtype = np.asarray(_static_value(muls[0].input[0], w) if _static_value(muls[0].input[0], w) is not None
                           else _static_value(muls[0].input[1], w)).dtype
        out = n.output[0]
        raw, cname = f"{out}#unscaled", f"{out}#scale"
        w.static[cname] = np.array(scale, dtype=dtype)
        mm = onnx.helper.make_node("MatMul", new_inputs, [raw], name=n.name)
        mm.metadata_props.extend(n.metadata_props)
        const = onnx.helper.make_node("Constant", [], [cname], name=f"{n.name}#scale",
                                      value=numpy_helper.from_array(w.static[cname], cname))
        mul = onnx.helper.make_node("Mul", [raw, cname], [out], name=f"{n.name}#scale_scores",
                                    hoisted_from=",".join(m.name for m in muls))
        mul.metadata_props.extend(n.metadata_props)
        replace[id(n)] = [mm, const, mul]
        drop.update(id(m) for m in muls)
    if not replace:
        return nodes, False
    out_nodes: list[onnx.NodeProto] = []
    for n in nodes:
        if id(n) in drop:
            continue
        out_nodes.extend(replace.get(id(n), [n]))
    return out_nodes, True


# --- folding shape computations ------------------------------------------------------------
def _static_value(name: str, w: _Walk) -> np.ndarray | None:
    if name in w.static:
        return w.static[name]
    t = w.init.get(name)
    if t is not None and w.specs[name].numel <= SHAPE_LIKE_NUMEL:
        try:
            v = tensor_value(t, w.base)
        except Exception:
            return None
        w.static[name] = v
        return v
    return None


def _shape_like(name: str, v: np.ndarray) -> bool:
    return v.size <= SHAPE_LIKE_NUMEL and (v.dtype.kind in "iub" or v.size <= 1)


def _try_fold(n: onnx.NodeProto, w: _Walk, attrs: dict[str, Any]) -> bool:
    """Evaluate ``n`` if it only computes on shapes/constants; record its outputs as static."""
    op = n.op_type
    if op in NEVER_FOLD:
        return False
    outs = [o for o in n.output if o]
    if op == "Constant":
        vals = _run_node(n, {})
        if vals is None:
            raise fail(w.path, f"Constant node {n.name!r} has no value")
        # a big float Constant is a weight stored inline (tf2onnx does this), not computed data
        return _record(outs, vals, w, computed=all(np.asarray(v).size <= SHAPE_LIKE_NUMEL for v in vals))
    if len(outs) != 1:
        return False
    if op in ("Shape", "Size"):
        src = w.specs.get(n.input[0]) if n.input else None
        if src is None:
            return False
        shape = np.array(src.shape, dtype=np.int64)
        if n.input[0] not in w.init:
            w.activation_shapes.add(outs[0])
        if op == "Size":
            return _record(outs, [np.array(src.numel, dtype=np.int64)], w)
        start, end = int(attrs.get("start", 0)), attrs.get("end")
        return _record(outs, [shape[start: None if end is None else int(end)]], w)
    feeds: dict[str, np.ndarray] = {}
    for j, v in enumerate(n.input):
        if not v:
            continue
        if op == "CastLike" and j == 1 and v in w.specs:  # only the target dtype is needed
            dt = _NP_OF.get(w.specs[v].dtype)
            if dt is None:
                return False
            feeds[v] = np.zeros((0,), dtype=dt)
            continue
        sv = _static_value(v, w)
        if sv is None or not (v in w.computed or _shape_like(v, sv)):
            return False
        feeds[v] = sv
    if not feeds and op not in ("ConstantOfShape", "Range", "EyeLike"):
        return False
    if op in ("ConstantOfShape", "Expand", "Tile", "Range", "Resize", "Pad", "OneHot"):
        # outputs may be big: fold only when inference already knows they are small
        spec = _spec_from_info(w.infos.get(outs[0]), outs[0], w.path)
        if spec is None or spec.numel > FOLD_NUMEL:
            return False
    vals = _run_node(n, feeds)
    if vals is None or any(np.asarray(v).size > FOLD_NUMEL for v in vals):
        return False
    if any(v in w.activation_shapes for v in n.input):
        w.activation_shapes.update(outs)
    return _record(outs, vals, w)


def _run_node(n: onnx.NodeProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray] | None:
    from onnx.reference import ReferenceEvaluator
    try:
        ev = ReferenceEvaluator(n)
        res = ev.run(None, {k: v for k, v in feeds.items() if k in n.input})
    except Exception:
        return None
    return [np.asarray(r) for r in res]


def _record(outs: list[str], vals: list[np.ndarray], w: _Walk, computed: bool = True) -> bool:
    """Store static outputs; ``computed`` ones (not weights) may feed further folds whatever their dtype."""
    if len(vals) < len(outs):
        return False
    for o, v in zip(outs, vals):
        if computed:
            w.computed.add(o)
        dtype = _np_dtype(v.dtype)
        if dtype is None:
            return False
        w.static[o] = v
        w.specs[o] = TensorSpec(tuple(int(d) for d in v.shape), dtype)
    return True


_NP_OF = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "int8": np.int8,
          "uint8": np.uint8, "int16": np.int16, "int32": np.int32, "int64": np.int64, "bool": np.bool_}


def _np_dtype(dt: np.dtype) -> str | None:
    name = {"float32": "float32", "float64": "float64", "float16": "float16", "int8": "int8", "uint8": "uint8",
            "int16": "int16", "uint16": "int16", "int32": "int32", "uint32": "int32", "int64": "int64",
            "uint64": "int64", "bool": "bool"}.get(str(dt))
    if name is None and "bfloat16" in str(dt):
        return "bfloat16"
    return name
