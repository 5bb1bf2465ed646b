"""The fx frontend: ``file.py:factory`` loading, input shapes, one-line errors, unsupported ops."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from graphs.errors import FrontendError, GraphsError, UnsupportedOpError
from graphs.estimate import analyze_graph
from graphs.frontends import LoadOptions, load_model
from graphs.plugins import GraphsPlugins
from graphs.testing import assert_plugin_valid
import graphs_frontend_fx
from graphs_frontend_fx import graph_from_module

MLP = """
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
"""


@pytest.fixture(scope="module")
def gp() -> GraphsPlugins:
    reg = GraphsPlugins()
    reg.load_entry_points(["frontend-fx"])
    reg.collect()
    return reg


def write(tmp_path, body: str, name: str = "model.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return p


def test_plugin_is_valid():
    info = assert_plugin_valid(graphs_frontend_fx, "frontend-fx")
    assert set(info.registered) == {"frontends", "op_handlers", "models"}
    assert "resnet50" in info.registered["models"] and "aten::addmm" in info.registered["op_handlers"]


def test_registering_the_plugin_does_not_import_torch():
    """Every graphs command collects plugins; torch (seconds to import) waits for the first trace."""
    code = ("import sys; from graphs.plugins import GraphsPlugins; gp = GraphsPlugins(); "
            "gp.load_entry_points(['frontend-fx']); gp.collect(); assert not gp.failed(); "
            "assert len(gp.models) > 50 and gp.frontends['fx']; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_factory_returning_module_and_inputs(tmp_path, gp):
    p = write(tmp_path, MLP + """
def make():
    return MLP(), torch.randn(8, 64)
""")
    g = load_model(f"{p}:make", LoadOptions(), gp)
    assert g.name == "model:make" and g.source == "fx"
    assert g.values["x"].shape == (8, 64)
    assert g.parameter_bytes == (64 * 128 + 128 + 128 * 10 + 10) * 4
    a = analyze_graph(g, gp)
    assert a.matrix_flops == 2 * 8 * 64 * 128 + 2 * 8 * 128 * 10
    assert a.op_kinds["linear"] == 2 and a.op_kinds["relu"] == 1
    assert {n.scope for n in g.nodes if n.op_type == "aten::addmm"} == {"fc1", "fc2"}


def test_factory_returning_module_needs_input_shape(tmp_path, gp):
    p = write(tmp_path, MLP + """
def make(batch):
    return MLP()
""")
    with pytest.raises(FrontendError, match="--input-shape") as e:
        load_model(f"{p}:make", LoadOptions(), gp)
    assert "\n" not in str(e.value)
    g = load_model(f"{p}:make", LoadOptions(batch=4, input_shapes={"": (4, 64)}), gp)
    assert g.values["x"].shape == (4, 64) and g.values["x"].dtype == "float32"
    g = load_model(f"{p}:make", LoadOptions(input_shapes={"x": (2, 64)}), gp)
    assert g.values["x"].shape == (2, 64)
    with pytest.raises(FrontendError, match="no argument 'y'"):
        load_model(f"{p}:make", LoadOptions(input_shapes={"y": (2, 64)}), gp)


def test_factory_gets_batch_and_seq_len_and_index_inputs(tmp_path, gp):
    p = write(tmp_path, """
import torch
from torch import nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1000, 32)
        self.out = nn.Linear(32, 5)

    def forward(self, input_ids):
        return self.out(self.emb(input_ids))

def make(batch, seq_len):
    return Tagger(), {"input_ids": torch.zeros(batch, seq_len, dtype=torch.long)}

def bare():
    return Tagger()
