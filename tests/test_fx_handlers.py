"""ATen handlers: matrix FLOPs equal FlopCounterMode op by op, attributes are normalised,
in-place ops allocate nothing, views cost nothing."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from graphs.ops import Category
from graphs.plugins import GraphsPlugins
from graphs_frontend_fx import graph_from_module
from graphs_frontend_fx.aten_handlers import handled_op_types


@pytest.fixture(scope="module")
def gp() -> GraphsPlugins:
    reg = GraphsPlugins()
    reg.load_entry_points(["frontend-fx"])
    reg.collect()
    return reg


class Fn(nn.Module):
    def __init__(self, fn, *modules: nn.Module) -> None:
        super().__init__()
        self.fn, self.mods = fn, nn.ModuleList(modules)

    def forward(self, *xs):
        return self.fn(self.mods, *xs)


def flops_by_op(g, gp) -> dict[str, float]:
    costs = gp.ops.costs(g)
    out: dict[str, float] = {}
    for n in g.nodes:
        out[n.op_type] = out.get(n.op_type, 0.0) + costs[n.name].flops
    return out


CASES = {
    "conv2d": (nn.Conv2d(8, 16, 3, stride=2, padding=1), (2, 8, 17, 17)),
    "conv2d-grouped-dilated": (nn.Conv2d(8, 16, 3, padding=2, dilation=2, groups=4, bias=False), (1, 8, 12, 12)),
    "conv2d-depthwise": (nn.Conv2d(8, 8, 5, padding=2, groups=8), (2, 8, 9, 9)),
    "conv1d": (nn.Conv1d(4, 6, 3), (3, 4, 20)),
    "conv3d": (nn.Conv3d(2, 4, 3), (1, 2, 6, 6, 6)),
    "conv-transpose2d": (nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1, groups=2), (2, 8, 7, 7)),
    "linear-2d": (nn.Linear(32, 24), (5, 32)),
    "linear-3d-nobias": (nn.Linear(32, 24, bias=False), (2, 5, 32)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_module_flops_equal_flop_counter(case, gp):
    module, shape = CASES[case]
    x = torch.randn(shape)
    with FlopCounterMode(display=False) as fc:
        module(x)
    ref = {str(k).replace("aten.", "aten::"): v for k, v in fc.get_flop_counts()["Global"].items()}
    g = graph_from_module(module, x, name=case)
    ours = {k: v for k, v in flops_by_op(g, gp).items() if k in ref}
    assert ours == ref and sum(ref.values()) > 0


@pytest.mark.parametrize("fn, shapes", [
    (lambda m, a, b: torch.bmm(a, b), [(3, 4, 5), (3, 5, 6)]),
    (lambda m, c, a, b: torch.baddbmm(c, a, b), [(3, 4, 6), (3, 4, 5), (3, 5, 6)]),
    (lambda m, a, b: a @ b, [(2, 3, 4, 5), (2, 3, 5, 7)]),
    (lambda m, a, b: a @ b, [(2, 3, 4, 5), (5, 7)]),
    (lambda m, a, b: torch.einsum("bhqd,bhkd->bhqk", a, b), [(2, 3, 4, 8), (2, 3, 6, 8)]),
    (lambda m, c, a, b: torch.addmm(c, a, b), [(7,), (4, 5), (5, 7)]),
])
def test_function_flops_equal_flop_counter(fn, shapes, gp):
    xs = [torch.randn(s) for s in shapes]
    m = Fn(fn)
    with FlopCounterMode(display=False) as fc:
        m(*xs)
    ref = fc.get_total_flops()
    g = graph_from_module(m, tuple(xs), name="fn")
    costs = gp.ops.costs(g)
    assert sum(c.flops for c in costs.values() if c.matrix) == ref > 0


@pytest.mark.parametrize("q, kv, mask, gqa", [
    ((2, 4, 16, 32), (2, 4, 16, 32), None, False),
    ((1, 8, 10, 64), (1, 2, 24, 64), None, True),
    ((2, 4, 16, 32), (2, 4, 20, 32), (2, 4, 16, 20), False),
])
def test_attention_flops_equal_torch_sdpa_formula(q, kv, mask, gqa, gp):
    qt, kt, vt = torch.randn(q), torch.randn(kv), torch.randn(kv)
    args = (qt, kt, vt) + ((torch.randn(mask),) if mask else ())
    m = Fn(lambda mods, q, k, v, *mk: F.scaled_dot_product_attention(q, k, v, attn_mask=mk[0] if mk else None,
                                                                       enable_gqa=gqa))
    g = graph_from_module(m, args, name="sdpa")
    (node,) = [n for n in g.nodes if gp.ops.handlers[n.op_type].kind == "attention"]
    cost = gp.ops.cost(node, g)
    assert cost.flops == sdpa_flop_count(q, kv, kv) and cost.matrix
    expected_read = sum(t.numel() * 4 for t in args)
    assert cost.bytes_read == expected_read and cost.bytes_written == qt.numel() * 4


def test_convolution_and_pool_attrs_are_normalised(gp):
    m = nn.Sequential(nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(1, 2), groups=2), nn.MaxPool2d(3, 2),
                      nn.AvgPool2d(2))
    g = graph_from_module(m, torch.randn(1, 4, 16, 16), name="convpool")
    conv = next(n for n in g.nodes if n.op_type == "aten::convolution")
    assert dict(conv.attrs) == {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 1), "transposed": False,
                                "output_padding": (0, 0), "groups": 2}
    assert conv.inputs == ("input", "0.weight", "0.bias")
    pool = next(n for n in g.nodes if n.op_type == "aten::max_pool2d_with_indices")
    assert pool.attrs["kernel"] == (3, 3) and pool.attrs["stride"] == (2, 2)
    assert len(pool.outputs) == 1, "the unused indices output is dropped"
    avg = next(n for n in g.nodes if n.op_type == "aten::avg_pool2d")
    assert avg.attrs["kernel"] == (2, 2) and avg.attrs["stride"] == (2, 2)
    out = g.values[avg.outputs[0]]
    assert gp.ops.cost(avg, g).flops == out.numel * 4


def test_overload_dropped_and_kept_as_attr(gp):
    m = Fn(lambda mods, x: torch.add(x, 1.5, alpha=2) + torch.mean(x, dim=0, keepdim=True))
    g = graph_from_module(m, torch.randn(3, 4), name="adds")
    first, mean, second = g.nodes
    assert (first.op_type, first.inputs, dict(first.attrs)) == \
        ("aten::add", ("input0",), {"other": 1.5, "alpha": 2, "overload": "Tensor"})
    assert mean.op_type == "aten::mean" and mean.attrs["overload"] == "dim" and mean.attrs["dim"] == (0,)
    assert second.op_type == "aten::add" and second.inputs == (first.outputs[0], mean.outputs[0])


def test_inplace_ops_allocate_nothing_and_views_cost_nothing(gp):
    m = Fn(lambda mods, x: torch.relu_(x.view(4, 8).t().contiguous()))
    g = graph_from_module(m, torch.randn(32), name="inplace")
    costs = gp.ops.costs(g)
    by_type = {n.op_type: costs[n.name] for n in g.nodes}
    assert by_type["aten::relu_"].alloc_bytes == 0 and by_type["aten::relu_"].flops == 32
    assert by_type["aten::view"].bytes == 0 and by_type["aten::t"].flops == 0
    assert by_type["aten::clone"].bytes == 2 * 32 * 4  # a real transpose copy
    kinds = {n.op_type: gp.ops.kinds[gp.ops.handlers[n.op_type].kind].category for n in g.nodes}
    assert kinds["aten::view"] is Category.VIEW and kinds["aten::clone"] is Category.DATA_MOVEMENT


def test_addmm_reads_bias_weight_and_input(gp):
    lin = nn.Linear(16, 8)
    g = graph_from_module(lin, torch.randn(4, 16), name="lin")
    node = next(n for n in g.nodes if n.op_type == "aten::addmm")
    c = gp.ops.cost(node, g)
    assert c.flops == 2 * 4 * 8 * 16 and c.matrix
    assert c.bytes_read == (4 * 16 + 16 * 8 + 8) * 4 and c.bytes_written == 4 * 8 * 4


def test_handler_table_covers_common_ops_with_known_kinds(gp):
    types = handled_op_types()
    for op in ["aten::convolution", "aten::addmm", "aten::mm", "aten::bmm", "aten::linear", "aten::matmul",
               "aten::_scaled_dot_product_flash_attention_for_cpu", "aten::native_layer_norm",
               "aten::_native_batch_norm_legit_no_training", "aten::embedding", "aten::_softmax", "aten::gelu",
               "aten::silu", "aten::view", "aten::cat", "aten::relu_"]:
        assert op in types and op in gp.ops.handlers
    assert {gp.ops.handlers[t].kind for t in ("aten::addmm", "aten::linear", "aten::mm")} == {"linear"}
    assert gp.ops.handlers["aten::bmm"].kind == "matmul"
    assert gp.ops.handlers["aten::_scaled_dot_product_efficient_attention"].kind == "attention"
    assert gp.ops.handlers["aten::transpose"].kind == "permute_view"
