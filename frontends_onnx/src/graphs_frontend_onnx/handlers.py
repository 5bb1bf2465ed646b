"""Op handlers for ONNX op types (``onnx::<OpType>``).

Each handler maps one op type onto a canonical kind (:mod:`graphs.ops.kinds`) and costs it
from shapes alone. Conventions are those of the FX frontend so that one model gives one
FLOP count whatever its format:

* matrix ops count like ``torch.utils.flop_counter``: 2·M·N·K, bias adds in the op not counted;
* ops that are views in PyTorch (Reshape, Transpose, Slice, Split, Expand, Squeeze, ...) are
  view kinds costing nothing, as ``aten::view``/``aten::permute`` are;
* ``Dropout`` is the identity at inference (the FX trace has no dropout either).

Where one ONNX op plays two roles the loader picks a role-qualified op type:
``onnx::MatMul:linear`` (B is a 2-D weight: a linear layer) vs ``onnx::MatMul``
(activation × activation); ``onnx::Gather:embedding`` (rows of a 2-D weight),
``onnx::Gather:select`` (one static index: ``x[:, i]``, a view) vs ``onnx::Gather``;
``onnx::Add:bias`` (a linear layer's 1-D bias, the GEMM epilogue: 0 FLOPs) vs ``onnx::Add``;
``onnx::Expand:fill`` (a static scalar expanded to an activation's shape: ``zeros_like(x)``)
vs ``onnx::Expand`` (a broadcast view).
"""

from __future__ import annotations

import math

from graphs.ops import HandlerTable, kinds
from graphs.ops.registry import OpCost, OpView

HANDLERS = HandlerTable()
NS = "onnx::"


def _t(*names: str) -> list[str]:
    return [NS + n for n in names]


def _io(op: OpView) -> tuple[float, float]:
    return sum(t.nbytes for t in op.tensors_in()), sum(t.nbytes for t in op.tensors_out())


def first_output(flops_per_element: float):
    """Elementwise cost on output 0 only (optional extra outputs such as LayerNorm's mean)."""

    def f(op: OpView) -> OpCost:
        out = op.outputs[0] if op.outputs and op.outputs[0] is not None else op.out
        r = sum(t.nbytes for t in op.tensors_in())
        return OpCost(out.numel * flops_per_element, r, out.nbytes, out.nbytes)

    return f


# --- matrix ------------------------------------------------------------------------------
@HANDLERS(_t("Conv"), "conv")
def conv(op: OpView) -> OpCost:
    """Conv(X, W, B?): 2·numel(Y)·(C_in/g)·prod(kernel)."""
    ins = op.inputs
    return kinds.conv_cost(ins[0], ins[1], op.out, False, ins[2] if len(ins) > 2 else None)


@HANDLERS(_t("ConvTranspose"), "conv_transpose")
def conv_transpose(op: OpView) -> OpCost:
    """ConvTranspose(X, W, B?): 2·numel(X)·(C_out/g)·prod(kernel)."""
    ins = op.inputs
    return kinds.conv_cost(ins[0], ins[1], op.out, True, ins[2] if len(ins) > 2 else None)


@HANDLERS(_t("ConvInteger", "QLinearConv"), "conv")
def conv_quantized(op: OpView) -> OpCost:
    """Quantized conv; the loader puts (X, W, B?) first, scales and zero points after."""
    ins = op.inputs
    return kinds.conv_cost(ins[0], ins[1], op.out, False, ins[2] if len(ins) > 2 and ins[2] is not None
                           and ins[2].rank == 1 and ins[2].numel == ins[1].shape[0] else None)


@HANDLERS(_t("Gemm"), "linear")
def gemm(op: OpView) -> OpCost:
    """Gemm(A, B, C?): Y = αA'B' + βC, 2·M·N·K; C (the bias) is not counted."""
    a, b = op.inputs[0], op.inputs[1]
    k = a.shape[0] if op.attrs.get("transA") else a.shape[-1]
    out = op.out
    extra = op.inputs[2].nbytes if len(op.inputs) > 2 and op.inputs[2] is not None else 0.0
    return OpCost(2.0 * out.numel * k, a.nbytes + b.nbytes + extra, out.nbytes, out.nbytes, True)


@HANDLERS(_t("MatMul", "MatMulInteger", "QLinearMatMul"), "matmul")
def matmul(op: OpView) -> OpCost:
    """MatMul(A, B) with numpy broadcasting: 2·numel(Y)·K."""
    a, b = op.inputs[0], op.inputs[1]
    k = a.shape[-1] if a.rank >= 1 else 1
    extra = sum(t.nbytes for t in op.inputs[2:] if t is not None)
    return OpCost(2.0 * op.out.numel * k, a.nbytes + b.nbytes + extra, op.out.nbytes, op.out.nbytes, True)