""")
    g = load_model(f"{p}:make", LoadOptions(batch=3, seq_len=7), gp)
    assert g.values["input_ids"].shape == (3, 7)
    g = load_model(f"{p}:bare", LoadOptions(input_shapes={"": (2, 9)}), gp)
    assert g.values["input_ids"].dtype == "int64"  # the name says it holds indices
    assert analyze_graph(g, gp).op_kinds["embedding"] == 1


@pytest.mark.parametrize("body, ref_attr, message", [
    ("def make():\n    raise ValueError('boom\\nsecond line')\n", "make", "calling the factory failed: ValueError: boom second line"),
    ("import not_a_module_anywhere\n", "make", "importing model.py failed: ModuleNotFoundError"),
    ("def make():\n    return 42\n", "make", "factory returned int; expected an nn.Module"),
    ("x = 3\n", "make", "model.py defines no 'make'"),
    ("make = 3\n", "make", "not a callable factory"),
    ("import torch\ndef make():\n    return torch.nn.Linear(2, 2), 'oops'\n", "make", "example inputs must be a tensor"),
])
def test_broken_factories_give_one_line_errors(tmp_path, gp, body, ref_attr, message):
    p = write(tmp_path, body)
    with pytest.raises(FrontendError) as e:
        load_model(f"{p}:{ref_attr}", LoadOptions(), gp)
    assert message in str(e.value)
    assert "\n" not in str(e.value) and isinstance(e.value, GraphsError)


def test_tracing_failure_names_model_module_and_op(tmp_path, gp):
    p = write(tmp_path, """
import torch
from torch import nn

class Bad(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 8)

    def forward(self, x):
        return self.proj(x)

def make():
    return Bad(), torch.randn(2, 15)
""")
    with pytest.raises(FrontendError) as e:
        load_model(f"{p}:make", LoadOptions(), gp)
    msg = str(e.value)
    assert msg.startswith("model:make: tracing failed in module 'proj' (Linear)")
    assert "aten::" in msg and "\n" not in msg


def test_data_dependent_code_is_a_frontend_error(gp):
    class ItemUser(torch.nn.Module):
        def forward(self, x):
            return x * x.sum().item()

    with pytest.raises(FrontendError, match="tracing failed"):
        graph_from_module(ItemUser(), torch.randn(3), name="item-user")


def test_unsupported_op_is_reported_not_zero(gp):
    class Spectral(torch.nn.Module):
        def forward(self, x):
            return torch.fft.rfft(x).abs()

    g = graph_from_module(Spectral(), torch.randn(4, 64), name="spectral")
    missing = gp.ops.unsupported(g)
    assert missing and all(k.startswith("aten::") for k in missing)
    with pytest.raises(UnsupportedOpError, match="spectral: unsupported operator"):
        analyze_graph(g, gp)


def test_meta_device_model_is_never_materialised(gp):
    with torch.device("meta"):
        big = torch.nn.Sequential(*[torch.nn.Linear(8192, 8192) for _ in range(16)])  # 4.3 GB in fp32
    g = graph_from_module(big, torch.empty(2, 8192, device="meta"), name="big")
    assert g.parameter_bytes == sum(p.numel() * 4 for p in big.parameters())
    assert all(p.device.type == "meta" for p in big.parameters())


def test_buffers_are_constants_not_parameters(gp):
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
    g = graph_from_module(m, torch.randn(1, 3, 16, 16), name="convbn")
    assert set(g.constants) == {"1.running_mean", "1.running_var", "1.num_batches_tracked"}
    assert g.meta["buffers"] == 3 and g.meta["buffer_bytes"] == 8 * 4 * 2 + 8
    assert g.constant_bytes == g.meta["buffer_bytes"]
    assert g.parameter_bytes == sum(p.numel() * 4 for p in m.parameters())
    bn = next(n for n in g.nodes if n.op_type == "aten::native_batch_norm")
    assert bn.inputs[3:5] == ("1.running_mean", "1.running_var")


def test_tied_weights_counted_once(gp):
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(100, 16)
            self.head = torch.nn.Linear(16, 100, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, ids):
            return self.head(self.emb(ids))

    m = Tied()
    g = graph_from_module(m, torch.zeros(2, 5, dtype=torch.long), name="tied")
    assert g.parameters == {"emb.weight"} and g.parameter_count == 1600
    assert sum(1 for n in g.nodes for i in n.inputs if i == "emb.weight") == 2


def test_sniff_claims_no_files(gp, tmp_path):
    fe = gp.frontends["fx"]
    p = write(tmp_path, MLP)
    assert fe.sniff(p, p.read_bytes()[:64]) is False and fe.handles_python
