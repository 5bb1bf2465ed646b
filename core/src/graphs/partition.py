"""Partitioning and fusion: IR nodes -> kernels.

Policies (``FusionPolicy``):

* ``none``  – one kernel per non-view op (what eager PyTorch executes).
* ``default`` – what a fusing runtime does: a conv/linear/matmul anchor absorbs its
  epilogue chain (norms at inference, activations, bias/residual elementwise ops);
  consecutive elementwise ops fuse; matmul→[scale]→[mask]→softmax→[dropout]→matmul
  becomes one attention kernel.

View ops never become kernels. A fused kernel's bytes are its external reads and writes:
intermediates that stay inside the kernel are not counted (see docs/fusion.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from graphs.ir import Graph, Node
from graphs.ops.registry import Category, OpCost, OpRegistry

EPILOGUE = {Category.ELEMENTWISE, Category.NORM}
CHAIN = {Category.ELEMENTWISE}


@dataclass(frozen=True)
class GemmShape:
    """The GEMM a matrix kernel performs: batch × (M×K)·(K×N)."""

    m: int
    n: int
    k: int
    batch: int = 1

    @property
    def flops(self) -> float:
        return 2.0 * self.batch * self.m * self.n * self.k


@dataclass(frozen=True)
class Kernel:
    """A group of IR nodes executed as one kernel."""

    name: str
    nodes: tuple[str, ...]
    kind: str                 # anchor's canonical kind
    category: Category
    flops: float
    matrix_flops: float
    bytes_read: float
    bytes_written: float
    dtype: str                # anchor's compute dtype
    gemm: GemmShape | None = None
    attrs: dict = field(default_factory=dict, compare=False)

    @property
    def bytes(self) -> float:
        return self.bytes_read + self.bytes_written

    @property
    def vector_flops(self) -> float:
        return self.flops - self.matrix_flops


@dataclass(frozen=True)
class FusionPolicy:
    name: str
    epilogue: bool = True
    elementwise_chains: bool = True
    attention: bool = True

    @classmethod
    def named(cls, name: str) -> "FusionPolicy":
        if name == "none":
            return cls("none", False, False, False)
        if name in ("default", "full"):
            return cls(name)
        raise ValueError(f"unknown fusion policy {name!r} (expected none, default)")


def gemm_shape(node: Node, graph: Graph, category: Category, kind: str, flops: float | None = None) -> GemmShape | None:
    """Derive the GEMM of a matrix op from its tensor shapes (implicit GEMM for conv).

    For matmul-category ops the contraction depth K is ``flops / (2 · numel(out))`` when the op's
    FLOPs are given (they follow ``torch.utils.flop_counter``), so it does not depend on where a
    frontend puts the operands (``aten::addmm(bias, x, w)``, ``onnx::Gemm(a, b, c)``, ``x·Wᵀ``)."""
    ins = [graph.spec(v) for v in node.inputs]
    outs = [graph.spec(v) for v in node.outputs]
    out = next((o for o in outs if o is not None), None)
    if out is None or not ins or ins[0] is None:
        return None
    try:
        if category is Category.CONV and len(ins) > 1 and ins[1] is not None:
            w = ins[1]
            groups = int(node.attrs.get("groups", 1) or 1)
            kernel = math.prod(w.shape[2:])
            if node.attrs.get("transposed"):
                x = ins[0]
                return GemmShape(m=x.numel // x.shape[1], n=w.shape[1] * kernel, k=w.shape[0] // groups, batch=groups)
            spatial = math.prod(out.shape[2:]) * out.shape[0]
            return GemmShape(m=spatial, n=out.shape[1] // groups, k=w.shape[1] * kernel, batch=groups)
        if category is Category.ATTENTION and len(ins) >= 3 and ins[1] is not None:
            q, k = ins[0], ins[1]
            return GemmShape(m=q.shape[-2], n=k.shape[-2], k=q.shape[-1], batch=math.prod(q.shape[:-2]))
        if category is Category.MATMUL and len(ins) > 1 and ins[1] is not None:
            a = ins[0]
            k_dim = a.shape[-1]
            if flops and out.numel:
                k_dim = max(1, round(flops / (2.0 * out.numel)))
            n_dim = out.shape[-1] if out.rank else 1
            m_total = out.numel // max(n_dim, 1)
            if kind == "linear" or out.rank <= 2:
                return GemmShape(m=m_total, n=n_dim, k=k_dim)
            m_dim = out.shape[-2]
            return GemmShape(m=m_dim, n=n_dim, k=k_dim, batch=m_total // max(m_dim, 1))
    except (IndexError, ZeroDivisionError):
        return None
    return None


class _Groups:
    """Union of nodes into groups in topological order."""

    def __init__(self) -> None:
        self.of: dict[str, int] = {}
        self.members: list[list[Node]] = []
        self.attention: set[int] = set()  # groups fused into one attention kernel

    def new(self, n: Node) -> int:
        self.members.append([n])
        self.of[n.name] = len(self.members) - 1
        return self.of[n.name]

    def add(self, gid: int, n: Node) -> None:
        self.members[gid].append(n)
        self.of[n.name] = gid


def partition(graph: Graph, registry: OpRegistry, policy: FusionPolicy | str = "default",
              costs: dict[str, OpCost] | None = None) -> list[Kernel]:
    """Group ``graph``'s nodes into kernels under ``policy``."""
    if isinstance(policy, str):
        policy = FusionPolicy.named(policy)
    registry.check(graph)
    costs = costs if costs is not None else registry.costs(graph)
    cat = {n.name: registry.kinds[registry.handlers[n.op_type].kind].category for n in graph.nodes}
    kind = {n.name: registry.handlers[n.op_type].kind for n in graph.nodes}
    producers = graph.producers()
    consumers = graph.consumers()
    outputs = set(graph.outputs)

    # alias roots through views, so a view of a fused intermediate stays internal
    root: dict[str, str] = {}

    def alias_root(v: str) -> str:
        return root.get(v, v)

    for n in graph.nodes:
        if cat[n.name] is Category.VIEW and n.inputs and n.inputs[0]:
            for o in n.outputs:
                root[o] = alias_root(n.inputs[0])

    def real_consumers(v: str) -> list[Node]:
        """Non-view consumers of v, looking through views."""
        out: list[Node] = []
        stack = [v]
        seen = set()
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            for c in consumers.get(x, []):
                if cat[c.name] is Category.VIEW:
                    stack.extend(c.outputs)
                else:
                    out.append(c)
        return out

    def escapes(v: str) -> bool:
        stack, seen = [v], set()
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            if x in outputs:
                return True
            for c in consumers.get(x, []):
                if cat[c.name] is Category.VIEW:
                    stack.extend(c.outputs)
        return False

    def real_producer(v: str) -> Node | None:
        p = producers.get(alias_root(v))
        return p

    groups = _Groups()
    for n in graph.nodes:
        c = cat[n.name]
        if c is Category.VIEW:
            continue
        gid = None
        if policy.name != "none":
            # candidate: the group of the producer of our first activation input
            act_inputs = [v for v in n.inputs if v and v not in graph.parameters and v in graph.values]
            for v in act_inputs:
                p = real_producer(v)
                if p is None or p.name not in groups.of:
                    continue
                g = groups.of[p.name]
                anchor_cat = cat[groups.members[g][0].name]
                single = len(real_consumers(alias_root(v))) == 1 and not escapes(alias_root(v))
                if not single:
                    continue
                if policy.epilogue and anchor_cat in (Category.MATMUL, Category.CONV) and c in EPILOGUE \
                        and _only_epilogue_since_anchor(groups.members[g], cat):
                    gid = g
                elif policy.elementwise_chains and anchor_cat in CHAIN and c in CHAIN:
                    gid = g
                if gid is not None:
                    break
        if gid is None:
            groups.new(n)
        else:
            groups.add(gid, n)

    if policy.attention:
        _fuse_attention(graph, groups, cat, kind, real_consumers, real_producer, escapes)

    kernels = []
    for i, members in enumerate(groups.members):
        if not members:
            continue
        kernels.append(_make_kernel(graph, members, costs, cat, kind, alias_root, real_consumers, escapes, i,
                                    i in groups.attention))
    return kernels


