"""Measuring PyTorch on real tensors, recording the IR of exactly what ran.

The benchmark runners ``torch-cpu`` (graphs-mappers-cpu) and ``torch-cuda`` (graphs-mappers-gpu)
are :class:`TorchRunner`\\ s that differ only in device, clock, synchronisation and energy. What
they share lives here, next to the tracer whose op recording it reuses:

* **op cases** (:data:`OPS`, :func:`op_suite`) — microbenchmarks per op kind, device- and
  dtype-parametrised: GEMM/linear over sizes and precisions, conv2d (3×3, 1×1, 7×7 stem,
  depthwise, grouped), SDPA over sequence lengths, elementwise, layer/RMS/batch norm,
  softmax, pooling, reductions, embedding, copies, and tiny ops for the dispatch overhead;
* **what ran, as IR** (:func:`capture`) — the callable runs once under the tracer's
  :class:`~graphs_frontend_fx.recorder.Recorder` (a ``TorchDispatchMode``) on real tensors;
  the ATen calls (dead ones dropped, as the tracer does) become a small graph record
  (:func:`graphs.measured.graph_record`) stored with the measurement, so calibration and
  validation estimate exactly the measured ops;
* **zoo models on a device** (:func:`realize_model`) — the zoo's module built with real
  (randomly initialised) weights and inputs of the traced shapes;
* **kernels of a model in isolation** (:class:`KernelTimer`) — one forward pass under the
  recorder in which every kernel call (not views) is re-run and timed alone before the pass
  goes on; in-place ops are timed on clones. Their sum against the whole-model time is the
  *measured* composition gap.
"""

from __future__ import annotations

import importlib
import platform
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch
from torch.utils import _pytree as pytree

from graphs.bench import BenchCase, Stats, measure
from graphs.measured import graph_record, model_reference
from graphs.store import Measurement

from graphs_frontend_fx.aten_call import describe_call, dtype_name, op_info
from graphs_frontend_fx.recorder import Recorder

PRECISION_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "fp64": torch.float64}


# --- capturing what ran -------------------------------------------------------------------------
class _NoScope:
    scope = ""


class OpRecorder(Recorder):
    """The tracer's recorder on real tensors; ``on_call(index, func, args, kwargs)`` after each recorded call."""

    def __init__(self, on_call: Callable[[int, Any, tuple, dict], None] | None = None) -> None:
        super().__init__(_NoScope())
        self.on_call = on_call

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        n = len(self.calls)
        out = super().__torch_dispatch__(func, types, args, kwargs)
        if self.on_call is not None and len(self.calls) == n + 1 and self.calls[n][0] is func:
            self.on_call(n, func, args, kwargs or {})
        return out


def live_calls(calls: Sequence[tuple], outputs: Iterable[torch.Tensor]) -> list[int]:
    """Indices of the calls that matter (dead-code elimination as the tracer does)."""
    live = {id(t) for t in outputs}
    keep: list[int] = []
    for j in range(len(calls) - 1, -1, -1):
        func, args, kwargs, res, _ = calls[j]
        info = op_info(func)
        if info.check_only:
            continue
        outs = [res] if isinstance(res, torch.Tensor) else [r for r in res if isinstance(r, torch.Tensor)]
        if info.mutates or any(id(o) in live for o in outs):
            keep.append(j)
            live.update(id(x) for x in pytree.tree_leaves((args, kwargs)) if isinstance(x, torch.Tensor))
    return sorted(keep)


def read_ids(calls: Sequence[tuple], indices: Sequence[int], outputs: Iterable[torch.Tensor]) -> set[int]:
    """ids of the tensors that ``calls[indices]`` read or that are ``outputs``."""
    ids = {id(t) for t in outputs}
    for i in indices:
        _, args, kwargs, _, _ = calls[i]
        ids.update(id(x) for x in pytree.tree_leaves((args, kwargs)) if isinstance(x, torch.Tensor))
    return ids


