"""ATen op handlers: every ``aten::<op>`` the tracer emits, mapped to one canonical kind.

Matrix ops count FLOPs exactly as ``torch.utils.flop_counter`` does (2 per multiply-add,
bias adds folded into the GEMM epilogue not counted). Everything else uses the canonical
kind's default formula. In-place variants (``relu_``, ``add_`` ...) share their functional
op's kind and FLOPs but allocate nothing.

Op types drop the overload (see :mod:`graphs_frontend_fx.to_ir`), so one handler covers
``aten.add.Tensor``, ``aten.add.Scalar`` and ``aten.add.out``.
"""

from __future__ import annotations

from dataclasses import replace

from graphs.ops import HandlerTable, OpCost, OpView, kinds
from graphs.ops.kinds import Formula

ATEN = HandlerTable()


def _a(name: str) -> str:
    return f"aten::{name}"


# --- matrix ops ---------------------------------------------------------------------------
@ATEN([_a("bmm"), _a("matmul"), _a("mv"), _a("dot"), _a("vdot")], "matmul")
def bmm(op: OpView) -> OpCost:
    """bmm(self, mat2) / matmul / mv / dot: 2·numel(out)·K."""
    return kinds.matmul(op)


@ATEN(_a("mm"), "linear")
def mm(op: OpView) -> OpCost:
    """mm(self, mat2): 2·M·N·K. Kind ``linear``: in a traced model a 2-D mm is a weight GEMM
    (``F.linear`` without bias, ``x @ W``); products of activations arrive as ``bmm``."""
    return kinds.matmul(op)


@ATEN(_a("baddbmm"), "matmul")
def baddbmm(op: OpView) -> OpCost:
    """baddbmm(self, batch1, batch2, beta, alpha): the bmm's FLOPs; ``self`` is read in the epilogue."""
    add, a, b = op.inputs[0], op.inputs[1], op.inputs[2]
    return kinds.matmul_cost(a, b, op.out, add.nbytes if add is not None else 0.0)


@ATEN(_a("addmm"), "linear")
def addmm(op: OpView) -> OpCost:
    """addmm(self, mat1, mat2): x·W + b, i.e. a fully connected layer; 2·M·N·K."""
    return kinds.linear_cost(op.inputs[1], op.inputs[2], op.out, op.inputs[0])


@ATEN(_a("linear"), "linear")
def linear(op: OpView) -> OpCost:
    """linear(input, weight, bias=None): 2·numel(out)·in_features."""
    return kinds.linear(op)


@ATEN([_a("convolution"), _a("_convolution"), _a("conv1d"), _a("conv2d"), _a("conv3d"),
       _a("convolution_overrideable"), _a("_slow_conv2d_forward"), _a("mkldnn_convolution")], "conv")
