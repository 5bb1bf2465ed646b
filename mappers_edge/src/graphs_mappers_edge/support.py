"""Which kernels the NPU can run: canonical kind, dtype and filter-size constraints.

A fused kernel runs on the NPU only if its anchor kind is listed by an :class:`OpRule`, its
dtype (after the quantization policy) is one the rule accepts, and — for convolutions — its
filter fits ``max_kernel`` and, if grouped, the rule allows depthwise/grouped convolutions.
The engine's default fusion is ``none``: placement is decided op by op (a fused kernel's
epilogue could hide an unsupported op); the NPU compilers' own fusion of supported
activations into convolutions is therefore not credited (their traffic is counted). The answer carries the reason a kernel was refused, for the notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs.ops.registry import Category
from graphs.partition import Kernel

from graphs_mappers_edge.params import OpRule

INT_DTYPES = frozenset({"int8", "uint8"})


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str = ""


def npu_dtype(kernel: Kernel, quantize: bool) -> str:
    """The dtype the kernel has on the NPU: int8 when float models are assumed quantized."""
    if quantize and kernel.dtype not in INT_DTYPES and kernel.dtype.startswith(("float", "bfloat", "tfloat")):
        return "int8"
    return kernel.dtype


def check(kernel: Kernel, rules: tuple[OpRule, ...], quantize: bool) -> Verdict:
    dtype = npu_dtype(kernel, quantize)
    rules_for_kind = [r for r in rules if kernel.kind in r.kinds]
    if not rules_for_kind:
        return Verdict(False, f"{kernel.kind} is not in the NPU's op list")
    why = ""
    for r in rules_for_kind:
        if dtype not in r.dtypes:
            why = f"{kernel.kind} in {dtype} (NPU takes {'/'.join(r.dtypes)})"
            continue
        if kernel.category is Category.CONV:
            shape = kernel.attrs.get("kernel_shape") or ()
            if r.max_kernel is not None and shape and max(shape) > r.max_kernel.value:
                why = f"{kernel.kind} with a {'x'.join(map(str, shape))} filter (NPU max {r.max_kernel.value:g})"
                continue
            if not r.depthwise and kernel.attrs.get("groups", 1) > 1:
                why = f"grouped/depthwise {kernel.kind}"
                continue
        return Verdict(True)
    return Verdict(False, why)
