"""Canonical op kinds and their formulas.

Each kind has a category and a default formula built from the shapes alone. Frontend
handlers either use the default (``default_formula(kind)``) or call one of the formula
builders below with the tensors in the right roles.

Conventions (documented in docs/ops.md):
* a multiply-add is 2 FLOPs; matrix ops count exactly as ``torch.utils.flop_counter``
  (bias adds fused in the epilogue are not counted);
* elementwise kinds cost ``k`` FLOPs per output element, with ``k`` given per kind;
* bytes are what the op reads and writes when it runs alone; fusion removes the
  intermediate traffic later (graphs.partition).
"""

from __future__ import annotations

import math
from typing import Callable

from graphs.ir import TensorSpec
from graphs.ops.registry import Category, KindInfo, OpCost, OpView

Formula = Callable[[OpView], OpCost]


# --- formula builders -------------------------------------------------------------------
def _io_bytes(op: OpView) -> tuple[float, float]:
    return sum(t.nbytes for t in op.tensors_in()), sum(t.nbytes for t in op.tensors_out())


def elementwise(flops_per_element: float = 1.0) -> Formula:
    """``out.numel * k`` FLOPs; reads every input once, writes every output once."""

    def f(op: OpView) -> OpCost:
        r, w = _io_bytes(op)
        n = sum(t.numel for t in op.tensors_out())
        return OpCost(n * flops_per_element, r, w, w)

    return f


def reduction(flops_per_element: float = 1.0) -> Formula:
    """``in.numel * k`` FLOPs over the reduced input."""

    def f(op: OpView) -> OpCost:
        r, w = _io_bytes(op)
        ins = op.tensors_in()
        n = ins[0].numel if ins else 0
        return OpCost(n * flops_per_element, r, w, w)

    return f


def view(op: OpView) -> OpCost:
    """An alias: no data moved, no memory allocated."""
    return OpCost()


def copy(op: OpView) -> OpCost:
    """Data movement: reads the inputs that feed the output, writes the output, no FLOPs."""
    r, w = _io_bytes(op)
    return OpCost(0.0, min(r, w) if r else w, w, w)


def gather(op: OpView) -> OpCost:
    """Gathers rows: reads as many table bytes as it writes, plus the indices."""
    ins, out = op.tensors_in(), op.out
    idx = sum(t.nbytes for t in ins[1:]) if len(ins) > 1 else 0
    return OpCost(0.0, out.nbytes + idx, out.nbytes, out.nbytes)


def matmul_cost(a: TensorSpec, b: TensorSpec, out: TensorSpec, extra_read: float = 0.0) -> OpCost:
    """(…, M, K) @ (…, K, N): 2·numel(out)·K FLOPs."""
    k = a.shape[-1] if a.rank >= 1 else 1
    return OpCost(2.0 * out.numel * k, a.nbytes + b.nbytes + extra_read, out.nbytes, out.nbytes, True)


def matmul(op: OpView) -> OpCost:
    """(…, M, K) @ (…, K, N): 2·numel(out)·K FLOPs; reads both operands, writes the product."""
    ins = op.tensors_in()
    return matmul_cost(ins[0], ins[1], op.out, sum(t.nbytes for t in ins[2:]))


def linear_cost(x: TensorSpec, w: TensorSpec, out: TensorSpec, bias: TensorSpec | None = None) -> OpCost:
    """x (…, K) · Wᵀ: 2·numel(out)·K FLOPs, whatever the weight layout."""
    k = x.shape[-1]
    return OpCost(2.0 * out.numel * k, x.nbytes + w.nbytes + (bias.nbytes if bias else 0), out.nbytes, out.nbytes, True)


def linear(op: OpView) -> OpCost:
    """x (…, K) · Wᵀ (+ b): 2·numel(out)·K FLOPs; reads x, W (and b), writes the output."""
    ins = op.inputs
    return linear_cost(ins[0], ins[1], op.out, ins[2] if len(ins) > 2 else None)