def convolution(op: OpView) -> OpCost:
    """convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    return kinds.conv_cost(op.inputs[0], op.inputs[1], op.out, bool(op.attrs.get("transposed", False)), bias)


@ATEN([_a("conv_transpose1d"), _a("conv_transpose2d"), _a("conv_transpose3d")], "conv_transpose")
def conv_transpose(op: OpView) -> OpCost:
    """conv_transpose2d(input, weight (C_in, C_out/g, *k), bias, ...)."""
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    return kinds.conv_cost(op.inputs[0], op.inputs[1], op.out, True, bias)


_RNN_GATES = {0: 1, 1: 1, 2: 4, 3: 3}  # mkldnn rnn mode: RNN_RELU, RNN_TANH, LSTM, GRU


@ATEN(_a("mkldnn_rnn_layer"), "rnn")
def mkldnn_rnn_layer(op: OpView) -> OpCost:
    """mkldnn_rnn_layer(input, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse, batch_sizes, mode, hidden_size, ...):
    one direction of one layer over the whole sequence; 2·steps·batch·gates·(in + hidden) FLOPs."""
    x, out = op.inputs[0], op.out
    hidden = int(op.attrs["hidden_size"])
    gates = _RNN_GATES[int(op.attrs.get("mode", 2))] * hidden
    steps_batch = x.numel // x.shape[-1]
    flops = 2.0 * steps_batch * gates * (x.shape[-1] + hidden)
    read = sum(t.nbytes for t in op.tensors_in())
    return OpCost(flops, read, out.nbytes, out.nbytes, True)


ATEN.add([_a("scaled_dot_product_attention"), _a("_scaled_dot_product_flash_attention_for_cpu"),
          _a("_scaled_dot_product_flash_attention"), _a("_scaled_dot_product_efficient_attention"),
          _a("_scaled_dot_product_cudnn_attention"), _a("_scaled_dot_product_attention_math"),
          _a("_scaled_dot_product_fused_attention_overrideable"), _a("_flash_attention_forward"),
          _a("_efficient_attention_forward")], "attention", kinds.attention)

# --- everything else: op name -> canonical kind ----------------------------------------------
_ELEMENTWISE: dict[str, tuple[str, ...]] = {
    "add": ("add",), "sub": ("sub", "rsub"), "mul": ("mul",), "div": ("div", "true_divide", "floor_divide"),
    "pow": ("pow",), "maximum": ("maximum", "fmax"), "minimum": ("minimum", "fmin"), "neg": ("neg",),
    "abs": ("abs",), "sign": ("sign", "sgn"), "reciprocal": ("reciprocal",), "sqrt": ("sqrt",), "rsqrt": ("rsqrt",),
    "square": ("square",), "exp": ("exp", "exp2", "expm1"), "log": ("log", "log2", "log10", "log1p"),
    "sin": ("sin",), "cos": ("cos",), "tan": ("tan", "atan", "atan2"), "erf": ("erf", "erfc", "erfinv"),
    "floor": ("floor", "trunc", "frac"), "ceil": ("ceil",), "round": ("round",), "fmod": ("fmod", "remainder"),
    "clamp": ("clamp", "clamp_min", "clamp_max", "clip"), "where": ("where", "masked_fill"),
    "relu": ("relu",), "leaky_relu": ("leaky_relu", "rrelu"), "prelu": ("prelu", "_prelu_kernel"), "elu": ("elu",),
    "selu": ("selu",), "celu": ("celu",), "gelu": ("gelu",), "silu": ("silu",), "sigmoid": ("sigmoid",),
    "tanh": ("tanh",), "hardswish": ("hardswish",), "hardsigmoid": ("hardsigmoid",), "hardtanh": ("hardtanh",),
    "relu6": ("relu6",), "softplus": ("softplus",), "mish": ("mish",), "logsigmoid": ("log_sigmoid",),
    "threshold": ("threshold",), "eq": ("eq",), "ne": ("ne",), "lt": ("lt",), "le": ("le",), "gt": ("gt",),
    "ge": ("ge",), "logical_and": ("logical_and",), "logical_or": ("logical_or", "logical_xor"),
    "logical_not": ("logical_not",), "isnan": ("isnan", "isinf", "isfinite", "isneginf", "isposinf"),
    "bitwise": ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
                "bitwise_right_shift", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__"),
    "cast": ("_to_copy", "to"), "dropout": ("dropout", "native_dropout", "feature_dropout", "alpha_dropout"),
    "fill": ("fill", "zero", "ones", "zeros", "full", "empty", "empty_strided", "empty_like", "zeros_like",
             "ones_like", "full_like", "new_zeros", "new_ones", "new_empty", "new_empty_strided", "new_full",
             "scalar_tensor", "arange", "linspace", "logspace", "eye", "tensor"),
    "random": ("random", "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "bernoulli", "normal",
               "uniform", "randperm", "multinomial"),
    "glu": ("glu",), "addcmul": ("addcmul", "addcdiv"), "lerp": ("lerp",),
    "quantize": ("quantize_per_tensor", "quantize_per_channel"), "dequantize": ("dequantize",),
}
_REDUCTION: dict[str, tuple[str, ...]] = {
    "sum": ("sum", "nansum"), "mean": ("mean", "nanmean"), "max": ("max", "amax"), "min": ("min", "amin"),
    "prod": ("prod",), "argmax": ("argmax",), "argmin": ("argmin",), "var": ("var", "var_mean"),
    "std": ("std", "std_mean"), "norm": ("norm", "linalg_vector_norm", "frobenius_norm"),
    "logsumexp": ("logsumexp",), "cumsum": ("cumsum", "cumprod", "cummax", "cummin"),
    "any": ("any",), "all": ("all",), "topk": ("topk", "kthvalue", "median"), "sort": ("sort", "argsort"),
}
_OTHER: dict[str, tuple[str, ...]] = {
    "softmax": ("softmax", "_softmax", "_safe_softmax"), "log_softmax": ("log_softmax", "_log_softmax"),
    "layer_norm": ("native_layer_norm", "layer_norm"), "rms_norm": ("rms_norm", "_fused_rms_norm"),
    "batch_norm": ("batch_norm", "native_batch_norm", "_native_batch_norm_legit",
                   "_native_batch_norm_legit_no_training", "_native_batch_norm_legit_functional",
                   "cudnn_batch_norm", "miopen_batch_norm", "_batch_norm_with_update", "_batch_norm_no_update"),
    "group_norm": ("native_group_norm", "group_norm"), "instance_norm": ("instance_norm",),
    "adaptive_avg_pool": ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
                          "_adaptive_avg_pool2d", "_adaptive_avg_pool3d"),
    "adaptive_max_pool": ("adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"),
    "upsample": ("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
                 "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "upsample_linear1d",
                 "upsample_bilinear2d", "upsample_bicubic2d", "upsample_trilinear3d", "_upsample_bilinear2d_aa",
                 "grid_sampler_2d"),
    "embedding": ("embedding", "_embedding_bag", "embedding_bag"),
    "gather": ("index", "index_select", "gather", "take", "take_along_dim", "masked_select", "_unsafe_index"),
    "scatter": ("index_put", "_index_put_impl", "scatter", "scatter_add", "scatter_reduce", "index_add",
                "index_copy", "index_fill", "masked_scatter", "slice_scatter", "select_scatter",
                "diagonal_scatter", "_unsafe_index_put"),
    "concat": ("cat", "concat", "concatenate"), "stack": ("stack", "hstack", "vstack"),
    "contiguous": ("clone", "contiguous"), "copy": ("copy", "lift_fresh_copy", "_copy_from"),
    "pad": ("constant_pad_nd", "pad", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d",
            "replication_pad1d", "replication_pad2d", "replication_pad3d", "_pad_circular"),
    "tile": ("repeat", "tile", "repeat_interleave"), "roll": ("roll",), "flip": ("flip",),
    "tril": ("tril", "triu"), "one_hot": ("one_hot",),
    "depth_to_space": ("pixel_shuffle",), "space_to_depth": ("pixel_unshuffle",),
    "reshape": ("view", "_unsafe_view", "reshape", "_reshape_alias", "unsqueeze", "squeeze", "flatten",
                "unflatten", "view_as", "reshape_as", "view_as_real", "view_as_complex", "diagonal"),
    "permute_view": ("t", "transpose", "permute", "swapaxes", "movedim", "numpy_T", "mT", "adjoint"),
    "expand": ("expand", "expand_as", "broadcast_to"),
    "slice": ("slice", "select", "narrow", "as_strided", "unfold"),
    "split_view": ("split", "split_with_sizes", "unbind", "chunk", "tensor_split", "unsafe_split",
                   "unsafe_split_with_sizes", "unsafe_chunk"),
    "identity": ("alias", "detach", "lift", "lift_fresh", "_conj", "resolve_conj", "resolve_neg",
                 "positive"),
}
_INPLACE_KINDS = set(_ELEMENTWISE)
_NO_INPLACE = {  # elementwise-kind ops that have no in-place ATen variant
    "_to_copy", "to", "_to_dtype", "native_dropout", "ones", "zeros", "full", "empty", "empty_strided", "empty_like",
    "zeros_like", "ones_like", "full_like", "new_zeros", "new_ones", "new_empty", "new_empty_strided", "new_full",
    "scalar_tensor", "arange", "linspace", "logspace", "eye", "tensor", "rand", "randn", "randint", "rand_like",
    "randn_like", "randint_like", "randperm", "multinomial", "isnan", "isinf", "isfinite", "isneginf", "isposinf",
    "where", "rsub", "fmax", "fmin", "maximum", "minimum", "quantize_per_tensor", "quantize_per_channel",
    "dequantize", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__", "_prelu_kernel", "prelu", "glu",
    "log_sigmoid", "softplus",
}


def _no_alloc(f: Formula) -> Formula:
    def g(op: OpView) -> OpCost:
        return replace(f(op), alloc_bytes=0.0)

    g.__doc__ = f"In-place: as the functional op, but writes into its input. {f.__doc__ or ''}"
    return g


for _kind, _ops in list(_ELEMENTWISE.items()) + list(_REDUCTION.items()) + list(_OTHER.items()):
    _f = kinds.default_formula(_kind)
    for _op in _ops:
        ATEN.add(_a(_op), _kind, _f)
        if _kind in _INPLACE_KINDS and not _op.startswith("_") and _op not in _NO_INPLACE:
            ATEN.add(_a(_op + "_"), _kind, _no_alloc(_f))
ATEN.add(_a("copy_"), "copy", _no_alloc(kinds.copy))
for _op in ("index_put", "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
            "masked_scatter"):
    ATEN.add(_a(_op + "_"), "scatter", _no_alloc(kinds.copy))
ATEN.add([_a("tril_"), _a("triu_")], "tril", _no_alloc(kinds.copy))
ATEN.add([_a(v) for v in ("t_", "transpose_", "swapaxes_", "swapdims_")], "permute_view", kinds.view)
ATEN.add([_a(v) for v in ("unsqueeze_", "squeeze_", "as_strided_", "detach_")], "reshape", kinds.view)
ATEN.add([_a(f"max_pool{d}d{s}") for d in (1, 2, 3) for s in ("", "_with_indices")], "max_pool", kinds.pool)
ATEN.add([_a(f"avg_pool{d}d") for d in (1, 2, 3)], "avg_pool", kinds.pool)


def handled_op_types() -> set[str]:
    """Every op type this table covers."""
    return {t for t, _, _ in ATEN.handlers}
