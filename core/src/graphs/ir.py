"""The graph IR: frozen dataclasses shared by every frontend, pass and mapper.

A :class:`Graph` is a list of :class:`Node` in topological order plus a table of named
values (tensors). A node reads values by name and writes values by name, as in ONNX, so
edges are derived, never stored twice. Parameters (weights) are values listed in
``Graph.parameters``; graph inputs in ``Graph.inputs``; constants that are neither (module
buffers such as batch-norm running statistics, tensors folded into the model) in
``Graph.constants``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

# Canonical dtype names and their sizes in bits. Frontends map their own names onto these.
DTYPE_BITS: Mapping[str, int] = MappingProxyType(
    {
        "float64": 64, "float32": 32, "tfloat32": 32, "float16": 16, "bfloat16": 16,
        "float8_e4m3": 8, "float8_e5m2": 8,
        "int64": 64, "int32": 32, "int16": 16, "int8": 8, "uint8": 8, "int4": 4, "uint4": 4,
        "bool": 8, "complex64": 64, "complex128": 128,
    }
)
FLOAT_DTYPES = frozenset({"float64", "float32", "tfloat32", "float16", "bfloat16", "float8_e4m3", "float8_e5m2"})


@dataclass(frozen=True)
class Quantization:
    """Affine quantization parameters (per-tensor when ``axis`` is None, else per-channel)."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int | None = None

    @property
    def per_channel(self) -> bool:
        return self.axis is not None


@dataclass(frozen=True)
class TensorSpec:
    """Shape, dtype and optional quantization of one tensor. Dimensions are concrete ints."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    quantization: Quantization | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPE_BITS:
            raise ValueError(f"unknown dtype {self.dtype!r}")
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> float:
        return DTYPE_BITS[self.dtype] / 8

    @property
    def nbytes(self) -> float:
        return self.numel * self.itemsize

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    def __str__(self) -> str:
        return f"{self.dtype}[{'x'.join(map(str, self.shape))}]"


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    """The plain (picklable) form of a frozen value: mapping proxies back to dicts."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_thaw(v) for v in value)
    return value


@dataclass(frozen=True)
class Node:
    """One operator application.

    :param name: unique within the graph.
    :param op_type: namespaced op type, e.g. ``aten::convolution``, ``onnx::Conv``.
    :param inputs: names of the values read, in the op's argument order ("" = absent).
    :param outputs: names of the values written.
    :param attrs: non-tensor arguments, normalised by the frontend (frozen).
    :param scope: where the op came from in the source model (module path), for reports.
    """

    name: str
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    scope: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        object.__setattr__(self, "attrs", _freeze(dict(self.attrs)))

    @property
    def namespace(self) -> str:
        return self.op_type.split("::", 1)[0] if "::" in self.op_type else ""

    def __reduce__(self) -> tuple:
        return (Node, (self.name, self.op_type, self.inputs, self.outputs, _thaw(self.attrs), self.scope))


@dataclass(frozen=True)
class Graph:
    """A model as operators over named tensors, in topological order."""

    name: str
    nodes: tuple[Node, ...]
    values: Mapping[str, TensorSpec]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    parameters: frozenset[str] = frozenset()
    source: str = ""  # frontend that produced it, e.g. "fx", "onnx", "tflite"
    meta: Mapping[str, Any] = field(default_factory=dict)
    constants: frozenset[str] = frozenset()  # non-parameter values alive before the first node (buffers)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        object.__setattr__(self, "parameters", frozenset(self.parameters))
        object.__setattr__(self, "meta", _freeze(dict(self.meta)))
        object.__setattr__(self, "constants", frozenset(self.constants))
        self._check()

    def _check(self) -> None:
        defined = set(self.inputs) | set(self.parameters) | set(self.constants)
        names = set()
        for n in self.nodes:
            if n.name in names:
                raise ValueError(f"duplicate node name {n.name!r}")
            names.add(n.name)
            for v in n.inputs:
                if v and v not in defined and v in self.values:
                    # read before written: not topological
                    raise ValueError(f"node {n.name!r} reads {v!r} before it is produced")
            defined.update(n.outputs)
        for v in list(self.inputs) + list(self.parameters) + list(self.constants):
            if v not in self.values:
                raise ValueError(f"value {v!r} has no TensorSpec")

    def __reduce__(self) -> tuple:
        return (Graph, (self.name, self.nodes, dict(self.values), self.inputs, self.outputs, self.parameters,
                        self.source, _thaw(self.meta), self.constants))

    # --- queries -----------------------------------------------------------------------
    def spec(self, value: str) -> TensorSpec | None:
        return self.values.get(value) if value else None

    def producers(self) -> dict[str, Node]:
        """Map value name -> node that writes it."""
        return {o: n for n in self.nodes for o in n.outputs}

    def consumers(self) -> dict[str, list[Node]]:
        """Map value name -> nodes that read it."""
        out: dict[str, list[Node]] = {}
        for n in self.nodes:
            for v in n.inputs:
                if v:
                    out.setdefault(v, []).append(n)
        return out

    @property
    def parameter_bytes(self) -> float:
        return sum(self.values[p].nbytes for p in self.parameters)

    @property
    def parameter_count(self) -> int:
        return sum(self.values[p].numel for p in self.parameters)

    @property
    def constant_bytes(self) -> float:
        return sum(self.values[c].nbytes for c in self.constants)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def op_types(self) -> dict[str, int]:
        hist: dict[str, int] = {}
        for n in self.nodes:
            hist[n.op_type] = hist.get(n.op_type, 0) + 1
        return hist


class GraphBuilder:
    """Convenience for frontends and tests: add values and nodes, then ``build()``."""

    def __init__(self, name: str, source: str = "") -> None:
        self.name, self.source = name, source
        self._values: dict[str, TensorSpec] = {}
        self._nodes: list[Node] = []
        self._inputs: list[str] = []
        self._params: set[str] = set()
        self._constants: set[str] = set()
        self._outputs: list[str] = []
        self.meta: dict[str, Any] = {}

    def value(self, name: str, spec: TensorSpec) -> str:
        self._values[name] = spec
        return name

    def input(self, name: str, spec: TensorSpec) -> str:
        self._inputs.append(self.value(name, spec))
        return name

    def parameter(self, name: str, spec: TensorSpec) -> str:
        self._params.add(self.value(name, spec))
        return name

    def constant(self, name: str, spec: TensorSpec) -> str:
        self._constants.add(self.value(name, spec))
        return name

    def node(self, name: str, op_type: str, inputs: Iterable[str], outputs: Iterable[tuple[str, TensorSpec]] | Iterable[str],
             attrs: Mapping[str, Any] | None = None, scope: str = "") -> Node:
        outs = []
        for o in outputs:
            if isinstance(o, tuple):
                self.value(*o)
                outs.append(o[0])
            else:
                outs.append(o)
        n = Node(name, op_type, tuple(inputs), tuple(outs), attrs or {}, scope)
        self._nodes.append(n)
        return n

    def output(self, *names: str) -> None:
        self._outputs.extend(names)

    def build(self) -> Graph:
        return Graph(self.name, tuple(self._nodes), self._values, tuple(self._inputs), tuple(self._outputs),
                     frozenset(self._params), self.source, self.meta, frozenset(self._constants))
