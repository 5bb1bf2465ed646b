"""The op registry.

Two tables:

* **kinds** – canonical op kinds (``conv``, ``linear``, ``softmax`` ...) each with a
  :class:`Category` that tells a mapper which hardware unit runs it. Defined in
  :mod:`graphs.ops.kinds`.
* **handlers** – one per namespaced op type. A handler is pure shape arithmetic on an
  :class:`OpView` that returns an :class:`OpCost`. Frontends contribute handlers through the
  ``graphs_register_op_handlers`` hook, usually from a :class:`HandlerTable` filled with the
  :func:`op_handler` decorator.

A node whose op type has no handler is an error (:class:`~graphs.errors.UnsupportedOpError`),
never a zero.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from graphs.errors import DuplicateRegistrationError, OpFormulaError, RegistrationError, UnsupportedOpError
from graphs.ir import Graph, Node, TensorSpec


class Category(str, enum.Enum):
    """How a kind executes; mappers pick a unit and an efficiency curve from it."""

    MATMUL = "matmul"          # GEMM / batched GEMM / linear: matrix units
    CONV = "conv"              # convolutions: matrix units (depthwise: see attrs)
    ATTENTION = "attention"    # fused scaled-dot-product attention
    ELEMENTWISE = "elementwise"
    REDUCTION = "reduction"
    NORM = "norm"
    SOFTMAX = "softmax"
    POOL = "pool"
    EMBEDDING = "embedding"    # gathers / index ops
    DATA_MOVEMENT = "data_movement"  # real copies: cat, transpose-contiguous, pad ...
    VIEW = "view"              # aliases: no data moved, no kernel
    RECURRENT = "recurrent"    # LSTM/GRU/RNN cells unrolled over time
    COLLECTIVE = "collective"
    OTHER = "other"

    @property
    def is_matrix(self) -> bool:
        return self in _MATRIX_CATEGORIES


_MATRIX_CATEGORIES = frozenset({Category.MATMUL, Category.CONV, Category.ATTENTION, Category.RECURRENT})


@dataclass(frozen=True)
class OpCost:
    """What one op costs, independent of hardware.

    :param flops: floating-point (or integer) operations; a multiply-add counts 2.
        Matrix ops follow ``torch.utils.flop_counter`` (bias adds folded in the epilogue are
        not counted).
    :param bytes_read: bytes read from memory if the op ran alone.
    :param bytes_written: bytes written if the op ran alone.
    :param alloc_bytes: new memory the op's outputs need (0 for views/aliases).
    :param matrix: whether the FLOPs run on matrix units (tensor cores, AMX, MXU).
    """

    flops: float = 0.0
    bytes_read: float = 0.0
    bytes_written: float = 0.0
    alloc_bytes: float = 0.0
    matrix: bool = False

    @property
    def bytes(self) -> float:
        return self.bytes_read + self.bytes_written

    @property
    def intensity(self) -> float:
        return self.flops / self.bytes if self.bytes else float("inf")


@dataclass(frozen=True)
class KindInfo:
    """A canonical op kind: its category, a one-line doc, and its canonical attributes.

    :param attrs: attribute name -> meaning. Frontends give a node of this kind these names
        (whatever the source format calls them: ONNX ``strides``/``group``, TFLite ``stride_h``),
        so formulas, the partitioner, family engines and tool adapters read one spelling.
    """

    name: str
    category: Category
    doc: str = ""
    attrs: Mapping[str, str] = field(default_factory=dict)
    plugin: str = "graphs"


class OpView:
    """What a handler sees: specs of a node's inputs/outputs, its attrs and the node."""

    __slots__ = ("node", "inputs", "outputs", "attrs")

    def __init__(self, node: Node, graph: Graph) -> None:
        self.node = node
        self.inputs: list[TensorSpec | None] = [graph.spec(v) for v in node.inputs]
        self.outputs: list[TensorSpec | None] = [graph.spec(v) for v in node.outputs]
        self.attrs: Mapping[str, Any] = node.attrs

    @classmethod
    def of(cls, node: Node, inputs: Sequence[TensorSpec | None], outputs: Sequence[TensorSpec | None]) -> "OpView":
        self = cls.__new__(cls)
        self.node, self.inputs, self.outputs, self.attrs = node, list(inputs), list(outputs), node.attrs
        return self

    def tensors_in(self) -> list[TensorSpec]:
        return [t for t in self.inputs if t is not None]

    def tensors_out(self) -> list[TensorSpec]:
        return [t for t in self.outputs if t is not None]

    @property
    def out(self) -> TensorSpec:
        for t in self.outputs:
            if t is not None:
                return t
        raise ValueError(f"{self.node.op_type} at {self.node.name}: no output spec")


Formula = Callable[[OpView], OpCost]


@dataclass(frozen=True)
class OpHandler:
    op_type: str
    kind: str
    formula: Formula
    plugin: str = "graphs"


