"""Edge engine: supported-op list, CPU fallback with transfer cost, quantization policy, power modes."""

from graphs.hardware.package import spec_file
import copy

import pytest
import yaml

from graphs.errors import SpecError
from graphs.estimate import analyze_graph, compose
from graphs.hardware import load_spec, parse_spec
from graphs.ir import GraphBuilder, TensorSpec
from graphs.ops import HandlerTable, kinds
from graphs.plugins import GraphsPlugins

from graphs_mappers_edge import CPU, NPU, EdgeMapper, EdgeOptions

import graphs_mapper_coral_edge_tpu
import graphs_mapper_rk3588_npu

T = HandlerTable()
T.add("t::conv", "conv", kinds.default_formula("conv"))
T.add("t::relu", "relu", kinds.default_formula("relu"))
T.add("t::gelu", "gelu", kinds.default_formula("gelu"))


def registry():
    gp = GraphsPlugins()
    T.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    return gp


def cnn(dtype="int8", odd="t::gelu", k2=3):
    """conv3x3 -> relu -> <odd> -> conv(k2) -> relu, NCHW."""
    b = GraphBuilder("cnn", "test")
    b.input("x", TensorSpec((1, 16, 56, 56), dtype))
    b.parameter("w1", TensorSpec((32, 16, 3, 3), dtype))
    b.parameter("w2", TensorSpec((32, 32, k2, k2), dtype))
    act = lambda n: TensorSpec((1, 32, 56, 56), dtype)
    b.node("c1", "t::conv", ["x", "w1"], [("a", act(0))], {"stride": (1, 1), "padding": (1, 1)})
    b.node("r1", "t::relu", ["a"], [("b", act(0))])
    b.node("g", odd, ["b"], [("c", act(0))])
    b.node("c2", "t::conv", ["c", "w2"], [("d", act(0))], {"stride": (1, 1), "padding": (k2 // 2, k2 // 2)})
    b.node("r2", "t::relu", ["d"], [("e", act(0))])
    b.output("e")
    return analyze_graph(b.build(), registry(), fusion="none")


def coral(**opts):
    return EdgeMapper(load_spec(spec_file("graphs_mapper_coral_edge_tpu")), options=EdgeOptions(**opts))


def rk3588(**opts):
    return EdgeMapper(load_spec(spec_file("graphs_mapper_rk3588_npu")), options=EdgeOptions(**opts))


def test_unsupported_op_falls_back_with_transfer_cost():
    a = cnn()
    m = rk3588()
    r = compose(a, m)
    units = [p.unit for p in r.breakdown]
    assert units == [NPU, NPU, CPU, NPU, NPU]           # conv, relu | gelu | conv, relu (per-kernel partitioning)
    fb = r.breakdown[2]
    t_model, _ = m.t_model(a.kernels[2], CPU, "int8", 1.0)
    assert fb.time_s > t_model * m.priors.prior(a.kernels[2], CPU).median   # the transfer is on top
    assert any("fell back to the CPU" in n and "gelu" in n for n in r.provenance.notes)
    assert any("2 NPU<->CPU transfers" in n for n in r.provenance.notes)
    assert r.low < r.value < r.high


def test_edge_tpu_runs_everything_after_the_first_unsupported_op_on_the_cpu():
    r = compose(cnn(), coral())
    assert [p.unit for p in r.breakdown] == [NPU, NPU, CPU, CPU, CPU]
    assert any("after the first unsupported op" in n for n in r.provenance.notes)
    # discrete NPU: the graph input crosses PCIe before the first NPU kernel
    assert r.breakdown[0].bound in ("transfer", "compute", "memory")
    clean = compose(cnn(odd="t::relu"), coral())
    assert {p.unit for p in clean.breakdown} == {NPU}
    assert clean.metrics["model_overhead_s"] > 0        # the result returns over PCIe


def test_filter_size_constraint():
    spec = load_spec(spec_file("graphs_mapper_rk3588_npu")).model_dump(mode="json")
    spec["family_params"]["npu_ops"][0]["max_kernel"] = {"value": 3, "source": "test fixture"}
    m = EdgeMapper(parse_spec(spec), options=EdgeOptions())
    r = compose(cnn(odd="t::relu", k2=5), m)
    assert [p.unit for p in r.breakdown] == [NPU, NPU, NPU, CPU, NPU]
    assert any("5x5 filter" in n for n in r.provenance.notes)


def test_float_models_assumed_quantized_or_fall_back():
    a = cnn(dtype="float32", odd="t::relu")
    assumed = compose(a, coral(quantize="assume"))
    assert {p.unit for p in assumed.breakdown} == {NPU}
    assert any("assumed post-training quantized" in n for n in assumed.provenance.notes)
    fallback = compose(a, coral(quantize="fallback"))
    assert {p.unit for p in fallback.breakdown} == {CPU}
    assert fallback.value > assumed.value


def with_modes(clocks):
    data = copy.deepcopy(yaml.safe_load(open(spec_file("graphs_mapper_rk3588_npu"))))
    data["family_params"]["power_modes"] = {
        f"npu-{c}": {"npu_clock": {"value": c, "unit": "MHz", "source": "test fixture"}} for c in clocks}
    data["family_params"]["default_mode"] = f"npu-{clocks[-1]}"
    return parse_spec(data)


def test_power_modes_change_the_estimate_monotonically():
    spec = with_modes([300, 600, 1000])
    a = cnn(odd="t::relu")
    times = [compose(a, EdgeMapper(spec, options=EdgeOptions(power_mode=f"npu-{c}"))).value for c in (300, 600, 1000)]
    assert times[0] > times[1] > times[2]
    default = compose(a, EdgeMapper(spec, options=EdgeOptions())).value
    assert default == pytest.approx(times[2])
    with pytest.raises(SpecError, match="unknown power mode"):
        EdgeMapper(spec, options=EdgeOptions(power_mode="turbo"))


def test_env_options(monkeypatch):
    monkeypatch.setenv("GRAPHS_EDGE_QUANTIZE", "fallback")
    monkeypatch.setenv("GRAPHS_EDGE_POWER_MODE", "npu-300")
    o = EdgeOptions.from_env()
    assert o.quantize == "fallback" and o.power_mode == "npu-300"


def test_a_weight_expanded_for_bmm_is_still_a_weight():
    """Found by the slow invariant run (batch monotonicity, 2,500 examples): lstm-lm's output projection
    traces as ``bmm`` of a weight expanded over the batch at batch > 1. The edge engine took that weight
    for an activation and moved 6.6 MB over the host link: batch 2 cost 5.3x batch 1 on hailo-8."""
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model
    from graphs.plugins import get_plugins

    gp = get_plugins()
    out = {}
    for b in (1, 2):
        g = load_model("lstm-lm", LoadOptions(batch=b, seq_len=32), gp)
        a = analyze_graph(g, gp)
        proj = max((k for k in a.kernels if k.category.is_matrix), key=lambda k: k.matrix_flops)
        assert proj.attrs["parameter_bytes"] == pytest.approx((650 * 10000 + 10000) * 4)      # weight + bias
        out[b] = estimate(g, "hailo-8", gp).value
    assert 2 / out[2] >= 0.95 * (1 / out[1])           # throughput does not collapse at batch 2
