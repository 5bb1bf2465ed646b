"""GPUMapper end to end: registry, estimates of hand-built graphs, intervals, energy."""

import pytest

from graphs.estimate import analyze_graph, compose
from graphs.hardware import load_spec, parse_spec
from graphs.ir import GraphBuilder, TensorSpec
from graphs.ops import HandlerTable, kinds
from graphs.ops.registry import Category
from graphs.partition import Kernel
from graphs.plugins import GraphsPlugins, get_plugins
from graphs.results import ConfidenceLevel
from graphs.hardware.package import spec_file

SPEC = spec_file("graphs_mapper_h100")
from graphs_mappers_gpu import GPUMapper, GPUOptions

T = HandlerTable()
T.add("g::linear", "linear", kinds.linear)
T.add("g::gelu", "gelu", kinds.default_formula("gelu"))
T.add("g::layer_norm", "layer_norm", kinds.default_formula("layer_norm"))
T.add("g::add", "add", kinds.default_formula("add"))


def registry():
    gp = GraphsPlugins()
    T.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    return gp


def mlp(tokens: int, hidden: int = 1024, dtype: str = "float16"):
    """LayerNorm → Linear(h, 4h) → GELU → Linear(4h, h) → residual add."""
    b = GraphBuilder(f"mlp{tokens}", "test")
    b.input("x", TensorSpec((tokens, hidden), dtype))
    b.parameter("g", TensorSpec((hidden,), dtype))
    b.parameter("w1", TensorSpec((4 * hidden, hidden), dtype))
    b.parameter("w2", TensorSpec((hidden, 4 * hidden), dtype))
    b.node("ln", "g::layer_norm", ["x", "g", "g"], [("n", TensorSpec((tokens, hidden), dtype))])
    b.node("fc1", "g::linear", ["n", "w1"], [("h", TensorSpec((tokens, 4 * hidden), dtype))])
    b.node("act", "g::gelu", ["h"], [("a", TensorSpec((tokens, 4 * hidden), dtype))])
    b.node("fc2", "g::linear", ["a", "w2"], [("y", TensorSpec((tokens, hidden), dtype))])
    b.node("res", "g::add", ["y", "x"], [("z", TensorSpec((tokens, hidden), dtype))])
    b.output("z")
    return b.build()


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC)


def test_registry_builds_the_gpu_mapper_for_h100_and_its_alias():
    gp = get_plugins()
    assert "gpu" in gp.mappers
    m = gp.mapper_for("h100-sxm")
    assert isinstance(m, GPUMapper) and m.spec.id == "h100"
    assert m.default_fusion == "none"


def test_estimates_are_monotone_in_size_with_honest_intervals(spec):
    gp, mapper = registry(), GPUMapper(spec, options=GPUOptions())
    times = []
    for tokens in (1, 16, 256, 4096, 32768, 131072):
        r = compose(analyze_graph(mlp(tokens), gp, fusion="none"), mapper, fusion="none")
        assert r.low <= r.value <= r.high
        assert r.confidence is ConfidenceLevel.THEORETICAL and r.provenance.mapper == "gpu"
        for k in r.breakdown:
            assert k.low_s <= k.time_s <= k.high_s
        times.append(r.value)
    assert times == sorted(times) and times[-1] > 20 * times[0]
    small = compose(analyze_graph(mlp(1), gp, fusion="none"), mapper, fusion="none")
    assert {k.bound for k in small.breakdown} == {"overhead"}
    big = compose(analyze_graph(mlp(131072), gp, fusion="none"), mapper, fusion="none")
    fc = next(k for k in big.breakdown if k.kind == "linear")
    assert fc.bound == "compute" and fc.unit.startswith("tensor_core:fp16")


def test_monotone_in_hidden_size_and_faster_at_fp16_than_fp32(spec):
    gp, mapper = registry(), GPUMapper(spec, options=GPUOptions())
    t = [compose(analyze_graph(mlp(8192, h), gp, fusion="none"), mapper).value for h in (256, 1024, 4096)]
    assert t == sorted(t)
    t16 = compose(analyze_graph(mlp(16384, 2048), gp, fusion="none"), mapper).value
    t32 = compose(analyze_graph(mlp(16384, 2048, "float32"), gp, fusion="none"), mapper).value
    assert t32 > 3 * t16     # FP32 matmuls run on CUDA cores (TF32 off): ~15x slower math


def test_prior_names_its_data_and_borrowed_groups(spec):
    mapper = GPUMapper(spec, options=GPUOptions())
    k = Kernel("p", ("p",), "max_pool", Category.POOL, 1e6, 0.0, 4e6, 1e6, "float32")
    p = mapper.prior(k)
    assert "borrowed" in p.source and "neusight" in p.source and p.n > 100
    a = Kernel("a", ("a",), "add", Category.ELEMENTWISE, 1e6, 0.0, 8e6, 4e6, "float32")
    assert "group elementwise@high_power" in mapper.prior(a).source


def test_energy_only_with_sourced_coefficients(spec):
    k = Kernel("a", ("a",), "add", Category.ELEMENTWISE, 1e9, 0.0, 8e9, 4e9, "float32")
    assert GPUMapper(spec, options=GPUOptions()).estimate_kernel(k).energy_j is None
    data = spec.model_dump()
    src = "test fixture coefficients"
    data["power"]["idle"] = {"value": 70, "unit": "W", "source": src}
    data["energy"] = {"per_flop": {"fp32": {"value": 2, "unit": "pJ", "source": src}},
                      "per_byte": {"hbm3": {"value": 10, "unit": "pJ", "source": src}}}
    m = GPUMapper(parse_spec(data), options=GPUOptions())
    e = m.estimate_kernel(k)
    assert e.energy_j == pytest.approx(70 * e.time_s + 1e9 * 2e-12 + 12e9 * 10e-12)
