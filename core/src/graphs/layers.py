"""The per-layer view (``graphs analyze --layers``): an estimate by module path, like torchinfo or fvcore.

Every kernel of the estimate is charged to the module of its *anchor* op (the op that gives the
kernel its kind: a fused conv+bn+relu belongs to the conv's module, where its time is spent);
module rows sum what lies under them. Parameters are counted once per module, MACs are the
matrix ops' multiply-adds (FLOPs / 2 of matrix ops), bytes are what the fused kernels move.

``depth``: module rows down to this many path components (``layer1.0.conv1`` is depth 3) — deeper
modules fold into their ancestor; ``None`` shows every module and, under each, its kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

from graphs.ir import Graph

if TYPE_CHECKING:
    from graphs.results import EstimationResult


@dataclass
class LayerRow:
    path: str
    depth: int
    op: str
    output_shape: Optional[list[int]]
    parameters: int
    macs: float
    flops: float
    bytes: float
    time_s: float
    share: float
    bound: Optional[str]
    kernels: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Acc:
    def __init__(self) -> None:
        self.params: set[str] = set()
        self.macs = self.flops = self.bytes = self.time = 0.0
        self.kernels = 0
        self.by_bound: dict[str, float] = {}
        self.last_out: Optional[str] = None
        self.ops: dict[str, float] = {}


def _prefixes(scope: str) -> list[str]:
    parts = [p for p in scope.split(".") if p] if scope else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def layer_rows(graph: Graph, result: EstimationResult, plugins: Any, depth: Optional[int] = None) -> list[LayerRow]:
    """The rows of the per-layer view of ``result`` (an estimate of ``graph``), in model order."""
    ops = plugins.ops
    kind_of = {n.name: ops.kinds[ops.handlers[n.op_type].kind].name if n.op_type in ops.handlers else n.op_type
               for n in graph.nodes}
    node = {n.name: n for n in graph.nodes}
    costs = ops.costs(graph)
    types = dict(graph.meta.get("module_types") or {})
    total = result.value or 1.0

    def cut(scope: str) -> str:
        if depth is None or not scope:
            return scope
        parts = scope.split(".")
        return ".".join(parts[:depth]) if depth > 0 else ""

    order: list[str] = []                      # module paths in the order they first run
    acc: dict[str, _Acc] = {}
    first: dict[str, int] = {}                 # module path -> index of its first node
    index = {n.name: i for i, n in enumerate(graph.nodes)}

    def touch(path: str) -> _Acc:
        if path not in acc:
            acc[path] = _Acc()
            order.append(path)
        return acc[path]

    # graph-level facts per node: parameters, MACs, last output, by module (and every ancestor)
    for i, n in enumerate(graph.nodes):
        scope = cut(n.scope)
        chain = [""] + _prefixes(scope)
        for p in chain:
            first.setdefault(p, i)
            a = touch(p)
            a.params.update(v for v in n.inputs if v in graph.parameters)
            c = costs.get(n.name)
            if c is not None and c.matrix:
                a.macs += c.flops / 2
            if n.outputs and graph.spec(n.outputs[0]) is not None:
                a.last_out = n.outputs[0]
    # kernel estimates, charged to their anchor op's module
    kernel_rows: list[tuple[tuple[int, ...], LayerRow]] = []
    for k in result.breakdown:
        anchor = next((x for x in k.nodes if kind_of.get(x) == k.kind), k.nodes[0] if k.nodes else "")
        scope = cut(node[anchor].scope) if anchor in node else ""
        for p in [""] + _prefixes(scope):
            a = touch(p)
            a.flops += k.flops
            a.bytes += k.bytes
            a.time += k.time_s
            a.kernels += 1
            a.by_bound[k.bound] = a.by_bound.get(k.bound, 0.0) + k.time_s
            a.ops[k.kind] = a.ops.get(k.kind, 0.0) + k.time_s
        if depth is None:
            out = next((o for x in reversed(k.nodes) if x in node for o in node[x].outputs
                        if graph.spec(o) is not None), None)
            key = tuple(first.get(q, 0) for q in _prefixes(scope)) + (index.get(anchor, 0),)
            kernel_rows.append((key, LayerRow(
                path=(scope + "/" if scope else "") + k.name, depth=len(_prefixes(scope)) + 1, op=k.kind,
                output_shape=list(graph.spec(out).shape) if out else None, parameters=0,
                macs=sum(costs[x].flops / 2 for x in k.nodes if x in costs and costs[x].matrix),
                flops=k.flops, bytes=k.bytes, time_s=k.time_s, share=min(k.time_s / total, 1.0), bound=k.bound,
                kernels=1)))

    def numel(v: str) -> int:
        s = graph.spec(v)
        n = 1
        for d in s.shape:
            n *= int(d)
        return n

    keyed: list[tuple[tuple[int, ...], LayerRow]] = list(kernel_rows)
    for p in order:
        a = acc[p]
        if p and not a.kernels and not a.params:
            continue                            # a module whose ops all folded away (views) shows nothing
        bound = max(a.by_bound, key=lambda b: a.by_bound[b]) if a.by_bound else None
        op = types.get(p) or ("" if p else graph.name)
        if not op and a.ops:
            op = max(a.ops, key=lambda o: a.ops[o])
        key = tuple(first.get(q, 0) for q in _prefixes(p))
        keyed.append((key, LayerRow(path=p or graph.name, depth=len(_prefixes(p)), op=op,
                                    output_shape=list(graph.spec(a.last_out).shape) if a.last_out else None,
                                    parameters=sum(numel(v) for v in a.params), macs=a.macs, flops=a.flops,
                                    bytes=a.bytes, time_s=a.time, share=min(a.time / total, 1.0), bound=bound,
                                    kernels=a.kernels)))
    keyed.sort(key=lambda kr: (kr[0], kr[1].kernels != 1 or kr[1].parameters != 0))   # a tree, in run order
    rows = [r for _, r in keyed]
    over = result.metrics.get("model_overhead_s") or 0.0
    if over > 0:
        rows.append(LayerRow(path="(per-model overhead)", depth=1, op="host", output_shape=None, parameters=0,
                             macs=0.0, flops=0.0, bytes=0.0, time_s=over, share=min(over / total, 1.0),
                             bound="overhead", kernels=0))
    return rows


def layers_table(rows: Sequence[LayerRow], result: EstimationResult, width: int) -> Any:
    """The rich table of the per-layer view (indented by depth; columns dropped by priority at narrow widths)."""
    from graphs.fmt import fmt_si
    from graphs.tables import Col, fit_table

    def shape(s: Optional[list[int]]) -> str:
        return "×".join(map(str, s)) if s else ""

    def count(x: float) -> str:
        return fmt_si(x, "").strip() if x else "–"

    cols = [Col("layer", 0, wrap=True, min_width=18), Col("op", 5), Col("output", 4, "right"),
            Col("params", 2, "right"), Col("MACs", 3, "right"), Col("FLOPs", 7, "right"), Col("bytes", 8, "right"),
            Col("time", 0, "right"), Col("share", 1, "right"), Col("bound", 6)]
    body = [("  " * max(r.depth - 1, 0) + (r.path.rsplit("/", 1)[-1] if "/" in r.path else r.path.rsplit(".", 1)[-1]
                                           if r.depth > 1 else r.path),
             r.op, shape(r.output_shape), count(r.parameters), count(r.macs), count(r.flops),
             fmt_si(r.bytes, "B") if r.bytes else "–", fmt_si(r.time_s, "s"), f"{r.share * 100:.1f}%", r.bound or "")
            for r in rows]
    m = result.metrics
    title = (f"{m.get('model')} on {m.get('hardware')}: {fmt_si(result.value, 's')} by layer "
             f"({m.get('precision')}, {m.get('runtime')})")
    return fit_table(title, cols, body, width,
                     caption="a fused kernel's time is charged to the module of its anchor op; "
                             "MACs: multiply-adds of matrix ops")
