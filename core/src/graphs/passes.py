"""Graph passes: pure functions Graph -> Graph or Graph -> annotations."""

from __future__ import annotations

from dataclasses import replace

from graphs.ir import FLOAT_DTYPES, Graph, TensorSpec
from graphs.ops.registry import Category, OpCost, OpRegistry


def with_float_dtype(graph: Graph, dtype: str) -> Graph:
    """Re-type every floating-point tensor to ``dtype`` (e.g. estimate an fp32 model at fp16)."""
    if dtype not in FLOAT_DTYPES:
        return graph
    values = {k: (replace(v, dtype=dtype) if v.is_float and v.dtype != dtype else v) for k, v in graph.values.items()}
    return replace(graph, values=values, meta={**graph.meta, "precision_override": dtype})


def with_int_weights(graph: Graph, dtype: str) -> Graph:
    """Weight-only quantisation: parameters of rank >= 2 become ``dtype`` (int8/int4)."""
    values = dict(graph.values)
    for p in graph.parameters:
        v = values[p]
        if v.is_float and v.rank >= 2:
            values[p] = TensorSpec(v.shape, dtype)
    return replace(graph, values=values)


def peak_activation_bytes(graph: Graph, registry: OpRegistry, costs: dict[str, OpCost] | None = None) -> float:
    """Peak live activation memory over a topological execution (inputs + op outputs, not weights).

    A value is live from the node that writes it to its last reader; views alias their source.
    """
    costs = costs if costs is not None else registry.costs(graph)
    cat = {n.name: registry.kinds[registry.handlers[n.op_type].kind].category for n in graph.nodes}
    root: dict[str, str] = {}
    last_use: dict[str, int] = {}
    for i, n in enumerate(graph.nodes):
        if cat[n.name] is Category.VIEW and n.inputs and n.inputs[0]:
            for o in n.outputs:
                root[o] = root.get(n.inputs[0], n.inputs[0])
        for v in n.inputs:
            if v:
                last_use[root.get(v, v)] = i
    end = len(graph.nodes)
    for o in graph.outputs:
        last_use[root.get(o, o)] = end
    live = sum(graph.values[v].nbytes for v in graph.inputs)
    peak = live
    dying: dict[int, float] = {}
    for v in graph.inputs:
        dying[last_use.get(v, -1)] = dying.get(last_use.get(v, -1), 0.0) + graph.values[v].nbytes
    for i, n in enumerate(graph.nodes):
        if cat[n.name] is not Category.VIEW:
            for o in n.outputs:
                spec = graph.spec(o)
                if spec is None:
                    continue
                live += spec.nbytes
                lu = last_use.get(o, i)
                dying[lu] = dying.get(lu, 0.0) + spec.nbytes
        peak = max(peak, live)
        live -= dying.pop(i, 0.0)
    return peak