def conv_cost(x: TensorSpec, w: TensorSpec, out: TensorSpec, transposed: bool = False,
              bias: TensorSpec | None = None) -> OpCost:
    """Convolution with weight (C_out, C_in/g, *k) (or (C_in, C_out/g, *k) if transposed).

    2·numel(out)·(C_in/g)·prod(k) FLOPs; transposed: 2·numel(x)·(C_out/g)·prod(k).
    """
    kernel = math.prod(w.shape[2:])
    if transposed:
        flops = 2.0 * x.numel * w.shape[1] * kernel
    else:
        flops = 2.0 * out.numel * w.shape[1] * kernel
    return OpCost(flops, x.nbytes + w.nbytes + (bias.nbytes if bias else 0), out.nbytes, out.nbytes, True)


def attention_cost(q: TensorSpec, k: TensorSpec, v: TensorSpec, out: TensorSpec, extra_read: float = 0.0) -> OpCost:
    """Fused attention softmax(QKᵀ)V: 2·B·H·Sq·Skv·(Dqk + Dv) FLOPs; reads Q, K, V, writes O."""
    batch = math.prod(q.shape[:-2])
    sq, d = q.shape[-2], q.shape[-1]
    skv, dv = k.shape[-2], v.shape[-1]
    flops = 2.0 * batch * sq * skv * d + 2.0 * batch * sq * skv * dv
    return OpCost(flops, q.nbytes + k.nbytes + v.nbytes + extra_read, out.nbytes, out.nbytes, True)


def attention(op: OpView) -> OpCost:
    """softmax(QKᵀ)V: 2·B·H·Sq·Skv·(Dqk + Dv) FLOPs; reads Q, K, V (and a mask), writes O."""
    ins = op.inputs
    q, k, v = ins[0], ins[1], ins[2]
    extra = sum(t.nbytes for t in ins[3:] if t is not None)
    return attention_cost(q, k, v, op.out, extra)