def calls_record(calls: Sequence[tuple], indices: Sequence[int], read: set[int] | None = None) -> dict[str, Any]:
    """A graph record (see :mod:`graphs.measured`) of ``calls[i]`` for ``i`` in ``indices``.

    With ``read`` (ids of tensors something reads), extra outputs nothing reads are dropped, as
    the tracer drops them (``max_pool2d_with_indices``'s indices in eval), so a measured kernel
    costs exactly what the same op costs in a traced model."""
    names: dict[int, str] = {}
    values: dict[str, tuple[tuple[int, ...], str]] = {}
    inputs: list[str] = []

    def name_of(t: torch.Tensor, produced: bool = False) -> str:
        v = names.get(id(t))
        if v is None or produced:
            v = names[id(t)] = f"v{len(values)}"
            values[v] = (tuple(int(d) for d in t.shape), dtype_name(t.dtype))
            if not produced:
                inputs.append(v)
        return v

    nodes = []
    for i in indices:
        func, args, kwargs, res, _ = calls[i]
        info = op_info(func)
        ins, attrs = describe_call(info, args, kwargs, lambda x: isinstance(x, torch.Tensor), name_of)
        results = [res] if isinstance(res, torch.Tensor) else list(res)
        outs = [name_of(t, produced=True) if isinstance(t, torch.Tensor) and (j == 0 or read is None or id(t) in read)
                else "" for j, t in enumerate(results)]
        while outs and not outs[-1]:
            outs.pop()
        nodes.append((info.op_type, ins, outs, attrs))
    return graph_record(values, inputs, nodes)


def capture(fn: Callable[[], Any]) -> dict[str, Any]:
    """Run ``fn`` once and return the graph record of the live ATen calls it made."""
    rec = OpRecorder()
    with torch.no_grad(), rec:
        out = fn()
    outs = [t for t in pytree.tree_leaves(out) if isinstance(t, torch.Tensor)]
    keep = live_calls(rec.calls, outs)
    return calls_record(rec.calls, keep, read_ids(rec.calls, keep, outs))


def _replay(func: Any, args: tuple, kwargs: dict, mutates: bool) -> Callable[[], Any]:
    if mutates:  # never let repeats change the values the rest of the pass sees
        args, kwargs = pytree.tree_map(lambda x: x.clone() if isinstance(x, torch.Tensor) else x, (args, kwargs))
    return lambda: func(*args, **kwargs)


