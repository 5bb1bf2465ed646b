"""graphs IR → Timeloop v0.4 ``conv2D`` problems.

Every convolution and every matrix product becomes one Timeloop ``conv2D`` problem (the shape
of ``default_problem.yaml``): a GEMM ``batch × (m×k)·(k×n)`` is a 1×1 convolution with
``N=batch, C=k, M=n, P=m, Q=1``. Timeloop's convention: ``R``/``P``/``W`` are the width axis
(paired with ``Wstride``/``Wdilation``), ``S``/``Q``/``H`` the height axis.

A grouped (or depthwise) convolution is one group's problem (``C/g``, ``M/g``) repeated
``groups`` times (:attr:`Layer.count`). Ops that are not tensor contractions (elementwise,
norms, pooling, softmax ...) have no Timeloop problem: they are listed in
:attr:`TimeloopWorkload.skipped`, never silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from graphs.ir import Graph, Node
from graphs.ops.registry import Category, OpRegistry
from graphs.partition import gemm_shape
from graphs_tools import ToolInputError, conv_geometry

DIMENSIONS = ("C", "M", "R", "S", "N", "P", "Q")

# The conv2D shape exactly as Timeloop v0.4 (and tool_outputs/timeloop/default_problem.yaml) writes it.
CONV2D_SHAPE: dict[str, Any] = {
    "coefficients": [
        {"default": 1, "name": "Wstride"}, {"default": 1, "name": "Hstride"},
        {"default": 1, "name": "Wdilation"}, {"default": 1, "name": "Hdilation"},
    ],
    "data_spaces": [
        {"name": "Weights", "projection": [[["C"]], [["M"]], [["R"]], [["S"]]]},
        {"name": "Inputs", "projection": [[["N"]], [["C"]], [["R", "Wdilation"], ["P", "Wstride"]],
                                          [["S", "Hdilation"], ["Q", "Hstride"]]]},
        {"name": "Outputs", "projection": [[["N"]], [["M"]], [["Q"]], [["P"]]], "read_write": True},
    ],
    "dimensions": list(DIMENSIONS),
    "name": "conv2D",
}


@dataclass(frozen=True)
class Layer:
    """One Timeloop conv2D problem instance, ``count`` times in the model."""

    name: str
    kind: str                     # conv | matmul | linear | attention
    N: int
    C: int
    M: int
    R: int
    S: int
    P: int
    Q: int
    H: int
    W: int
    Hstride: int = 1
    Wstride: int = 1
    Hdilation: int = 1
    Wdilation: int = 1
    Hpad: int = 0
    Wpad: int = 0
    count: int = 1
    nodes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one instance."""
        return self.N * self.C * self.M * self.R * self.S * self.P * self.Q

    @property
    def key(self) -> tuple:
        """What makes two layers the same Timeloop problem."""
        return tuple(self.instance().items())

    def instance(self) -> dict[str, int]:
        """The ``problem.instance`` mapping, keys sorted as in ``default_problem.yaml``."""
        d = {"C": self.C, "H": self.H, "Hdilation": self.Hdilation, "Hpad": self.Hpad, "Hstride": self.Hstride,
             "M": self.M, "N": self.N, "P": self.P, "Q": self.Q, "R": self.R, "S": self.S, "W": self.W,
             "Wdilation": self.Wdilation, "Wpad": self.Wpad, "Wstride": self.Wstride}
        return dict(sorted(d.items()))

    def problem(self) -> dict[str, Any]:
        """The full Timeloop v0.4 problem document."""
        return {"problem": {"version": 0.4, "instance": self.instance(), "shape": _copy(CONV2D_SHAPE)}}


@dataclass(frozen=True)
class TimeloopWorkload:
    """The Timeloop problems of a model plus what could not be translated."""

    name: str
    layers: tuple[Layer, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)   # op kind -> node count

    def unique(self) -> list[Layer]:
        """Layers merged by identical problem (``count`` summed), in first-seen order."""
        seen: dict[tuple, Layer] = {}
        for layer in self.layers:
            k = layer.key
            if k in seen:
                prev = seen[k]
                seen[k] = replace(prev, count=prev.count + layer.count, nodes=prev.nodes + layer.nodes)
            else:
                seen[k] = layer
        return list(seen.values())

    @property
    def macs(self) -> int:
        return sum(layer.macs * layer.count for layer in self.layers)


def gemm_layer(name: str, m: int, n: int, k: int, batch: int = 1, kind: str = "matmul",
               nodes: Iterable[str] = ()) -> Layer:
    """``batch × (m×k)·(k×n)`` as a 1×1 conv2D: N=batch, C=k, M=n, P=m, Q=1."""
    if min(m, n, k, batch) <= 0:
        raise ToolInputError(f"{name}: GEMM dimensions must be positive, got m={m} n={n} k={k} batch={batch}")
    return Layer(name=name, kind=kind, N=batch, C=k, M=n, R=1, S=1, P=m, Q=1, H=1, W=m, nodes=tuple(nodes))


def conv_layer(graph: Graph, node: Node) -> Layer:
    """A (1-D or 2-D) convolution node as one group's conv2D problem × groups."""
    g = conv_geometry(graph, node)
    notes = ("stride/padding inferred from shapes (node has no stride/padding attributes)",) if g.inferred else ()
    return Layer(
        name=node.name, kind="conv", N=g.n, C=g.c_in // g.groups, M=g.c_out // g.groups, R=g.kw, S=g.kh, P=g.p,
        Q=g.q, H=g.h, W=g.w, Hstride=g.stride[0], Wstride=g.stride[1], Hdilation=g.dilation[0],
        Wdilation=g.dilation[1], Hpad=g.pad[0], Wpad=g.pad[1], count=g.groups, nodes=(node.name,), notes=notes,
    )


def layers_from_graph(graph: Graph, registry: OpRegistry) -> TimeloopWorkload:
    """Every conv / matmul / linear / attention node of ``graph`` as Timeloop problems."""
    registry.check(graph)
    layers: list[Layer] = []
    skipped: dict[str, int] = {}
    for node in graph.nodes:
        kind = registry.handlers[node.op_type].kind
        cat = registry.kinds[kind].category
        if cat is Category.VIEW:
            continue
        if cat is Category.CONV and kind == "conv" and not node.attrs.get("transposed"):
            layers.append(conv_layer(graph, node))
        elif cat is Category.MATMUL and kind in ("matmul", "linear", "einsum"):
            g = gemm_shape(node, graph, cat, kind)
            if g is None:
                raise ToolInputError(f"{node.name}: cannot derive the GEMM of this {kind} node")
            layers.append(gemm_layer(node.name, g.m, g.n, g.k, g.batch, kind, (node.name,)))
        elif cat is Category.ATTENTION:
            q, k, v = (graph.spec(node.inputs[i]) for i in range(3))
            if q is None or k is None or v is None:
                raise ToolInputError(f"{node.name}: attention without q/k/v shapes")
            b = math.prod(q.shape[:-2])
            sq, d, skv, dv = q.shape[-2], q.shape[-1], k.shape[-2], v.shape[-1]
            layers.append(gemm_layer(f"{node.name}.qk", sq, skv, d, b, "attention", (node.name,)))
            layers.append(gemm_layer(f"{node.name}.pv", sq, dv, skv, b, "attention", (node.name,)))
        else:
            skipped[kind] = skipped.get(kind, 0) + 1
    return TimeloopWorkload(graph.name, tuple(layers), dict(sorted(skipped.items())))


def _copy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_copy(v) for v in x]
    return x
