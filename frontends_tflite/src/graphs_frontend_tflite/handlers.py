"""Op handlers for TFLite builtin ops (``tflite::<BUILTIN>``).

TFLite tensors are NHWC and its weights are laid out as

* ``CONV_2D``: filter (C_out, kh, kw, C_in/g);
* ``DEPTHWISE_CONV_2D``: filter (1, kh, kw, C_in·multiplier);
* ``TRANSPOSE_CONV``: inputs (output_shape, weights (C_out, kh, kw, C_in), input, bias?);
* ``CONV_3D``: filter (kd, kh, kw, C_in, C_out);
* ``FULLY_CONNECTED``: weights (N, K);

so the matrix formulas here read those layouts, with the FLOP conventions of the other
frontends (2·M·N·K, bias not counted). Views follow PyTorch semantics as in the ONNX and FX
frontends (RESHAPE, TRANSPOSE, SLICE, SPLIT, SQUEEZE ... cost nothing), so one model gives
one op-kind histogram whatever its format.

Role-qualified types: ``tflite::BATCH_MATMUL:linear`` (constant 2-D right operand) and
``tflite::GATHER:embedding`` (rows of a constant 2-D table). A fused activation is its own
node (``tflite::RELU6`` ...) after the op, with ``attrs["fused_into"]`` naming the op.
"""

from __future__ import annotations

import math

from graphs.ops import HandlerTable, kinds
from graphs.ops.registry import OpCost, OpView

HANDLERS = HandlerTable()
NS = "tflite::"


def _t(*names: str) -> list[str]:
    return [NS + n for n in names]


def _io(op: OpView) -> tuple[float, float]:
    return sum(t.nbytes for t in op.tensors_in()), sum(t.nbytes for t in op.tensors_out())


# --- matrix ------------------------------------------------------------------------------
@HANDLERS(_t("CONV_2D"), "conv")
def conv_2d(op: OpView) -> OpCost:
    """CONV_2D(input NHWC, filter (O, kh, kw, I/g), bias): 2·numel(out)·kh·kw·(I/g)."""
    f = op.inputs[1]
    r, w = _io(op)
    return OpCost(2.0 * op.out.numel * math.prod(f.shape[1:]), r, w, w, True)


@HANDLERS(_t("DEPTHWISE_CONV_2D"), "conv")
def depthwise_conv_2d(op: OpView) -> OpCost:
    """DEPTHWISE_CONV_2D(input, filter (1, kh, kw, C·m), bias): 2·numel(out)·kh·kw."""
    f = op.inputs[1]
    r, w = _io(op)
    return OpCost(2.0 * op.out.numel * f.shape[1] * f.shape[2], r, w, w, True)


@HANDLERS(_t("CONV_3D"), "conv")
def conv_3d(op: OpView) -> OpCost:
    """CONV_3D(input NDHWC, filter (kd, kh, kw, I, O), bias): 2·numel(out)·kd·kh·kw·I."""
    f = op.inputs[1]
    r, w = _io(op)
    return OpCost(2.0 * op.out.numel * math.prod(f.shape[:4]), r, w, w, True)


@HANDLERS(_t("TRANSPOSE_CONV"), "conv_transpose")
def transpose_conv(op: OpView) -> OpCost:
    """TRANSPOSE_CONV(output_shape, weights (O, kh, kw, I), input, bias?): 2·numel(input)·O·kh·kw."""
    wt, x = op.inputs[1], op.inputs[2]
    r, w = _io(op)
    return OpCost(2.0 * x.numel * wt.shape[0] * wt.shape[1] * wt.shape[2], r, w, w, True)


@HANDLERS(_t("FULLY_CONNECTED"), "linear")
def fully_connected(op: OpView) -> OpCost:
    """FULLY_CONNECTED(input, weights (N, K), bias?): 2·numel(out)·K."""
    wt = op.inputs[1]
    r, w = _io(op)
    return OpCost(2.0 * op.out.numel * wt.shape[-1], r, w, w, True)


@HANDLERS(_t("BATCH_MATMUL"), "matmul")
def batch_matmul(op: OpView) -> OpCost:
    """BATCH_MATMUL(x, y; adj_x, adj_y): 2·numel(out)·K."""
    x = op.inputs[0]
    k = x.shape[-2] if op.attrs.get("adj_x") else x.shape[-1]
    r, w = _io(op)
    return OpCost(2.0 * op.out.numel * k, r, w, w, True)


HANDLERS.add(_t("BATCH_MATMUL:linear"), "linear", batch_matmul)


@HANDLERS(_t("UNIDIRECTIONAL_SEQUENCE_LSTM"), "rnn")
def sequence_lstm(op: OpView) -> OpCost:
    """UNIDIRECTIONAL_SEQUENCE_LSTM(x (B,T,I) or (T,B,I), 4 input weights (H,I), 4 recurrent (H,H), ...)."""
    x, w_in, w_rec = op.inputs[0], op.inputs[2], op.inputs[6]
    steps_batch = x.numel // x.shape[-1]
    flops = 2.0 * steps_batch * 4 * w_in.shape[0] * (w_in.shape[1] + w_rec.shape[1])
    r, w = _io(op)
    return OpCost(flops, r, w, w, True)