class HandlerTable:
    """A list of handlers filled by :func:`op_handler`, handed to core through a hook."""

    def __init__(self) -> None:
        self.handlers: list[tuple[str, str, Formula]] = []

    def __call__(self, op_types: str | Iterable[str], kind: str) -> Callable[[Formula], Formula]:
        types = [op_types] if isinstance(op_types, str) else list(op_types)

        def deco(fn: Formula) -> Formula:
            for t in types:
                self.handlers.append((t, kind, fn))
            return fn

        return deco

    def add(self, op_types: str | Iterable[str], kind: str, formula: Formula) -> None:
        self(op_types, kind)(formula)

    def register_into(self, register: Callable[..., None]) -> None:
        for t, k, fn in self.handlers:
            register(t, k, fn)


def op_handler(table: HandlerTable, op_types: str | Iterable[str], kind: str) -> Callable[[Formula], Formula]:
    """Decorator: ``@op_handler(TABLE, "aten::convolution", kind="conv")``."""
    return table(op_types, kind)


@dataclass
class OpRegistry:
    """Kinds and handlers; one instance lives on the plugin manager."""

    kinds: dict[str, KindInfo] = field(default_factory=dict)
    handlers: dict[str, OpHandler] = field(default_factory=dict)
    formulas: dict[str, Formula] = field(default_factory=dict)

    def add_kind(self, info: KindInfo, formula: Formula | None = None) -> None:
        if info.name in self.kinds:
            raise DuplicateRegistrationError(f"op kind {info.name!r} registered twice")
        self.kinds[info.name] = info
        if formula is not None:
            self.formulas[info.name] = formula

    def default_formula(self, kind: str) -> Formula:
        """The kind's own formula (a handler may use it when the tensors are in the usual roles)."""
        if kind in self.formulas:
            return self.formulas[kind]
        from graphs.ops.kinds import DEFAULT_FORMULAS
        return DEFAULT_FORMULAS[kind]

    def register(self, op_type: str, kind: str, formula: Formula, plugin: str = "graphs") -> None:
        if kind not in self.kinds:
            raise RegistrationError(
                f"plugin {plugin!r}: handler for {op_type!r} names unknown op kind {kind!r}")
        if op_type in self.handlers:
            prev = self.handlers[op_type].plugin
            raise DuplicateRegistrationError(
                f"op type {op_type!r} registered by both {prev!r} and {plugin!r}")
        self.handlers[op_type] = OpHandler(op_type, kind, formula, plugin)

    def handler(self, op_type: str) -> OpHandler | None:
        return self.handlers.get(op_type)

    def kind_of(self, op_type: str) -> KindInfo:
        h = self.handlers.get(op_type)
        if h is None:
            raise UnsupportedOpError({op_type: 1})
        return self.kinds[h.kind]

    def unsupported(self, graph: Graph) -> dict[str, int]:
        missing: dict[str, int] = {}
        for n in graph.nodes:
            if n.op_type not in self.handlers:
                missing[n.op_type] = missing.get(n.op_type, 0) + 1
        return missing

    def check(self, graph: Graph) -> None:
        missing = self.unsupported(graph)
        if missing:
            raise UnsupportedOpError(missing, where=graph.name)

    def cost(self, node: Node, graph: Graph) -> OpCost:
        h = self.handlers.get(node.op_type)
        if h is None:
            raise UnsupportedOpError({node.op_type: 1}, where=graph.name)
        try:
            c = h.formula(OpView(node, graph))
        except Exception as e:  # re-raise with node context, like torch.fx ShapeProp
            raise OpFormulaError(f"while costing node {node.name!r} ({node.op_type}): {type(e).__name__}: {e}") from e
        if self.kinds[h.kind].category.is_matrix and not c.matrix and c.flops:
            c = OpCost(c.flops, c.bytes_read, c.bytes_written, c.alloc_bytes, True)
        return c

    def costs(self, graph: Graph) -> dict[str, OpCost]:
        """Every node's cost. Bytes read through a view are the bytes of the storage it aliases: a
        broadcast (``expand``), a transposed or strided view reads its source's storage, not the
        logical size of the view (a 1x64 row expanded to 4096x64 is read as 64 elements)."""
        self.check(graph)
        out: dict[str, OpCost] = {}
        storage: dict[str, float] = {}          # value -> bytes of the storage it aliases (views only)
        for n in graph.nodes:
            c = self.cost(n, graph)
            if self.kinds[self.handlers[n.op_type].kind].category is Category.VIEW:
                src = next((v for v in n.inputs if v and graph.spec(v) is not None), None)
                if src is not None:
                    s = storage.get(src, graph.spec(src).nbytes)
                    for o in n.outputs:
                        spec = graph.spec(o)
                        if spec is not None:
                            storage[o] = min(s, spec.nbytes)
            else:
                excess = 0.0
                for v in set(n.inputs):
                    if v in storage:
                        excess += max(graph.spec(v).nbytes - storage[v], 0.0) * n.inputs.count(v)
                if excess:
                    c = OpCost(c.flops, max(c.bytes_read - excess, 0.0), c.bytes_written, c.alloc_bytes, c.matrix)
            out[n.name] = c
        return out