def _only_epilogue_since_anchor(members: Sequence[Node], cat: dict[str, Category]) -> bool:
    return all(cat[m.name] in EPILOGUE for m in members[1:])


def _fuse_attention(graph, groups: _Groups, cat, kind, real_consumers, real_producer, escapes) -> None:
    """matmul → [elementwise]* → softmax → [elementwise]* → matmul  ⇒ one attention kernel."""
    for gid, members in enumerate(groups.members):
        if len(members) == 0 or cat[members[0].name] is not Category.SOFTMAX:
            continue
        sm = members[0]
        # walk back: the softmax input's producer group, must be a matmul kernel (with epilogue)
        src = next((v for v in sm.inputs if v), None)
        p = real_producer(src) if src else None
        if p is None or p.name not in groups.of:
            continue
        g_qk = groups.of[p.name]
        qk_members = groups.members[g_qk]
        if not qk_members or kind[qk_members[0].name] != "matmul":
            continue
        # the qk matmul's output chain must feed only the softmax
        outs = [o for m in qk_members for o in m.outputs]
        if any(escapes(o) for o in outs):
            continue
        # walk forward from softmax group: elementwise (dropout) then a matmul as consumer
        tail = members[-1]
        cons = [c for o in tail.outputs for c in real_consumers(o)]
        if len(cons) != 1:
            continue
        c = cons[0]
        g_pv = groups.of.get(c.name)
        if g_pv is None or kind[groups.members[g_pv][0].name] != "matmul" or groups.members[g_pv][0] is not c:
            continue
        if any(escapes(o) for o in tail.outputs):
            continue
        # merge: qk group + softmax group + pv group (pv keeps its epilogue)
        merged = qk_members + members + groups.members[g_pv]
        for m in merged:
            groups.of[m.name] = g_qk
        groups.members[g_qk] = merged
        groups.members[gid] = []
        groups.members[g_pv] = []
        groups.attention.add(g_qk)  # anchor stays the QKᵀ matmul


