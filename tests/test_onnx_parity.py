"""One IR: the same torch model through the FX frontend and through an ONNX export agrees.

Models are exported at test time with ``torch.onnx.export(dynamo=True, optimize=False)``
(``optimize=True`` folds batch norm into the conv, which is a different model). Checked:
total FLOPs within 1 %, parameter bytes exactly equal, fused op-kind histogram equal.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")
pytest.importorskip("graphs_frontend_fx")
pytest.importorskip("graphs_frontend_onnx")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from graphs.estimate import analyze_graph  # noqa: E402
from graphs.frontends import LoadOptions, load_model  # noqa: E402
from graphs.partition import kind_histogram, partition  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402
from graphs_frontend_fx.api import graph_from_module  # noqa: E402


class ConvNet(nn.Module):
    """conv+bn+relu, depthwise conv+bn+relu6 with a residual, max pool, global pool, classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.pw = nn.Conv2d(16, 32, 1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        y = F.relu(self.bn(self.c(x)))
        y = F.relu6(self.bn2(self.dw(y))) + y
        y = self.pool(F.relu(self.pw(y)))
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(64, 256), nn.Linear(256, 32)

    def forward(self, x):
        return self.b(F.gelu(self.a(x)))


class Block(nn.Module):
    """Pre-LN transformer block: fused QKV, SDPA, GELU MLP, residuals."""

    def __init__(self, d: int = 128, heads: int = 4) -> None:
        super().__init__()
        self.h = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.f1, self.f2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, -1)
        q, k, v = [z.view(b, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v)]
        a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(a)
        return x + self.f2(F.gelu(self.f1(self.ln2(x))))


class Encoder(nn.Module):
    """Token embedding + learned positions + 2 blocks + pooled classifier (BERT-like)."""

    def __init__(self, vocab: int = 500, d: int = 128, t: int = 16) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, t, d))
        self.blocks = nn.ModuleList([Block(d), Block(d)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 2)

    def forward(self, ids):
        x = self.tok(ids) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(torch.tanh(self.ln(x)[:, 0]))


def _randomize(m: nn.Module) -> nn.Module:
    """Distinct values everywhere (trained-model-like), so no exporter can share tensors."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _, t in list(m.named_parameters()) + list(m.named_buffers()):
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) * 0.5 + 0.25)
    return m.eval()


def export(m: nn.Module, args: tuple, path) -> None:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(m, args, str(path), dynamo=True, optimize=False)


CASES = {
    "convnet": (ConvNet, lambda: (torch.randn(2, 3, 32, 32),)),
    "mlp": (MLP, lambda: (torch.randn(8, 64),)),
    "block": (Block, lambda: (torch.randn(2, 16, 128),)),
    "encoder": (Encoder, lambda: (torch.randint(0, 500, (2, 16)),)),
}


def compare(fx_graph, onnx_graph) -> dict:
    gp = get_plugins()
    ax, ao = analyze_graph(fx_graph, gp), analyze_graph(onnx_graph, gp)
    hx = kind_histogram(partition(fx_graph, gp.ops, "default"))
    ho = kind_histogram(partition(onnx_graph, gp.ops, "default"))
    return {"fx_flops": ax.flops, "onnx_flops": ao.flops, "rel": abs(ao.flops - ax.flops) / ax.flops,
            "fx_params": fx_graph.parameter_bytes, "onnx_params": onnx_graph.parameter_bytes,
            "fx_kinds": hx, "onnx_kinds": ho, "fx_matrix": ax.matrix_flops, "onnx_matrix": ao.matrix_flops,
            "bytes_rel": abs(ao.bytes - ax.bytes) / ax.bytes}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fx_and_onnx_agree(name, tmp_path):
    cls, make_args = CASES[name]
    torch.manual_seed(0)
    m = _randomize(cls())
    args = make_args()
    path = tmp_path / f"{name}.onnx"
    export(m, args, path)
    r = compare(graph_from_module(m, args, name=name), load_model(str(path), LoadOptions(), get_plugins()))
    assert r["rel"] < 0.01, r
    assert r["fx_matrix"] == r["onnx_matrix"], r       # GEMM/conv/attention FLOPs are identical
    assert r["fx_params"] == r["onnx_params"], r
    assert r["fx_kinds"] == r["onnx_kinds"], r
    assert r["bytes_rel"] < 0.05, r                    # bytes moved agree too (views charge their storage)


ZOO = ["resnet50", "mobilenet_v2", "bert-base", "vit-b16", "gpt2"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO)
def test_zoo_fx_and_onnx_agree(name, tmp_path):
    """The zoo's models at batch 1 (see benchmarks/frontend_agreement.py for the table)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import frontend_agreement

    r = frontend_agreement.agree(name, 1, tmp_path)
    assert abs(r["flops_rel_diff"]) < 0.01, r
    assert r["fx_matrix_flops"] == r["onnx_matrix_flops"], r
    assert r["params_equal"], r
    assert r["kinds_equal"], r
    assert abs(r["bytes_rel_diff"]) < 0.05, r