def pool(op: OpView) -> OpCost:
    """Window pooling: numel(out)·prod(kernel) FLOPs (attrs ``kernel``; global if absent)."""
    r, w = _io_bytes(op)
    x, out = op.tensors_in()[0], op.out
    kernel = op.attrs.get("kernel")
    window = math.prod(kernel) if kernel else max(1, x.numel // max(out.numel, 1))
    return OpCost(float(out.numel * window), r, w, w)


# --- the kinds ----------------------------------------------------------------------------
KINDS: dict[str, KindInfo] = {}
DEFAULT_FORMULAS: dict[str, Formula] = {}


def _kind(name: str, category: Category, formula: Formula, doc: str, attrs: dict[str, str] | None = None) -> None:
    KINDS[name] = KindInfo(name, category, doc, dict(attrs or {}))
    DEFAULT_FORMULAS[name] = formula


# canonical attributes, declared once (docs/ops.md lists them; frontends normalise to these names)
SPATIAL = "tuple of ints, one per spatial dimension"
CONV_ATTRS = {
    "groups": "int: channel groups (1 dense; = input channels: depthwise)",
    "kernel": f"spatial filter size ({SPATIAL})",
    "stride": f"stride ({SPATIAL})",
    "padding": f"padding before each spatial dimension ({SPATIAL}); 'same'/'valid' when only the mode is known",
    "dilation": f"dilation ({SPATIAL})",
    "transposed": "bool: a transposed (fractionally strided) convolution",
    "layout": "'NCHW' (default) or 'NHWC': where the channels of input and output are",
}
POOL_ATTRS = {"kernel": f"window ({SPATIAL}); absent: global", "stride": f"stride ({SPATIAL})",
              "padding": f"padding before each spatial dimension ({SPATIAL})"}
RNN_ATTRS = {"hidden_size": "int: hidden state width", "mode": "int: 0 RNN_TANH, 1 RNN_RELU, 2 LSTM, 3 GRU",
             "num_layers": "int: stacked layers"}


E, R = Category.ELEMENTWISE, Category.REDUCTION

# matrix
_kind("matmul", Category.MATMUL, matmul, "(batched) matrix product A @ B")
_kind("linear", Category.MATMUL, linear, "fully connected layer x·Wᵀ (+b)")
_kind("conv", Category.CONV, lambda op: conv_cost(op.inputs[0], op.inputs[1], op.out,
                                                   bool(op.attrs.get("transposed", False))),
      "N-d convolution (grouped and depthwise included)", CONV_ATTRS)
_kind("conv_transpose", Category.CONV, lambda op: conv_cost(op.inputs[0], op.inputs[1], op.out, True),
      "transposed convolution", CONV_ATTRS)
_kind("attention", Category.ATTENTION, attention, "fused scaled-dot-product attention")
_kind("einsum", Category.MATMUL, matmul, "einsum contraction (handler computes FLOPs from the equation)")
_kind("rnn", Category.RECURRENT, linear, "recurrent layer (LSTM/GRU/RNN), handler unrolls over time", RNN_ATTRS)

# elementwise with their FLOPs per output element (approximate for transcendentals)
for _name, _k, _doc in [
    ("add", 1, "x + y"), ("sub", 1, "x - y"), ("mul", 1, "x * y"), ("div", 1, "x / y"),
    ("pow", 1, "x ** y"), ("maximum", 1, "max(x, y)"), ("minimum", 1, "min(x, y)"),
    ("neg", 1, "-x"), ("abs", 1, "|x|"), ("sign", 1, "sign(x)"), ("reciprocal", 1, "1/x"),
    ("sqrt", 1, "√x"), ("rsqrt", 1, "1/√x"), ("square", 1, "x²"), ("exp", 1, "eˣ"),
    ("log", 1, "ln x"), ("sin", 1, "sin x"), ("cos", 1, "cos x"), ("tan", 1, "tan x"),
    ("erf", 1, "erf x"), ("floor", 1, "⌊x⌋"), ("ceil", 1, "⌈x⌉"), ("round", 1, "round x"),
    ("fmod", 1, "x mod y"), ("clamp", 2, "clamp(x, lo, hi)"), ("where", 1, "select(c, x, y)"),
    ("relu", 1, "max(x, 0)"), ("relu6", 2, "min(max(x, 0), 6)"), ("leaky_relu", 2, "leaky ReLU"),
    ("prelu", 2, "parametric ReLU"), ("elu", 3, "ELU"), ("selu", 4, "SELU"), ("celu", 3, "CELU"),
    ("gelu", 8, "GELU (erf or tanh)"), ("silu", 4, "x·σ(x)"), ("sigmoid", 3, "σ(x)"),
    ("tanh", 3, "tanh x"), ("hardswish", 4, "x·relu6(x+3)/6"), ("hardsigmoid", 3, "relu6(x+3)/6"),
    ("hardtanh", 2, "clamp(x, -1, 1)"), ("softplus", 3, "ln(1+eˣ)"), ("mish", 6, "x·tanh(softplus x)"),
    ("logsigmoid", 4, "ln σ(x)"), ("threshold", 1, "threshold"),
    ("eq", 1, "x == y"), ("ne", 1, "x != y"), ("lt", 1, "x < y"), ("le", 1, "x <= y"),
    ("gt", 1, "x > y"), ("ge", 1, "x >= y"), ("logical_and", 1, "x ∧ y"), ("logical_or", 1, "x ∨ y"),
    ("logical_not", 1, "¬x"), ("bitwise", 1, "bitwise and/or/xor/not/shift"),
    ("isnan", 1, "isnan"), ("cast", 0, "dtype conversion"), ("quantize", 2, "float → int (scale, zero point)"),
    ("dequantize", 2, "int → float"), ("dropout", 1, "dropout (identity at inference)"),
    ("fill", 0, "constant fill / full / zeros / ones / arange"), ("random", 1, "random fill"),
    ("scale_shift", 2, "per-channel affine x·a + b (folded BN at inference)"),
    ("glu", 4, "gated linear unit"), ("softmax_backward", 4, "softmax backward"),
    ("addcmul", 2, "x + a·y·z"), ("lerp", 2, "lerp"), ("rotary", 3, "rotary position embedding"),
]:
    _kind(_name, E, elementwise(_k), _doc)

for _name, _k, _doc in [
    ("sum", 1, "sum over axes"), ("mean", 1, "mean over axes"), ("max", 1, "max over axes"),
    ("min", 1, "min over axes"), ("prod", 1, "product over axes"), ("argmax", 1, "argmax"),
    ("argmin", 1, "argmin"), ("var", 3, "variance"), ("std", 3, "standard deviation"),
    ("norm", 2, "p-norm"), ("logsumexp", 3, "log Σ exp"), ("cumsum", 1, "prefix sum"),
    ("any", 1, "any"), ("all", 1, "all"), ("topk", 2, "top-k (selection)"), ("sort", 8, "sort"),
]:
    _kind(_name, R, reduction(_k), _doc)

_kind("softmax", Category.SOFTMAX, elementwise(5), "softmax: max, sub, exp, sum, div")
_kind("log_softmax", Category.SOFTMAX, elementwise(5), "log-softmax")
_kind("layer_norm", Category.NORM, elementwise(8), "layer normalisation (mean, var, normalise, affine)")
_kind("rms_norm", Category.NORM, elementwise(5), "RMS normalisation")
_kind("batch_norm", Category.NORM, elementwise(2), "batch norm at inference: per-channel affine")
_kind("group_norm", Category.NORM, elementwise(8), "group normalisation")
_kind("instance_norm", Category.NORM, elementwise(8), "instance normalisation")
_kind("l2_normalize", Category.NORM, elementwise(3), "x / ‖x‖₂")
_kind("local_response_norm", Category.NORM, elementwise(6), "LRN")

_kind("max_pool", Category.POOL, pool, "max pooling", POOL_ATTRS)
_kind("avg_pool", Category.POOL, pool, "average pooling", POOL_ATTRS)
_kind("adaptive_avg_pool", Category.POOL, pool, "adaptive / global average pooling")
_kind("adaptive_max_pool", Category.POOL, pool, "adaptive max pooling")
_kind("upsample", Category.DATA_MOVEMENT, elementwise(1), "nearest / bilinear resize")

_kind("embedding", Category.EMBEDDING, gather, "table lookup")
_kind("gather", Category.EMBEDDING, gather, "gather / index_select / take")
_kind("scatter", Category.EMBEDDING, copy, "scatter / index_put")

for _name, _doc in [
    ("concat", "concatenate"), ("split", "split into copies"), ("transpose", "materialised transpose / permute"),
    ("contiguous", "copy to contiguous layout"), ("pad", "constant / reflect padding"),
    ("tile", "repeat / tile"), ("copy", "tensor copy"), ("stack", "stack"),
    ("depth_to_space", "pixel shuffle"), ("space_to_depth", "pixel unshuffle"), ("roll", "roll"),
    ("flip", "flip"), ("tril", "triangular mask"), ("one_hot", "one-hot"),
]:
    _kind(_name, Category.DATA_MOVEMENT, copy, _doc)

for _name, _doc in [
    ("reshape", "reshape / view / flatten / squeeze / unsqueeze"), ("slice", "slice / narrow / select"),
    ("expand", "broadcast view"), ("permute_view", "permute/transpose as a strided view"),
    ("identity", "identity / alias / detach"), ("shape", "shape query / constant"),
    ("split_view", "split/chunk/unbind as views"),
]:
    _kind(_name, Category.VIEW, view, _doc)


def default_formula(kind: str) -> Formula:
    return DEFAULT_FORMULAS[kind]
