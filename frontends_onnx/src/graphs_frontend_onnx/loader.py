"""ONNX ModelProto -> graphs IR.

Steps: parse (external data is checked, never read whole) → opset ≥ 13 (older models are
converted) → inline local functions → bind dynamic input dims → onnx shape inference
(strict, with data propagation) → walk the nodes: fold shape computations into constants,
pick each node's op type, attach TensorSpecs (with quantization) → Graph.

Parameters are initializers that feed a data operand of a real op (weights, biases, norm
scales, embedding tables). Every other initializer a node reads is a ``Graph.constants``
value: shape operands (Reshape's shape, Slice's starts, ...), int64 index constants, scalars,
quantization scales / zero points, and batch-norm running statistics (buffers in PyTorch,
which the FX frontend also lists as constants). ``Constant`` nodes, and shape computations
folded into constants, stay nodes of the zero-cost kind ``shape``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import onnx
import onnx.defs
import onnx.inliner
import onnx.version_converter

from graphs.errors import GraphsError, UnsupportedOpError
from graphs.ir import Graph, GraphBuilder, TensorSpec

from graphs_frontend_onnx.folding import (MAX_FOLD_ROUNDS, _as_constant, _desequence, _hoist_attention_scale,
                                          _infer, _is_creation, _np_dtype, _prune_unread_creations, _try_fold,
                                          _Walk)
from graphs_frontend_onnx.handlers import NS, op_types
from graphs_frontend_onnx.proto import (MIN_OPSET, _attrs, _dims, _scope, _spec_from_info, _topological,
                                        _unique, bind_inputs, check_external_data, check_tensor_payload,
                                        default_opset, fail, one_line, read_model, tensor_dtype, tensor_spec_of)
from graphs_frontend_onnx.roles import (REORDER, _annotate_quant, _normalise, _parameters, _role,
                                        _with_quant)


def load_onnx(path: Path, input_shapes: Mapping[str, tuple[int, ...]]) -> Graph:
    """Load an ONNX file into a Graph; every failure is a one-line GraphsError."""
    try:
        return _load(path, input_shapes)
    except GraphsError:
        raise
    except RecursionError:
        raise fail(str(path), "model nesting too deep") from None
    except MemoryError:
        raise fail(str(path), "model too large to load") from None
    except Exception as e:  # anything else: a malformed model that slipped past the checks
        raise fail(str(path), f"malformed ONNX model ({type(e).__name__}: {one_line(e)})") from None


def _load(path: Path, input_shapes: Mapping[str, tuple[int, ...]]) -> Graph:
    p = str(path)
    model = read_model(path)
    opset = default_opset(model)
    if opset <= 0:
        raise fail(p, "no default-domain opset in opset_import")
    newest = onnx.defs.onnx_opset_version()
    if opset > newest:
        raise fail(p, f"opset {opset} is newer than the {newest} this onnx {onnx.__version__} knows; its ops "
                      "cannot be checked (upgrade onnx)")
    if opset < MIN_OPSET:
        try:
            model = onnx.version_converter.convert_version(model, MIN_OPSET)
        except Exception as e:
            raise fail(p, f"opset {opset} is below {MIN_OPSET} and could not be converted ({one_line(e)})") from None
        opset = default_opset(model)
    if model.functions:
        try:
            model = onnx.inliner.inline_local_functions(model)
        except Exception as e:
            raise fail(p, f"cannot inline model-local functions ({one_line(e)})") from None
    base = path.parent
    check_external_data(model, base, p)
    g = model.graph

    init_names = {t.name for t in g.initializer}
    inputs = [vi for vi in g.input if vi.name not in init_names]
    for vi in inputs:
        if not vi.type.HasField("tensor_type"):
            raise fail(p, f"input {vi.name!r} is not a tensor (sequence/map inputs are not supported)")
    bind_inputs(model, inputs, input_shapes, p)

    declared = {vi.name: vi for vi in g.value_info}
    g.ClearField("value_info")

    w = _Walk(p, base)
    for t in g.initializer:
        if t.name in w.init:
            raise fail(p, f"initializer {t.name!r} defined twice")
        spec = tensor_spec_of(t, p)
        check_tensor_payload(t, spec, p)
        w.init[t.name] = t
        w.specs[t.name] = spec
    for t in g.sparse_initializer:
        raise fail(p, f"sparse initializer {t.values.name!r} is not supported")

    b = GraphBuilder(path.stem, "onnx")
    b.meta["graph_name"] = g.name
    for vi in inputs:
        dims = _dims(vi)
        spec = TensorSpec(tuple(dims or ()), tensor_dtype(vi.type.tensor_type.elem_type, f"input {vi.name!r}", p))
        w.specs[vi.name] = spec
        b.input(vi.name, spec)
    base_specs = dict(w.specs)

    # infer shapes, fold shape computations into Constant nodes, infer again: to a fixpoint
    nodes = _topological(list(g.node), set(w.specs), p)
    folded_from: dict[str, str] = {}
    created: dict[str, onnx.ValueInfoProto] = {}  # shapes of static creation-op results, for inference
    for _ in range(MAX_FOLD_ROUNDS):
        del g.node[:]
        g.node.extend(nodes)
        g.ClearField("value_info")
        g.value_info.extend(created.values())
        infos = _infer(model, declared, inputs, p)
        w.infos = infos
        w.specs = dict(base_specs)
        changed = False
        new_nodes = []
        for n in nodes:
            if n.domain in ("", "ai.onnx") and _is_creation(n, w):
                # value known to later folds; the node stays
                w.created.add(n.output[0])
                if _try_fold(n, w, _attrs(n)) and n.output[0] not in created:
                    v = w.static[n.output[0]]
                    created[n.output[0]] = onnx.helper.make_tensor_value_info(
                        n.output[0], onnx.helper.np_dtype_to_tensor_dtype(v.dtype), list(v.shape))
                    changed = True
            elif n.domain in ("", "ai.onnx") and n.op_type != "Constant" and _try_fold(n, w, _attrs(n)):
                new_nodes.append(_as_constant(n, w))
                folded_from[n.output[0]] = n.op_type
                changed = True
                continue
            if n.domain in ("", "ai.onnx") and n.op_type == "Constant" and n.output and n.output[0] not in w.static:
                _try_fold(n, w, {})
            new_nodes.append(n)
            for o in n.output:
                spec = _spec_from_info(infos.get(o), o, p) if o else None
                if spec is not None:
                    w.specs[o] = spec
        nodes = new_nodes
        nodes, rewritten = _desequence(nodes, w)
        changed = changed or rewritten
        if not changed:
            break
    nodes, pruned = _prune_unread_creations(nodes, [o.name for o in g.output], w)
    nodes, hoisted = _hoist_attention_scale(nodes, w)
    if changed or hoisted or pruned:
        del g.node[:]
        g.node.extend(nodes)
        g.ClearField("value_info")
        g.value_info.extend(v for k, v in created.items() if any(k in n.output for n in nodes))
        infos = _infer(model, declared, inputs, p)
    w.specs = dict(base_specs)
    w.producer = {o: n for n in nodes for o in n.output if o}
    for n in nodes:
        for v in n.input:
            if v:
                w.readers[v] = w.readers.get(v, 0) + 1
    for o in g.output:
        w.readers[o.name] = w.readers.get(o.name, 0) + 1

    emitted: list[tuple[Any, ...]] = []  # (name, op_type, inputs, outputs, attrs, scope, onnx_op)
    used_names: set[str] = set()
    unsupported: dict[str, int] = {}
    unknown_shape: list[str] = []
    known_types = op_types()
    folded = 0
    for i, n in enumerate(nodes):
        name = _unique(n.name or f"{n.op_type}_{i}", used_names)
        qual = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}::{n.op_type}"
        attrs = _attrs(n)
        scope = _scope(n)
        outs = [o for o in n.output if o]
        if n.domain in ("", "ai.onnx") and n.op_type == "Constant":
            if outs and outs[0] in w.static:
                w.specs[outs[0]] = TensorSpec(tuple(int(d) for d in w.static[outs[0]].shape),
                                              _np_dtype(w.static[outs[0]].dtype) or "float32")
            elif not _try_fold(n, w, {}):
                raise fail(p, f"Constant node {name!r} has no usable value")
            fop = folded_from.get(outs[0]) if outs else None
            folded += fop is not None
            emitted.append((name, NS + "Constant", [], outs, {"folded_op": fop} if fop else {}, scope))
            continue
        op_type = NS + qual
        if n.domain in ("", "ai.onnx"):
            op_type = NS + _role(n, w)
        if op_type not in known_types:
            unsupported[op_type] = unsupported.get(op_type, 0) + 1
        for o in outs:
            spec = _spec_from_info(infos.get(o), o, p)
            if spec is None:
                unknown_shape.append(f"{o!r} ({n.op_type} {name!r})")
                continue
            w.specs[o] = spec
        ins = list(n.input)
        if n.op_type in REORDER and n.domain in ("", "ai.onnx"):
            order = REORDER[n.op_type]
            ins = [ins[j] if j < len(ins) else "" for j in order]
            while ins and not ins[-1]:
                ins.pop()
            attrs = {**attrs, "onnx_inputs": tuple(n.input)}
        _annotate_quant(n, w)
        emitted.append((name, op_type, ins, outs, _normalise(n, attrs, w), scope))
    if unsupported and unknown_shape:
        raise UnsupportedOpError(unsupported, where=p)
    if unknown_shape:
        more = f" and {len(unknown_shape) - 3} more" if len(unknown_shape) > 3 else ""
        raise fail(p, f"shape inference left {', '.join(unknown_shape[:3])}{more} without a concrete shape "
                      f"(data-dependent or unbound dims; try --input-shape)")

    params = _parameters(emitted, w)
    for o in g.output:
        if o.name not in w.specs:
            raise fail(p, f"graph output {o.name!r} is never produced")
    # initializers: parameters (weights) or constants (buffers, shape operands, scalars)
    needed = {v for e in emitted for v in e[2] if v}
    for t in g.initializer:
        spec = _with_quant(w.specs[t.name], w.quant.get(t.name))
        if t.name in params:
            b.parameter(t.name, spec)
        elif t.name in needed:
            b.constant(t.name, spec)
    for name, op_type, ins, outs, attrs, scope in emitted:
        out_specs = [(o, _with_quant(w.specs[o], w.quant.get(o))) for o in outs if o in w.specs]
        for v in ins:
            if v and v not in w.specs:
                raise fail(p, f"node {name!r} reads {v!r}, which is never defined")
        b.node(name, op_type, ins, out_specs, attrs, scope)
    b.output(*[o.name for o in g.output])
    b.meta.update({
        "format": "onnx", "path": p, "opset": opset, "ir_version": int(model.ir_version),
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "folded_nodes": folded,
    })
    try:
        return b.build()
    except ValueError as e:
        raise fail(p, f"inconsistent graph ({one_line(e)})") from None
