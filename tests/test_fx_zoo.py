"""Every zoo model traces, is fully covered by op handlers and estimates; parameter bytes are
exact; matrix FLOPs equal torch's FlopCounterMode run independently (eager, meta device).

The FlopCounterMode comparison runs by default on the smallest model of every family or
feature (grouped conv, SE, MoE, shared layers, relative bias ...); ``-m slow`` runs it on all.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from graphs.errors import FrontendError
from graphs.estimate import analyze_graph, compose
from graphs.frontends import LoadOptions, load_model
from graphs.hardware import parse_spec
from graphs.mapper import EfficiencyPrior, Mapper
from graphs.plugins import GraphsPlugins
from graphs_frontend_fx.zoo import SPECS, spec

SMALL = LoadOptions(batch=2, seq_len=32)
# Smallest model of each architecture or feature: FlopCounterMode comparison in the default run.
REPRESENTATIVE = {
    "resnet50", "resnext50_32x4d", "mobilenet_v2", "mobilenet_v3_small", "inception_v3", "unet", "yolov5n",
    "vit-b16", "swin_t", "bert-base", "t5-small-encoder", "whisper-tiny-encoder", "gpt2", "llama2-7b", "phi-2",
    "mixtral-8x7b", "sd-unet", "lstm-lm",
}
HEADLINE = ["resnet50", "mobilenet_v2", "bert-base", "gpt2", "vit-b16", "llama2-7b"]
TOY_SPEC = {
    "id": "toy-fx", "name": "Toy", "vendor": "test", "family": "toy",
    "sources": {"ds": "test fixture, not a real device"},
    "compute": {"vec": {"peaks": {"fp32": {"value": 10, "unit": "TFLOP/s", "source": "@ds"}}}},
    "memory": [{"name": "dram", "size": {"value": 80, "unit": "GiB", "source": "@ds"},
                "bandwidth": {"value": 1000, "unit": "GB/s", "source": "@ds"}}],
}


class RooflineMapper(Mapper):
    """Plain roofline: enough to check that a zoo graph estimates end to end."""

    family = "toy"

    def prior(self, kernel):
        return EfficiencyPrior(1.0, 1.0, 1.0, "test fixture")


@pytest.fixture(scope="module")
def gp() -> GraphsPlugins:
    reg = GraphsPlugins()
    reg.load_entry_points(["frontend-fx"])
    reg.collect()
    assert not reg.failed(), reg.failed()
    return reg


def _published(params: str) -> tuple[float, float]:
    """'25.6M' -> (25.6e6, half a unit of the last digit)."""
    m = re.fullmatch(r"(\d+(?:\.(\d+))?)([MB])", params)
    assert m, params
    unit = 1e6 if m.group(3) == "M" else 1e9
    decimals = len(m.group(2) or "")
    return float(m.group(1)) * unit, 0.5 * unit * 10 ** -decimals


def reference_flops(name: str, options: LoadOptions) -> dict:
    """FlopCounterMode on the eager model (meta device: SDPA runs its math path as bmm)."""
    s = spec(name)
    model = s.model().eval()
    args, kwargs = s.example_inputs(options)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(*args, **kwargs)
    return {str(k): v for k, v in fc.get_flop_counts()["Global"].items()}


def our_flops_by_op(graph, gp) -> dict:
    costs = gp.ops.costs(graph)
    out: dict[str, float] = {}
    for n in graph.nodes:
        out[n.op_type] = out.get(n.op_type, 0.0) + costs[n.name].flops
    return out


def check_against_flop_counter(name: str, options: LoadOptions, gp) -> None:
    g = spec(name).entry().build(options)
    ours = our_flops_by_op(g, gp)
    ref = reference_flops(name, options)
    conv = ours.pop("aten::convolution", 0.0)
    addmm = ours.pop("aten::addmm", 0.0)
    attention = ours.pop("aten::_scaled_dot_product_flash_attention_for_cpu", 0.0)
    rnn = ours.pop("aten::mkldnn_rnn_layer", 0.0)
    gemm = ours.pop("aten::mm", 0.0) + ours.pop("aten::bmm", 0.0) + ours.pop("aten::baddbmm", 0.0)
    assert conv == ref.pop("aten.convolution", 0)
    if "rnn" not in spec(name).tags:  # recurrent layers split their GEMMs differently on CPU and meta
        assert addmm == ref.get("aten.addmm", 0)
    # eager meta SDPA is the math path: its QK^T and PV bmms land in FlopCounterMode's bmm
    ref_gemm = sum(ref.pop(k, 0) for k in ("aten.addmm", "aten.mm", "aten.bmm", "aten.baddbmm"))
    assert addmm + gemm + attention + rnn == ref_gemm
    assert not ref, f"FlopCounterMode counted ops we did not compare: {ref}"
    # and the fused attention nodes against torch's own SDPA formula
    sdpa = 0
    for n in g.nodes:
        if n.op_type == "aten::_scaled_dot_product_flash_attention_for_cpu":
            q, k, v = (g.values[i].shape for i in n.inputs[:3])
            sdpa += sdpa_flop_count(q, k, v)
    assert attention == sdpa
    analysis = analyze_graph(g, gp)
    matrix_ops = [n for n in g.nodes if gp.ops.kinds[gp.ops.handlers[n.op_type].kind].category.is_matrix]
    assert analysis.matrix_flops == conv + addmm + attention + gemm + rnn > 0, matrix_ops[:3]


@pytest.mark.parametrize("name", [s.name for s in SPECS])
def test_zoo_parameter_counts_match_published(name):
    s = spec(name)
    model = s.model()
    assert all(p.device.type == "meta" for p in model.parameters()), "zoo models must build on meta"
    value, tol = _published(s.params)
    assert abs(sum(p.numel() for p in model.parameters()) - value) <= tol, s.params


@pytest.mark.parametrize("name", [s.name for s in SPECS])  # every zoo model, in the default run
def test_zoo_model_traces_and_estimates(name, gp):
    s = spec(name)
    g = s.entry().build(SMALL)
    assert not gp.ops.unsupported(g), gp.ops.unsupported(g)
    a = analyze_graph(g, gp)
    assert a.flops > 0 and a.matrix_flops > 0 and a.kernels
    est = compose(a, RooflineMapper(parse_spec(TOY_SPEC)))
    assert est.value > 0 and est.metrics["nodes"] == len(g.nodes)

    model = s.model()
    assert g.parameter_bytes == sum(p.numel() * p.element_size() for p in model.parameters())
    assert g.parameter_count == sum(p.numel() for p in model.parameters())
    assert g.meta["buffer_bytes"] == sum(b.numel() * b.element_size() for b in model.buffers())
    assert all(g.values[i].shape[0] == SMALL.batch for i in g.inputs)
    if "transformer" in s.tags:
        assert a.op_kinds.get("attention", 0) >= 1
    assert any(n.scope for n in g.nodes), "module scope is recorded"


@pytest.mark.parametrize("name", [
    s.name if s.name in REPRESENTATIVE else pytest.param(s.name, marks=pytest.mark.slow) for s in SPECS])
def test_zoo_matrix_flops_equal_flop_counter(name, gp):
    check_against_flop_counter(name, SMALL, gp)


@pytest.mark.parametrize("name", HEADLINE)
def test_headline_models_at_default_options(name, gp):
    """The six headline models at their documented defaults: batch 1, 224x224, seq 128 / 512."""
    g = spec(name).entry().build(LoadOptions())
    expected = {"resnet50": (1, 3, 224, 224), "mobilenet_v2": (1, 3, 224, 224), "vit-b16": (1, 3, 224, 224),
                "bert-base": (1, 128), "gpt2": (1, 512), "llama2-7b": (1, 512)}[name]
    assert g.values[g.inputs[0]].shape == expected
    a = analyze_graph(g, gp)
    if name == "resnet50":  # published: 4.09 GMACs at 224x224
        assert a.matrix_flops / 2 == pytest.approx(4.09e9, rel=0.01)
    if name == "llama2-7b":  # 32 layers of SwiGLU + one fused attention each; 6.74B parameters
        hist = g.op_types()
        assert hist["aten::_scaled_dot_product_flash_attention_for_cpu"] == 32 and hist["aten::silu"] == 32
        assert g.parameter_count == 6_738_415_616
        check_against_flop_counter(name, LoadOptions(), gp)


def test_aliases_batch_and_seq_len(gp):
    for alias, canonical in [("bert-base-uncased", "bert-base"), ("vit_b_16", "vit-b16"), ("llama-2-7b", "llama2-7b")]:
        assert gp.find_model(alias).name == canonical
    assert load_model("Bert-Base-Uncased", LoadOptions(batch=1, seq_len=8), gp).name == "bert-base"
    g = load_model("gpt2", LoadOptions(batch=3, seq_len=100), gp)
    assert g.values["input_ids"].shape == (3, 100) and g.values["input_ids"].dtype == "int64"
    g = load_model("resnet18", LoadOptions(batch=1, input_shapes={"": (4, 3, 160, 160)}), gp)
    assert g.values["x"].shape == (4, 3, 160, 160)
    with pytest.raises(FrontendError, match="exceeds the model's maximum of 1024"):
        load_model("gpt2", LoadOptions(seq_len=2048), gp)
    with pytest.raises(FrontendError, match="must be Nx3x224x224"):
        load_model("vit-b16", LoadOptions(input_shapes={"x": (1, 3, 320, 320)}), gp)
    with pytest.raises(FrontendError, match="unknown input name"):
        load_model("resnet18", LoadOptions(input_shapes={"pixels": (1, 3, 224, 224)}), gp)


def test_descriptions_state_defaults(gp):
    assert "seq 128" in spec("bert-base").description
    assert "seq 512" in spec("llama2-7b").description
    assert "224x224" in spec("resnet50").description
    assert len(SPECS) == len({s.name for s in SPECS})
    assert all(math.isfinite(_published(s.params)[0]) for s in SPECS)