# --- elementwise -------------------------------------------------------------------------------
for _op, _kind in {
    "ADD": "add", "SUB": "sub", "MUL": "mul", "DIV": "div", "FLOOR_DIV": "div", "FLOOR_MOD": "fmod",
    "POW": "pow", "MAXIMUM": "maximum", "MINIMUM": "minimum", "NEG": "neg", "ABS": "abs", "SIGN": "sign",
    "SQRT": "sqrt", "RSQRT": "rsqrt", "SQUARE": "square", "EXP": "exp", "LOG": "log", "SIN": "sin",
    "COS": "cos", "FLOOR": "floor", "CEIL": "ceil", "ROUND": "round", "RELU": "relu", "RELU6": "relu6",
    "RELU_N1_TO_1": "hardtanh", "RELU_0_TO_1": "hardtanh", "LEAKY_RELU": "leaky_relu", "PRELU": "prelu",
    "ELU": "elu", "GELU": "gelu", "LOGISTIC": "sigmoid", "TANH": "tanh", "HARD_SWISH": "hardswish",
    "EQUAL": "eq", "NOT_EQUAL": "ne", "LESS": "lt", "LESS_EQUAL": "le", "GREATER": "gt",
    "GREATER_EQUAL": "ge", "LOGICAL_AND": "logical_and", "LOGICAL_OR": "logical_or",
    "LOGICAL_NOT": "logical_not", "SELECT": "where", "SELECT_V2": "where", "CAST": "cast",
    "QUANTIZE": "quantize", "DEQUANTIZE": "dequantize", "ZEROS_LIKE": "fill", "ONES_LIKE": "fill",
    "FILL": "fill", "RANGE": "fill", "ADD_N": "add", "BITWISE_XOR": "bitwise", "RIGHT_SHIFT": "bitwise",
    "SIGN_BIT": "sign",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.default_formula(_kind))


@HANDLERS(_t("SQUARED_DIFFERENCE"), "sub")
def squared_difference(op: OpView) -> OpCost:
    """SQUARED_DIFFERENCE(x, y) = (x - y)²: 2 FLOPs per output element."""
    r, w = _io(op)
    return OpCost(2.0 * op.out.numel, r, w, w)


# --- reductions ----------------------------------------------------------------------------------
for _op, _kind in {
    "MEAN": "mean", "SUM": "sum", "REDUCE_MAX": "max", "REDUCE_MIN": "min", "REDUCE_PROD": "prod",
    "REDUCE_ANY": "any", "REDUCE_ALL": "all", "ARG_MAX": "argmax", "ARG_MIN": "argmin", "CUMSUM": "cumsum",
    "TOPK_V2": "topk",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.default_formula(_kind))

# --- softmax, norms, pools, resize -------------------------------------------------------------
HANDLERS.add(_t("SOFTMAX"), "softmax", kinds.default_formula("softmax"))
HANDLERS.add(_t("LOG_SOFTMAX"), "log_softmax", kinds.default_formula("log_softmax"))
HANDLERS.add(_t("L2_NORMALIZATION"), "l2_normalize", kinds.default_formula("l2_normalize"))
HANDLERS.add(_t("LOCAL_RESPONSE_NORMALIZATION"), "local_response_norm", kinds.default_formula("local_response_norm"))
HANDLERS.add(_t("AVERAGE_POOL_2D", "L2_POOL_2D"), "avg_pool", kinds.pool)
HANDLERS.add(_t("MAX_POOL_2D"), "max_pool", kinds.pool)
HANDLERS.add(_t("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"), "upsample", kinds.default_formula("upsample"))

# --- gathers and data movement ---------------------------------------------------------------------
HANDLERS.add(_t("GATHER", "GATHER_ND"), "gather", kinds.gather)
HANDLERS.add(_t("GATHER:embedding", "EMBEDDING_LOOKUP"), "embedding", kinds.gather)
HANDLERS.add(_t("SCATTER_ND"), "scatter", kinds.copy)
for _op, _kind in {
    "CONCATENATION": "concat", "PACK": "stack", "PAD": "pad", "PADV2": "pad", "MIRROR_PAD": "pad",
    "TILE": "tile", "DEPTH_TO_SPACE": "depth_to_space", "SPACE_TO_DEPTH": "space_to_depth",
    "BATCH_TO_SPACE_ND": "copy", "SPACE_TO_BATCH_ND": "copy", "REVERSE_V2": "flip", "ONE_HOT": "one_hot",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.copy)

# --- views: no data moved (as in PyTorch) ------------------------------------------------------------
for _op, _kind in {
    "RESHAPE": "reshape", "SQUEEZE": "reshape", "EXPAND_DIMS": "reshape", "TRANSPOSE": "permute_view",
    "SLICE": "slice", "STRIDED_SLICE": "slice", "SPLIT": "split_view", "SPLIT_V": "split_view",
    "UNPACK": "split_view", "BROADCAST_TO": "expand", "SHAPE": "shape", "RANK": "shape",
    "BROADCAST_ARGS": "shape",
}.items():
    HANDLERS.add(NS + _op, _kind, kinds.view)


def op_types() -> set[str]:
    return {t for t, _, _ in HANDLERS.handlers}