def _make_kernel(graph, members, costs, cat, kind, alias_root, real_consumers, escapes, index,
                 is_attention) -> Kernel:
    names = {m.name for m in members}
    anchor = members[0]
    flops = sum(costs[m.name].flops for m in members)
    mflops = sum(costs[m.name].flops for m in members if costs[m.name].matrix)
    read = sum(costs[m.name].bytes_read for m in members)
    written = sum(costs[m.name].bytes_written for m in members)
    if len(members) > 1:
        produced = {alias_root(o): m for m in members for o in m.outputs}
        for v, m in produced.items():
            spec = graph.spec(v)
            if spec is None:
                continue
            readers = [c for c in real_consumers(v)]
            inside = [c for c in readers if c.name in names]
            if len(inside) == len(readers) and not escapes(v):
                written -= spec.nbytes            # never leaves the kernel
            read -= spec.nbytes * len(inside)     # read from registers/SMEM, not memory
        read, written = max(read, 0.0), max(written, 0.0)
    anchor_spec = next((graph.spec(v) for v in anchor.outputs if graph.spec(v) is not None), None)
    in_spec = next((graph.spec(v) for v in anchor.inputs if graph.spec(v) is not None and graph.spec(v).is_float), None)
    dtype = (in_spec or anchor_spec).dtype if (in_spec or anchor_spec) else "float32"
    if is_attention:
        k_kind, k_cat = "attention", Category.ATTENTION
        gemm = gemm_shape(anchor, graph, Category.MATMUL, "matmul", costs[anchor.name].flops)
    else:
        k_kind, k_cat = kind[anchor.name], cat[anchor.name]
        gemm = gemm_shape(anchor, graph, k_cat, k_kind, costs[anchor.name].flops) if k_cat.is_matrix else None
    attrs = {}
    # bytes of parameters the kernel reads, each once, also through views (a weight expanded for bmm
    # is still a weight: an engine that keeps weights on chip or streams them must know)
    params: dict[str, float] = {}
    for m in members:
        for v in m.inputs:
            r = alias_root(v) if v else v
            if r and r in graph.parameters and r not in params and graph.spec(r) is not None:
                params[r] = graph.spec(r).nbytes
    if params:
        attrs["parameter_bytes"] = float(sum(params.values()))
    if k_cat is Category.CONV:
        attrs["groups"] = int(anchor.attrs.get("groups", 1) or 1)
        w = graph.spec(anchor.inputs[1]) if len(anchor.inputs) > 1 else None
        if w is not None and w.rank > 2:
            attrs["kernel_shape"] = tuple(w.shape[2:])  # spatial filter size (edge NPUs limit it)
    return Kernel(
        name=f"k{index}:{k_kind}", nodes=tuple(m.name for m in members), kind=k_kind, category=k_cat,
        flops=flops, matrix_flops=mflops, bytes_read=read, bytes_written=written, dtype=dtype, gemm=gemm, attrs=attrs,
    )


def kind_histogram(kernels: Iterable[Kernel]) -> dict[str, int]:
    h: dict[str, int] = {}
    for k in kernels:
        h[k.kind] = h.get(k.kind, 0) + 1
    return dict(sorted(h.items()))