HANDLERS.add(_t("MatMul:linear", "MatMulInteger:linear", "QLinearMatMul:linear"), "linear", matmul)


@HANDLERS(_t("Einsum"), "einsum")
def einsum(op: OpView) -> OpCost:
    """Einsum: 2·prod(every index size) for a contraction of ≥ 2 operands, numel(in) for one."""
    eq = str(op.attrs.get("equation", "")).replace(" ", "")
    lhs = eq.split("->")[0].split(",")
    ins = op.tensors_in()
    sizes: dict[str, int] = {}
    for term, t in zip(lhs, ins):
        letters = term.replace("...", "")
        n_ell = t.rank - len(letters)
        if "..." in term:
            pre = term.index("...")
            for i in range(n_ell):
                sizes[f"@{n_ell - i}"] = max(sizes.get(f"@{n_ell - i}", 1), t.shape[pre + i])
            dims = list(t.shape[:pre]) + list(t.shape[pre + n_ell:])
        else:
            dims = list(t.shape)
        for ch, d in zip(letters, dims):
            sizes[ch] = max(sizes.get(ch, 1), d)
    r, w = _io(op)
    if len(ins) < 2:
        return OpCost(float(ins[0].numel if ins else 0), r, w, w)
    return OpCost(2.0 * math.prod(sizes.values()), r, w, w, True)


@HANDLERS(_t("Attention"), "attention")
def attention(op: OpView) -> OpCost:
    """Attention (opset 23): 2·B·H·Sq·Skv·(Dqk + Dv); 3-D inputs carry H·D in the last dim."""
    q, k, v = op.inputs[0], op.inputs[1], op.inputs[2]
    extra = sum(t.nbytes for t in op.inputs[3:] if t is not None)
    out = op.outputs[0]
    return kinds.attention_cost(q, k, v, out, extra)


@HANDLERS(_t("LSTM", "GRU", "RNN"), "rnn")
def rnn(op: OpView) -> OpCost:
    """LSTM/GRU/RNN(X[T,B,I], W[D,G·H,I], R[D,G·H,H]): 2·T·B·D·G·H·(I+H) matrix FLOPs."""
    x, w, r = op.inputs[0], op.inputs[1], op.inputs[2]
    layout = int(op.attrs.get("layout", 0) or 0)
    t_len, batch = (x.shape[1], x.shape[0]) if layout else (x.shape[0], x.shape[1])
    dirs, gh, i_size = w.shape
    h = r.shape[2]
    flops = 2.0 * t_len * batch * dirs * gh * (i_size + h)
    rd, wr = _io(op)
    return OpCost(flops, rd, wr, wr, True)


# --- elementwise ---------------------------------------------------------------------------
_ELEMENTWISE = {
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Neg": "neg", "Abs": "abs",
    "Sign": "sign", "Reciprocal": "reciprocal", "Sqrt": "sqrt", "Exp": "exp", "Log": "log", "Sin": "sin",
    "Cos": "cos", "Tan": "tan", "Erf": "erf", "Floor": "floor", "Ceil": "ceil", "Round": "round",
    "Mod": "fmod", "Clip": "clamp", "Where": "where", "Relu": "relu", "LeakyRelu": "leaky_relu",
    "PRelu": "prelu", "Elu": "elu", "Selu": "selu", "Celu": "celu", "Gelu": "gelu", "Sigmoid": "sigmoid",
    "Tanh": "tanh", "HardSwish": "hardswish", "HardSigmoid": "hardsigmoid", "Softplus": "softplus",
    "Mish": "mish", "ThresholdedRelu": "threshold", "Equal": "eq", "Less": "lt", "LessOrEqual": "le",
    "Greater": "gt", "GreaterOrEqual": "ge", "And": "logical_and", "Or": "logical_or", "Xor": "bitwise",
    "Not": "logical_not", "BitShift": "bitwise", "BitwiseAnd": "bitwise", "BitwiseOr": "bitwise",
    "BitwiseXor": "bitwise", "BitwiseNot": "bitwise", "IsNaN": "isnan", "IsInf": "isnan", "Cast": "cast",
    "CastLike": "cast", "QuantizeLinear": "quantize", "DequantizeLinear": "dequantize",
    "DynamicQuantizeLinear": "quantize", "RandomNormal": "random", "RandomUniform": "random",
    "RandomNormalLike": "random", "RandomUniformLike": "random", "Bernoulli": "random",
    "ConstantOfShape": "fill", "EyeLike": "fill", "Range": "fill", "Expand:fill": "fill",
}
for _op, _kind in _ELEMENTWISE.items():
    HANDLERS.add(NS + _op, _kind, kinds.default_formula(_kind))


