"""Single-op benchmark cases: a one-node graphs IR graph and the eager PyTorch call it stands for.

Used by ``benchmarks/derive_cpu_priors.py`` (to time kernels and compare them with the
mapper's roofline, so FLOPs and bytes are counted exactly as the pipeline counts them) and
by the tests. Graph nodes use op types ``bench::<kind>`` with the canonical kinds' default
formulas from :mod:`graphs.ops.kinds` (no torch needed to build them); the eager callables
come from the op cases the benchmark runners share (:func:`graphs_frontend_fx.measure.build_op`).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from graphs.ir import Graph, GraphBuilder, TensorSpec
from graphs.ops import HandlerTable, kinds
from graphs.ops.registry import OpRegistry
from graphs.partition import Kernel, partition

KINDS_USED = ("matmul", "linear", "conv", "relu", "add", "mul", "gelu", "sigmoid", "layer_norm", "batch_norm",
              "softmax", "sum", "max_pool", "adaptive_avg_pool", "transpose", "concat", "embedding", "attention")

TABLE = HandlerTable()
for _k in KINDS_USED:
    TABLE.add(f"bench::{_k}", _k, kinds.default_formula(_k))


def registry() -> OpRegistry:
    reg = OpRegistry()
    for info in kinds.KINDS.values():
        reg.add_kind(info)
    TABLE.register_into(lambda t, k, f: reg.register(t, k, f, "bench"))
    return reg


@dataclass
class Case:
    """One benchmark: ``graph`` (one node) and ``make()`` → a zero-argument torch callable."""

    name: str
    kind: str
    graph: Graph
    make: Callable[[], Callable[[], Any]]
    attrs: dict[str, Any] = field(default_factory=dict)

    def kernel(self, reg: OpRegistry | None = None) -> Kernel:
        ks = partition(self.graph, reg or registry(), "none")
        assert len(ks) == 1, f"{self.name}: expected one kernel, got {len(ks)}"
        return ks[0]


def _one(name: str, kind: str, ins: list[tuple[str, tuple[int, ...], str]], out: tuple[int, ...],
         make: Callable[[], Callable[[], Any]], attrs: dict[str, Any] | None = None,
         params: tuple[str, ...] = ()) -> Case:
    b = GraphBuilder(name, "bench")
    for n, shape, dt in ins:
        (b.parameter if n in params else b.input)(n, TensorSpec(shape, dt))
    b.node("op", f"bench::{kind}", [n for n, _, _ in ins], [("y", TensorSpec(out))], attrs or {})
    b.output("y")
    return Case(name, kind, b.build(), make, dict(attrs or {}))


def _make(op: str, **dims: Any) -> Callable[[], Callable[[], Any]]:
    """The eager callable, built by the PyTorch runners' op cases (graphs_frontend_fx.measure)."""
    def make():
        from graphs_frontend_fx.measure import build_op
        return build_op(op, dims)
    return make


def mm(m: int, k: int, n: int) -> Case:
    return _one(f"mm {m}x{k}x{n}", "matmul", [("a", (m, k), "float32"), ("b", (k, n), "float32")], (m, n),
                _make("mm", m=m, k=k, n=n))


def bmm(bt: int, m: int, k: int, n: int) -> Case:
    return _one(f"bmm {bt}x{m}x{k}x{n}", "matmul", [("a", (bt, m, k), "float32"), ("b", (bt, k, n), "float32")],
                (bt, m, n), _make("bmm", b=bt, m=m, k=k, n=n))


def linear(m: int, k: int, n: int) -> Case:
    return _one(f"linear {m}x{k}->{n}", "linear", [("x", (m, k), "float32"), ("w", (n, k), "float32"),
                                                    ("bias", (n,), "float32")], (m, n), _make("linear", m=m, k=k, n=n),
                params=("w", "bias"))