# --- op cases -------------------------------------------------------------------------------------
def _rand(shape: Sequence[int], dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.randn(*shape, dtype=dtype, device=device)


def _op_mm(d, dev, dt):
    a, b = _rand((d["m"], d["k"]), dt, dev), _rand((d["k"], d["n"]), dt, dev)
    return lambda: torch.mm(a, b)


def _op_bmm(d, dev, dt):
    a, b = _rand((d["b"], d["m"], d["k"]), dt, dev), _rand((d["b"], d["k"], d["n"]), dt, dev)
    return lambda: torch.bmm(a, b)


def _op_linear(d, dev, dt):
    x, w, b = _rand((d["m"], d["k"]), dt, dev), _rand((d["n"], d["k"]), dt, dev), _rand((d["n"],), dt, dev)
    return lambda: torch.nn.functional.linear(x, w, b)


def _op_conv2d(d, dev, dt):
    g, k, s = d.get("groups", 1), d["k"], d.get("stride", 1)
    x = _rand((d["n"], d["c"], d["h"], d["h"]), dt, dev)
    w = _rand((d["co"], d["c"] // g, k, k), dt, dev)
    b = _rand((d["co"],), dt, dev) if d.get("bias") else None
    return lambda: torch.nn.functional.conv2d(x, w, b, s, k // 2, 1, g)


def _op_sdpa(d, dev, dt):
    q, k, v = (_rand((d["b"], d["h"], d["s"], d["d"]), dt, dev) for _ in range(3))
    causal = bool(d.get("causal"))
    return lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)


_UNARY = {"relu": torch.relu, "gelu": torch.nn.functional.gelu, "silu": torch.nn.functional.silu,
          "sigmoid": torch.sigmoid, "tanh": torch.tanh, "hardswish": torch.nn.functional.hardswish,
          "exp": torch.exp}
_BINARY = {"add": torch.add, "mul": torch.mul, "div": torch.div}


def _op_unary(d, dev, dt):
    x, f = _rand((d["numel"],), dt, dev), _UNARY[d["fn"]]
    return lambda: f(x)


def _op_binary(d, dev, dt):
    x, y, f = _rand((d["numel"],), dt, dev), _rand((d["numel"],), dt, dev), _BINARY[d["fn"]]
    return lambda: f(x, y)


def _op_layer_norm(d, dev, dt):
    x, w, b = _rand((d["rows"], d["d"]), dt, dev), _rand((d["d"],), dt, dev), _rand((d["d"],), dt, dev)
    return lambda: torch.nn.functional.layer_norm(x, (d["d"],), w, b)


def _op_rms_norm(d, dev, dt):
    x, w = _rand((d["rows"], d["d"]), dt, dev), _rand((d["d"],), dt, dev)
    return lambda: torch.nn.functional.rms_norm(x, (d["d"],), w, 1e-6)


def _op_batch_norm(d, dev, dt):
    c = d["c"]
    x = _rand((d["n"], c, d["h"], d["h"]), dt, dev)
    rm, rv = torch.zeros(c, dtype=dt, device=dev), torch.ones(c, dtype=dt, device=dev)
    w, b = torch.ones(c, dtype=dt, device=dev), torch.zeros(c, dtype=dt, device=dev)
    return lambda: torch.nn.functional.batch_norm(x, rm, rv, w, b, False)


def _op_softmax(d, dev, dt):
    x = _rand(tuple(d["shape"]), dt, dev)
    return lambda: torch.softmax(x, -1)


def _op_max_pool(d, dev, dt):
    x = _rand((d["n"], d["c"], d["h"], d["h"]), dt, dev)
    return lambda: torch.nn.functional.max_pool2d(x, 3, 2, 1)


def _op_avg_pool(d, dev, dt):
    x = _rand((d["n"], d["c"], d["h"], d["h"]), dt, dev)
    return lambda: torch.nn.functional.adaptive_avg_pool2d(x, 1)


def _op_mean(d, dev, dt):
    x = _rand((d["rows"], d["cols"]), dt, dev)
    return lambda: torch.mean(x, -1)


def _op_sum(d, dev, dt):
    x = _rand((d["rows"], d["cols"]), dt, dev)
    return lambda: torch.sum(x, -1)


def _op_embedding(d, dev, dt):
    table = _rand((d["vocab"], d["d"]), dt, dev)
    idx = torch.randint(0, d["vocab"], (d["b"], d["s"]), device=dev)
    return lambda: torch.nn.functional.embedding(idx, table)


def _op_transpose(d, dev, dt):
    x = _rand((d["b"], d["s"], d["d"]), dt, dev)
    return lambda: x.transpose(1, 2).contiguous()


def _op_cat(d, dev, dt):
    x, y = _rand((d["n"], d["c"], d["h"], d["h"]), dt, dev), _rand((d["n"], d["c"], d["h"], d["h"]), dt, dev)
    return lambda: torch.cat([x, y], 1)


OPS: dict[str, tuple[str, Callable[[Mapping[str, int], str, torch.dtype], Callable[[], Any]]]] = {
    "mm": ("matmul", _op_mm), "bmm": ("matmul", _op_bmm), "linear": ("linear", _op_linear),
    "conv2d": ("conv", _op_conv2d), "sdpa": ("attention", _op_sdpa), "unary": ("elementwise", _op_unary),
    "binary": ("elementwise", _op_binary), "layer_norm": ("layer_norm", _op_layer_norm),
    "rms_norm": ("rms_norm", _op_rms_norm), "batch_norm": ("batch_norm", _op_batch_norm),
    "softmax": ("softmax", _op_softmax), "max_pool": ("max_pool", _op_max_pool),
    "avg_pool": ("adaptive_avg_pool", _op_avg_pool), "mean": ("mean", _op_mean), "sum": ("sum", _op_sum),
    "embedding": ("embedding", _op_embedding), "transpose": ("transpose", _op_transpose), "cat": ("concat", _op_cat),
}


def op_case(group: str, op: str, precision: str = "fp32", **dims: Any) -> BenchCase:
    kind = OPS[op][0]
    if op in ("unary", "binary"):
        kind = dims["fn"]
    label = " ".join(f"{k}={v}" for k, v in dims.items())
    return BenchCase(group, f"{op} {label} {precision}", "kernel", kind, precision, {"op": op, "dims": dims})


def _gemm_cases(precisions: Sequence[str], full: bool) -> list[BenchCase]:
    out = []
    sq = (32, 64, 128, 256, 512, 1024, 2048) if full else (64, 256, 1024)
    for p in precisions:
        out += [op_case("gemm", "mm", p, m=n, k=n, n=n) for n in sq]
        if full:
            out += [op_case("gemm", "mm", p, m=m, k=k, n=n) for m in (1, 16, 128, 1024) for k, n in
                    ((768, 768), (768, 3072), (3072, 768), (4096, 4096)) if not (m == 1024 and k == 4096)]
            out += [op_case("gemm", "bmm", p, b=b, m=s, k=dh, n=s) for b, s, dh in
                    ((12, 128, 64), (12, 512, 64), (96, 197, 64), (16, 64, 32))]
            out += [op_case("gemm", "bmm", p, b=b, m=s, k=s, n=dh) for b, s, dh in ((12, 128, 64), (12, 512, 64))]
        out += [op_case("linear", "linear", p, m=m, k=k, n=n) for m, k, n in
                (((1, 768, 768), (128, 768, 3072)) if not full else
                 ((1, 768, 768), (1, 768, 3072), (1, 4096, 4096), (8, 1024, 1024), (32, 768, 3072), (128, 768, 768),
                  (128, 3072, 768), (512, 1024, 4096), (1568, 384, 1536), (16, 512, 1000), (1, 2048, 1000)))]
    return out


def _conv_cases(precisions: Sequence[str], full: bool) -> list[BenchCase]:
    out = []
    for p in precisions:
        if not full:
            out += [op_case("conv", "conv2d", p, n=1, c=64, h=56, co=64, k=3), op_case("conv", "conv2d", p, n=1, c=256,
                    h=14, co=1024, k=1), op_case("conv", "conv2d", p, n=1, c=96, h=56, co=96, k=3, groups=96)]
            continue
        for n in (1, 8):
            out += [op_case("conv", "conv2d", p, n=n, c=c, h=h, co=c, k=3) for c, h in
                    ((32, 112), (64, 56), (128, 28), (256, 14), (512, 7))]
            out += [op_case("conv", "conv2d", p, n=n, c=c, h=h, co=co, k=1) for c, h, co in
                    ((64, 56, 256), (256, 56, 64), (512, 28, 128), (1024, 14, 256), (96, 28, 576), (16, 112, 96))]
            out += [op_case("conv", "conv2d", p, n=n, c=3, h=224, co=64, k=7, stride=2),
                    op_case("conv", "conv2d", p, n=n, c=64, h=56, co=128, k=3, stride=2)]
            if p == "fp32":
                out += [op_case("conv/depthwise", "conv2d", p, n=n, c=c, h=h, co=c, k=k, groups=c, stride=s)
                        for c, h, k, s in ((32, 112, 3, 1), (144, 56, 3, 2), (240, 28, 5, 1), (672, 14, 5, 1),
                                           (96, 56, 7, 1), (384, 14, 7, 1), (960, 7, 3, 1))]
                out += [op_case("conv/grouped", "conv2d", p, n=n, c=c, h=h, co=c, k=3, groups=g)
                        for c, h, g in ((128, 56, 32), (256, 28, 32), (48, 56, 6), (208, 14, 26))]
    return out


def _vector_cases(full: bool) -> list[BenchCase]:
    sizes = (1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 22, 1 << 24) if full else (1 << 16, 1 << 22)
    fns = ("relu", "gelu", "silu", "sigmoid", "tanh", "hardswish") if full else ("relu", "gelu")
    out = [op_case("elementwise", "unary", "fp32", fn=f, numel=n) for f in fns for n in sizes]
    out += [op_case("elementwise", "binary", "fp32", fn=f, numel=n) for f in (("add", "mul") if full else ("add",))
            for n in sizes]
    rows = ((1, 768), (128, 768), (1024, 1024), (4096, 4096), (197, 384), (8192, 768)) if full else ((128, 768),)
    out += [op_case("norm", "layer_norm", "fp32", rows=r, d=d) for r, d in rows]
    out += [op_case("norm", "rms_norm", "fp32", rows=r, d=d) for r, d in rows[:4 if full else 1]]
    bn = ((1, 64, 56), (1, 256, 14), (8, 64, 112), (8, 512, 28)) if full else ((1, 64, 56),)
    out += [op_case("norm", "batch_norm", "fp32", n=n, c=c, h=h) for n, c, h in bn]
    sm = ((1, 1000), (64, 1000), (12, 128, 128), (12, 512, 512), (96, 197, 197), (4, 16, 1024, 1024)) if full \
        else ((12, 128, 128),)
    out += [op_case("softmax", "softmax", "fp32", shape=s) for s in sm]
    pools = ((1, 64, 112), (8, 64, 112), (1, 192, 56)) if full else ((1, 64, 112),)
    out += [op_case("pool", "max_pool", "fp32", n=n, c=c, h=h) for n, c, h in pools]
    out += [op_case("pool", "avg_pool", "fp32", n=n, c=c, h=h) for n, c, h in
            (((1, 2048, 7), (8, 512, 7), (32, 1280, 7), (8, 96, 56)) if full else ((1, 2048, 7),))]
    out += [op_case("reduction", "mean", "fp32", rows=r, cols=c) for r, c in
            (((1, 65536), (1024, 1024), (4096, 4096)) if full else ((1024, 1024),))]
    out += [op_case("embedding", "embedding", "fp32", vocab=v, d=d, b=b, s=s) for v, d, b, s in
            (((30522, 768, 1, 128), (30522, 768, 8, 128), (50257, 768, 1, 512), (50257, 1024, 8, 512)) if full
             else ((30522, 768, 1, 128),))]
    out += [op_case("copy", "transpose", "fp32", b=b, s=s, d=d) for b, s, d in
            (((1, 128, 768), (8, 512, 768), (12, 197, 64)) if full else ((1, 128, 768),))]
    out += [op_case("copy", "cat", "fp32", n=n, c=c, h=h) for n, c, h in
            (((1, 64, 56), (8, 128, 56), (1, 32, 28)) if full else ((1, 64, 56),))]
    return out


def _sdpa_cases(precisions: Sequence[str], full: bool) -> list[BenchCase]:
    seqs = (64, 128, 256, 512, 1024) if full else (128, 512)
    out = [op_case("attention", "sdpa", "fp32", b=1, h=12, s=s, d=64) for s in seqs]
    if full:
        out += [op_case("attention", "sdpa", "fp32", b=8, h=12, s=s, d=64) for s in (128, 512)]
        out += [op_case("attention", "sdpa", "fp32", b=1, h=12, s=s, d=64, causal=1) for s in (128, 512)]
        out += [op_case("attention", "sdpa", p, b=1, h=12, s=s, d=64) for p in precisions if p != "fp32"
                for s in (128, 512)]
    return out


def _dispatch_cases() -> list[BenchCase]:
    """Tiny ops whose time is the per-kernel dispatch overhead."""
    return [op_case("dispatch", "binary", "fp32", fn="add", numel=n) for n in (1, 16, 256)] + \
           [op_case("dispatch", "unary", "fp32", fn="relu", numel=n) for n in (1, 16, 256)] + \
           [op_case("dispatch", "mm", "fp32", m=2, k=2, n=2)]


def op_suite(name: str, precisions: Sequence[str] = ("fp32",)) -> list[BenchCase]:
    """Microbenchmarks: ``quick`` (≈ 30 cases) or ``full`` (≈ 300); extra ``precisions`` for matrix ops."""
    full = name == "full"
    return (_dispatch_cases() + _gemm_cases(precisions, full) + _conv_cases(precisions, full)
            + _sdpa_cases(precisions, full) + _vector_cases(full))


def make_op(case: BenchCase, device: str) -> Callable[[], Any]:
    return build_op(case.spec["op"], case.spec["dims"], device, case.precision)


def build_op(op: str, dims: Mapping[str, Any], device: str = "cpu", precision: str = "fp32") -> Callable[[], Any]:
    """The zero-argument eager callable of op case ``op`` at ``dims`` (inputs allocated now, on ``device``)."""
    if op not in OPS:
        raise ValueError(f"unknown op case {op!r}")
    return OPS[op][1](dims, device, PRECISION_DTYPES[precision])


# --- zoo models ---------------------------------------------------------------------------------------
def realize_model(name: str, batch: int, device: str, seq_len: int | None = None,
                  dtype: torch.dtype = torch.float32, seed: int = 0) -> tuple[torch.nn.Module, tuple, dict]:
    """The zoo model ``name`` with real random weights on ``device`` (eval), and real inputs of the traced shapes."""
    from graphs.frontends import LoadOptions
    from graphs_frontend_fx.zoo import spec as zoo_spec

    s = zoo_spec(name)
    torch.manual_seed(seed)
    mod = importlib.import_module(f"graphs_frontend_fx.zoo.{s.module}").build(s.name)
    mod = mod.to(device=device, dtype=dtype).eval()
    args, kwargs = s.example_inputs(LoadOptions(batch=batch, seq_len=seq_len))

    def real(t: Any) -> Any:
        if not isinstance(t, torch.Tensor):
            return t
        if t.is_floating_point():
            return torch.randn(tuple(t.shape), dtype=dtype, device=device)
        return torch.randint(0, 100, tuple(t.shape), dtype=t.dtype, device=device)  # token ids < every vocab

    args, kwargs = pytree.tree_map(real, (tuple(args), dict(kwargs)))
    return mod, args, kwargs


def eager_context():
    """What the tracer runs under (no grad, nn.MultiheadAttention's fused fast path off)."""
    import contextlib

    stack = contextlib.ExitStack()
    stack.enter_context(torch.no_grad())
    if hasattr(torch.backends, "mha"):
        prev = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        stack.callback(torch.backends.mha.set_fastpath_enabled, prev)
    return stack


# --- the runner ------------------------------------------------------------------------------------------
DEFAULT_MODELS: tuple[tuple[str, int | None], ...] = (
    ("resnet18", None), ("resnet50", None), ("mobilenet_v2", None), ("efficientnet_b0", None),
    ("squeezenet1_1", None), ("regnet_y_400mf", None), ("densenet121", None), ("convnext_tiny", None),
    ("deit-small", None), ("bert-base", None), ("gpt2", 128),
    ("resnet34", None), ("mobilenet_v3_large", None), ("deit-tiny", None), ("distilbert-base", None),
)
MODEL_BATCHES = (1, 8)


@dataclass
class Timing:
    """How a runner times: ``measure`` keyword arguments for kernels, models and the tiny dispatch ops."""

    kernel: Mapping[str, Any]
    model: Mapping[str, Any]
    in_model: Mapping[str, Any]


class TorchRunner:
    """Shared body of the PyTorch runners; subclasses set ``name``, ``device_type`` and the hooks."""

    name = "torch"
    device_type = "cpu"
    timing = Timing(kernel={"warmup": 3, "min_repeats": 7, "max_repeats": 200, "max_time_s": 1.0},
                    model={"warmup": 2, "min_repeats": 7, "max_repeats": 50, "max_time_s": 8.0},
                    in_model={"warmup": 1, "min_repeats": 5, "max_repeats": 50, "max_time_s": 0.25, "rel_tol": 0.03})
    models: Sequence[tuple[str, int | None]] = DEFAULT_MODELS
    batches: Sequence[int] = MODEL_BATCHES

    # --- hooks ---
    def precisions(self) -> list[str]:
        return ["fp32"]

    def threads(self) -> int | None:
        return None

    def measure(self, fn: Callable[[], Any], **kw: Any) -> Stats:
        return measure(fn, **kw)

    def energy(self, fn: Callable[[], Any], seconds: float) -> tuple[float, float] | None:
        """(joules per call, average watts) or None."""
        return None

    def setup(self) -> None:
        """Called before each case (e.g. to set the thread count)."""

    # --- Runner protocol ---
    def suite(self, name: str) -> list[BenchCase]:
        if name in ("quick", "full"):
            return op_suite(name, self.precisions())
        if name == "models":
            return [BenchCase(f"model:{m}", f"{m} b{b}" + (f" s{s}" if s else ""), "model", "model", "fp32",
                              {"model": m, "batch": b, "seq_len": s}) for m, s in self.models for b in self.batches]
        raise ValueError(f"unknown suite {name!r} (quick, full, models)")

    def run(self, case: BenchCase) -> Measurement | list[Measurement]:
        self.setup()
        if case.level == "model":
            return self._run_model(case)
        fn = make_op(case, self.device_type)
        rec = capture(fn)
        st = self.measure(fn, **self.timing.kernel)
        return self._measurement(case.level, case.name, case.op_kind, case.precision, rec, st,
                                 {"suite_group": case.group, "case": dict(case.spec)}, fn)

    def _measurement(self, level: str, name: str, kind: str, precision: str, shapes: Mapping[str, Any], st: Stats,
                     params: Mapping[str, Any], fn: Callable[[], Any] | None = None) -> Measurement:
        e = self.energy(fn, st.median_s) if fn is not None else None
        return Measurement(level=level, name=name, median_s=st.median_s, repeats=st.repeats, op_kind=kind,
                           precision=precision, shapes=dict(shapes), params=dict(params), threads=self.threads(),
                           mean_s=st.mean_s, std_s=st.std_s, min_s=st.min_s, max_s=st.max_s,
                           energy_j=e[0] if e else None, avg_power_w=e[1] if e else None,
                           extra={"stable": st.stable})

    def _run_model(self, case: BenchCase) -> list[Measurement]:
        from graphs.plugins import get_plugins
        from graphs.ops.registry import Category

        spec = case.spec
        model, batch, seq = str(spec["model"]), int(spec["batch"]), spec.get("seq_len")
        mod, args, kwargs = realize_model(model, batch, self.device_type, seq)
        ops = get_plugins().ops
        fwd = lambda: mod(*args, **kwargs)  # noqa: E731
        common = {"model": model, "batch": batch, "seq_len": seq, "suite_group": case.group}
        with eager_context():
            st = self.measure(fwd, **self.timing.model)
            m_model = self._measurement("model", model, "model", "fp32", model_reference(model, batch, seq), st,
                                        common, fwd)
            times: dict[int, Stats] = {}

            def on_call(i: int, func: Any, a: tuple, kw: dict) -> None:
                info = op_info(func)
                h = ops.handlers.get(info.op_type)
                if h is not None and ops.kinds[h.kind].category is Category.VIEW:
                    return
                times[i] = self.measure(_replay(func, a, kw, info.mutates), **self.timing.in_model)

            rec = OpRecorder(on_call)
            with rec:
                out = fwd()
            # time the model again after its kernels: on a shared machine keep the less disturbed of the two
            st2 = self.measure(fwd, **self.timing.model)
            if st2.median_s < st.median_s:
                m_model = self._measurement("model", model, "model", "fp32", model_reference(model, batch, seq), st2,
                                            common, None)
            m_model = replace(m_model, min_s=min(st.min_s, st2.min_s),
                              extra={**m_model.extra, "medians_s": [st.median_s, st2.median_s],
                                     "mins_s": [st.min_s, st2.min_s]})
        outs = [t for t in pytree.tree_leaves(out) if isinstance(t, torch.Tensor)]
        live = live_calls(rec.calls, outs)
        read = read_ids(rec.calls, live, outs)
        keep = [i for i in live if i in times]
        kernels: list[Measurement] = []
        counts: dict[str, int] = {}
        for i in keep:
            info = op_info(rec.calls[i][0])
            h = ops.handlers.get(info.op_type)
            k = counts.get(info.short, 0)
            counts[info.short] = k + 1
            kernels.append(self._measurement(
                "kernel", f"{model}[b{batch}]/{info.short}_{k}", h.kind if h else info.op_type,
                "fp32", calls_record(rec.calls, [i], read), times[i], {**common, "in_model": True, "index": i}))
        total = sum(k.median_s for k in kernels)
        m_model = replace(m_model, params={**m_model.params, "kernels": len(kernels), "kernels_sum_s": total})
        return [m_model, *kernels]


def torch_environment() -> dict[str, Any]:
    """Versions every PyTorch runner records."""
    cfg = torch.__config__.show()
    sw: dict[str, Any] = {"torch": torch.__version__, "python": platform.python_version()}
    for line in cfg.splitlines():
        line = line.strip()
        if "Math Kernel Library Version" in line:
            sw["mkl"] = line.split("Version", 1)[1].strip().split()[0]
        elif line.startswith("- Intel(R) MKL-DNN") or "oneDNN" in line and line.startswith("-"):
            sw["onednn"] = line.split(" v", 1)[1].split()[0] if " v" in line else line.lstrip("- ")
        elif line.startswith("- OpenMP"):
            sw["openmp"] = line.lstrip("- ")
        elif "CPU capability usage" in line:
            sw["cpu_capability"] = line.split(":", 1)[1].strip()
    try:
        import graphs_frontend_fx
        sw["graphs_frontend_fx"] = graphs_frontend_fx.__version__
    except Exception:  # pragma: no cover
        pass
    return sw