@HANDLERS(_t("Add:bias"), "add")
def bias_add(op: OpView) -> OpCost:
    """Add of a linear layer's 1-D bias right after it: the GEMM epilogue, 0 FLOPs (as flop_counter)."""
    r, w = _io(op)
    return OpCost(0.0, r, w, w)


def _variadic(op: OpView) -> OpCost:
    """Sum/Max/Min/Mean of n inputs: (n-1)·numel(Y) FLOPs (Mean adds one divide)."""
    r, w = _io(op)
    n = len(op.tensors_in())
    extra = 1 if op.node.op_type == NS + "Mean" else 0
    return OpCost(max(n - 1 + extra, 0) * op.out.numel, r, w, w)


HANDLERS.add(_t("Sum", "Mean"), "add", _variadic)
HANDLERS.add(NS + "Max", "maximum", _variadic)
HANDLERS.add(NS + "Min", "minimum", _variadic)

# --- reductions ----------------------------------------------------------------------------
for _op, _kind in {
    "ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "max", "ReduceMin": "min", "ReduceProd": "prod",
    "ReduceL1": "norm", "ReduceL2": "norm", "ReduceSumSquare": "norm", "ReduceLogSum": "logsumexp",
    "ReduceLogSumExp": "logsumexp", "ArgMax": "argmax", "ArgMin": "argmin", "CumSum": "cumsum",
    "TopK": "topk",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.default_formula(_kind))

# --- softmax and norms ---------------------------------------------------------------------
HANDLERS.add(_t("Softmax"), "softmax", first_output(5))
HANDLERS.add(_t("LogSoftmax"), "log_softmax", first_output(5))
HANDLERS.add(_t("LayerNormalization"), "layer_norm", first_output(8))
HANDLERS.add(_t("RMSNormalization", "SimplifiedLayerNormalization"), "rms_norm", first_output(5))
HANDLERS.add(_t("BatchNormalization"), "batch_norm", first_output(2))
HANDLERS.add(_t("InstanceNormalization", "MeanVarianceNormalization"), "instance_norm", first_output(8))
HANDLERS.add(_t("GroupNormalization"), "group_norm", first_output(8))
HANDLERS.add(_t("LpNormalization"), "l2_normalize", first_output(3))
HANDLERS.add(_t("LRN"), "local_response_norm", first_output(6))

# --- pooling and resize --------------------------------------------------------------------
HANDLERS.add(_t("MaxPool"), "max_pool", kinds.pool)
HANDLERS.add(_t("AveragePool", "LpPool"), "avg_pool", kinds.pool)
HANDLERS.add(_t("GlobalAveragePool", "GlobalLpPool"), "adaptive_avg_pool", kinds.pool)
HANDLERS.add(_t("GlobalMaxPool"), "adaptive_max_pool", kinds.pool)
HANDLERS.add(_t("Resize", "Upsample"), "upsample", first_output(1))

# --- gathers -------------------------------------------------------------------------------
HANDLERS.add(_t("Gather", "GatherElements", "GatherND", "Compress"), "gather", kinds.gather)
HANDLERS.add(_t("Gather:embedding"), "embedding", kinds.gather)
HANDLERS.add(_t("ScatterND", "ScatterElements", "Scatter"), "scatter", kinds.copy)

# --- data movement (real copies) -----------------------------------------------------------
for _op, _kind in {
    "Concat": "concat", "Pad": "pad", "Tile": "tile", "DepthToSpace": "depth_to_space",
    "SpaceToDepth": "space_to_depth", "ReverseSequence": "flip", "Trilu": "tril", "OneHot": "one_hot",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.copy)

# --- views and shape queries: no data moved, no kernel ------------------------------------
for _op, _kind in {
    "Reshape": "reshape", "Flatten": "reshape", "Squeeze": "reshape", "Unsqueeze": "reshape",
    "Transpose": "permute_view", "Slice": "slice", "Split": "split_view", "Expand": "expand",
    "Gather:select": "slice", "Identity": "identity", "Dropout": "identity", "Shape": "shape", "Size": "shape", "Constant": "shape",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.view)


def op_types() -> set[str]:
    return {t for t, _, _ in HANDLERS.handlers}