def conv2d(n: int, c: int, h: int, co: int, k: int, stride: int = 1, groups: int = 1) -> Case:
    pad = k // 2
    ho = (h + 2 * pad - k) // stride + 1
    tag = "dw" if groups > 1 else f"{k}x{k}"
    return _one(f"conv2d {tag} {n}x{c}x{h}x{h}->{co} s{stride}", "conv",
                [("x", (n, c, h, h), "float32"), ("w", (co, c // groups, k, k), "float32")], (n, co, ho, ho),
                _make("conv2d", n=n, c=c, h=h, co=co, k=k, stride=stride, groups=groups),
                {"groups": groups, "stride": (stride, stride), "padding": (pad, pad)}, params=("w",))


def unary(kind: str, numel: int) -> Case:
    return _one(f"{kind} {numel}", kind, [("x", (numel,), "float32")], (numel,), _make("unary", fn=kind, numel=numel))


def binary(kind: str, numel: int) -> Case:
    return _one(f"{kind} {numel}", kind, [("x", (numel,), "float32"), ("y", (numel,), "float32")], (numel,),
                _make("binary", fn=kind, numel=numel))


def layer_norm(rows: int, d: int) -> Case:
    return _one(f"layer_norm {rows}x{d}", "layer_norm", [("x", (rows, d), "float32"), ("w", (d,), "float32"),
                                                          ("b", (d,), "float32")], (rows, d),
                _make("layer_norm", rows=rows, d=d), params=("w", "b"))


def batch_norm(n: int, c: int, h: int) -> Case:
    ins = [("x", (n, c, h, h), "float32")] + [(p, (c,), "float32") for p in ("rm", "rv", "w", "b")]
    return _one(f"batch_norm {n}x{c}x{h}x{h}", "batch_norm", ins, (n, c, h, h), _make("batch_norm", n=n, c=c, h=h),
                params=("rm", "rv", "w", "b"))


def softmax(shape: tuple[int, ...]) -> Case:
    return _one(f"softmax {'x'.join(map(str, shape))}", "softmax", [("x", shape, "float32")], shape,
                _make("softmax", shape=shape))


def reduce_sum(rows: int, cols: int) -> Case:
    return _one(f"sum {rows}x{cols}", "sum", [("x", (rows, cols), "float32")], (rows,),
                _make("sum", rows=rows, cols=cols))


def max_pool(n: int, c: int, h: int) -> Case:
    ho = (h + 2 - 3) // 2 + 1
    return _one(f"max_pool 3x3s2 {n}x{c}x{h}x{h}", "max_pool", [("x", (n, c, h, h), "float32")], (n, c, ho, ho),
                _make("max_pool", n=n, c=c, h=h), {"kernel": (3, 3)})


def global_avg_pool(n: int, c: int, h: int) -> Case:
    return _one(f"adaptive_avg_pool {n}x{c}x{h}x{h}", "adaptive_avg_pool", [("x", (n, c, h, h), "float32")],
                (n, c, 1, 1), _make("avg_pool", n=n, c=c, h=h))


def transpose(b: int, s: int, d: int) -> Case:
    return _one(f"transpose.contiguous {b}x{s}x{d}", "transpose", [("x", (b, s, d), "float32")], (b, d, s),
                _make("transpose", b=b, s=s, d=d))


def concat(n: int, c: int, h: int) -> Case:
    return _one(f"cat {n}x{c}x{h}x{h} x2", "concat", [("x", (n, c, h, h), "float32"), ("y", (n, c, h, h), "float32")],
                (n, 2 * c, h, h), _make("cat", n=n, c=c, h=h))


def embedding(vocab: int, d: int, b: int, s: int) -> Case:
    return _one(f"embedding {vocab}x{d} [{b}x{s}]", "embedding", [("table", (vocab, d), "float32"),
                                                                  ("idx", (b, s), "int64")], (b, s, d),
                _make("embedding", vocab=vocab, d=d, b=b, s=s), params=("table",))


def attention(b: int, h: int, s: int, d: int) -> Case:
    shp = (b, h, s, d)
    return _one(f"sdpa {b}x{h}x{s}x{d}", "attention", [("q", shp, "float32"), ("k", shp, "float32"),
                                                       ("v", shp, "float32")], shp, _make("sdpa", b=b, h=h, s=s, d=d))


def default_cases() -> list[Case]:
    """The set ``derive_cpu_priors.py`` times (fp32); sized to run in well under a minute."""
    cs: list[Case] = []
    cs += [mm(n, n, n) for n in (64, 128, 256, 512, 1024, 1536)]
    cs += [mm(1, 1024, 1024), mm(8, 4096, 1024), mm(128, 768, 768), mm(512, 512, 2048), mm(4096, 256, 1024),
           mm(64, 4096, 64)]
    cs += [bmm(12, 128, 64, 128), bmm(12, 128, 128, 64), bmm(16, 256, 64, 256)]
    cs += [linear(1, 768, 3072), linear(128, 768, 768), linear(1, 4096, 4096), linear(32, 1024, 4096)]
    cs += [conv2d(1, 3, 224, 64, 7, 2), conv2d(1, 64, 56, 64, 3), conv2d(1, 128, 28, 128, 3), conv2d(1, 256, 14, 256, 3),
           conv2d(1, 512, 7, 512, 3), conv2d(4, 64, 56, 64, 3), conv2d(1, 64, 56, 256, 1), conv2d(1, 256, 56, 64, 1),
           conv2d(1, 512, 28, 128, 1), conv2d(1, 32, 112, 16, 1), conv2d(1, 576, 14, 96, 1)]
    cs += [conv2d(1, 32, 112, 32, 3, 1, 32), conv2d(1, 144, 56, 144, 3, 2, 144), conv2d(1, 96, 112, 96, 3, 2, 96),
           conv2d(1, 576, 14, 576, 3, 1, 576), conv2d(1, 960, 7, 960, 3, 1, 960), conv2d(8, 96, 56, 96, 3, 1, 96)]
    for n in (4096, 65536, 1 << 20, 1 << 23):
        cs += [unary("relu", n), binary("add", n)]
    for n in (65536, 1 << 22):
        cs += [unary("gelu", n), unary("sigmoid", n), binary("mul", n)]
    cs += [layer_norm(1, 768), layer_norm(128, 768), layer_norm(1024, 1024), layer_norm(4096, 4096)]
    cs += [batch_norm(1, 64, 56), batch_norm(1, 256, 14), batch_norm(8, 64, 112)]
    cs += [softmax((12, 128, 128)), softmax((1, 1000)), softmax((12, 512, 512)), softmax((64, 1000)),
           softmax((4, 16, 1024, 1024))]
    cs += [reduce_sum(1, 65536), reduce_sum(1024, 1024), reduce_sum(4096, 4096)]
    cs += [max_pool(1, 64, 112), max_pool(8, 64, 112), global_avg_pool(1, 2048, 7), global_avg_pool(32, 512, 14)]
    cs += [transpose(1, 128, 768), transpose(16, 512, 768), concat(1, 64, 56), concat(8, 128, 56)]
    cs += [embedding(30522, 768, 1, 128), embedding(30522, 768, 8, 512), embedding(50257, 1024, 1, 1)]
    cs += [attention(1, 12, 128, 64), attention(1, 12, 512, 64), attention(8, 12, 128, 64), attention(1, 16, 1024, 64)]
    return cs


def time_callable(fn: Callable[[], Any], min_reps: int = 5, budget_s: float = 0.25, max_reps: int = 200,
                  warmup: int = 2) -> dict[str, float]:
    """Median (and quartiles) of wall time per call after warm-up."""
    for _ in range(warmup):
        fn()
    ts: list[float] = []
    start = time.perf_counter()
    while len(ts) < min_reps or (time.perf_counter() - start < budget_s and len(ts) < max_reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    q = statistics.quantiles(ts, n=4) if len(ts) >= 2 else [ts[0]] * 3
    return {"median_s": statistics.median(ts), "p25_s": q[0], "p75_s": q[2], "min_s": min(ts), "reps": len(ts)}
