"""Core pipeline on a hand-built graph: costs, fusion, memory, roofline composition."""

import pytest

from graphs.errors import UnsupportedOpError
from graphs.hardware import parse_spec
from graphs.ir import GraphBuilder, TensorSpec
from graphs.mapper import EfficiencyPrior, Mapper
from graphs.ops import HandlerTable, kinds
from graphs.partition import partition
from graphs.plugins import GraphsPlugins
from graphs.estimate import analyze_graph, compose
from graphs.results import ConfidenceLevel

T = HandlerTable()
T.add("t::linear", "linear", kinds.linear)
T.add("t::relu", "relu", kinds.default_formula("relu"))
T.add("t::add", "add", kinds.default_formula("add"))
T.add("t::matmul", "matmul", kinds.matmul)
T.add("t::softmax", "softmax", kinds.default_formula("softmax"))
T.add("t::reshape", "reshape", kinds.view)


def registry():
    gp = GraphsPlugins()
    T.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    return gp


def mlp_graph(with_bad_op=False):
    b = GraphBuilder("mlp", "test")
    b.input("x", TensorSpec((8, 64)))
    b.parameter("w1", TensorSpec((128, 64)))
    b.parameter("w2", TensorSpec((64, 128)))
    b.node("fc1", "t::linear", ["x", "w1"], [("h", TensorSpec((8, 128)))])
    b.node("act", "t::relu", ["h"], [("a", TensorSpec((8, 128)))])
    b.node("fc2", "t::linear", ["a", "w2"], [("y", TensorSpec((8, 64)))])
    b.node("res", "t::add", ["y", "x"], [("z", TensorSpec((8, 64)))])
    if with_bad_op:
        b.node("odd", "t::mystery", ["z"], [("q", TensorSpec((8, 64)))])
    b.output("q" if with_bad_op else "z")
    return b.build()


def test_costs_and_fusion():
    gp = registry()
    g = mlp_graph()
    costs = gp.ops.costs(g)
    assert costs["fc1"].flops == 2 * 8 * 128 * 64
    assert costs["fc1"].matrix and not costs["act"].matrix
    ks = partition(g, gp.ops, "default", costs)
    # fc1+relu fused, fc2+residual add fused
    assert [k.nodes for k in ks] == [("fc1", "act"), ("fc2", "res")]
    # the fused intermediate h never touches memory
    k0 = ks[0]
    assert k0.bytes_written == 8 * 128 * 4
    assert k0.bytes_read == (8 * 64 + 128 * 64) * 4
    assert k0.gemm.m == 8 and k0.gemm.n == 128 and k0.gemm.k == 64
    # the residual read of x is external to kernel 2
    assert ks[1].bytes_read == (8 * 128 + 64 * 128 + 8 * 64) * 4
    unfused = partition(g, gp.ops, "none", costs)
    assert len(unfused) == 4
    assert sum(k.bytes for k in unfused) > sum(k.bytes for k in ks)


def test_unsupported_op_is_error_not_zero():
    gp = registry()
    with pytest.raises(UnsupportedOpError, match="t::mystery"):
        analyze_graph(mlp_graph(with_bad_op=True), gp)


def test_attention_fusion_and_views():
    gp = registry()
    b = GraphBuilder("attn", "test")
    q = b.input("q", TensorSpec((2, 4, 16, 8)))
    k = b.input("kt", TensorSpec((2, 4, 8, 16)))
    v = b.input("v", TensorSpec((2, 4, 16, 8)))
    b.node("qk", "t::matmul", [q, k], [("s", TensorSpec((2, 4, 16, 16)))])
    b.node("sm", "t::softmax", ["s"], [("p", TensorSpec((2, 4, 16, 16)))])
    b.node("pv", "t::matmul", ["p", v], [("o", TensorSpec((2, 4, 16, 8)))])
    b.node("rs", "t::reshape", ["o"], [("o2", TensorSpec((2, 64, 8)))])
    b.output("o2")
    g = b.build()
    ks = partition(g, gp.ops, "default")
    assert len(ks) == 1 and ks[0].kind == "attention"
    # scores and probabilities stay on chip
    assert ks[0].bytes_read == (3 * 2 * 4 * 16 * 8) * 4
    assert ks[0].bytes_written == 2 * 4 * 16 * 8 * 4
    assert len(partition(g, gp.ops, "none")) == 3


SPEC = {
    "id": "toy", "name": "Toy", "vendor": "test", "family": "toy",
    "sources": {"ds": "Toy datasheet (test fixture)"},
    "compute": {"vec": {"peaks": {"fp32": {"value": 1, "unit": "TFLOP/s", "source": "@ds"}}}},
    "memory": [{"name": "dram", "size": {"value": 1, "unit": "GiB", "source": "@ds"},
                "bandwidth": {"value": 100, "unit": "GB/s", "source": "@ds"}}],
    "overheads": {"kernel_launch": {"value": 5, "unit": "us", "source": "@ds"}},
}


class ToyMapper(Mapper):
    family = "toy"

    def prior(self, kernel):
        return EfficiencyPrior(1.5, 1.1, 2.0, "test fixture")


def test_roofline_composition():
    gp = registry()
    spec = parse_spec(SPEC)
    m = ToyMapper(spec)
    a = analyze_graph(mlp_graph(), gp)
    r = compose(a, m)
    ks = a.kernels
    expected = 0.0
    for k in ks:
        t_roof = max(k.flops / 1e12, k.bytes / 100e9)
        expected += t_roof * 1.5 + 5e-6
    assert r.value == pytest.approx(expected)
    assert r.low < r.value < r.high
    assert r.confidence is ConfidenceLevel.THEORETICAL
    assert r.metrics["fits"] is True
    assert r.metrics["parameter_bytes"] == (128 * 64 * 2) * 4
    assert len(r.breakdown) == len(ks)
