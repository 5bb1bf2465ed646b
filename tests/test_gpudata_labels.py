"""NeuSight label CSVs -> per-op kernels split into embeddings / layer / head."""

import csv
from pathlib import Path

import pytest

from graphs_datasets.labels import ModelLabel, label_files, op_kernel, parse_label_csv
from graphs.errors import GraphsError

LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "neusight" / "labels"
pytestmark = pytest.mark.skipif(not LABELS.is_dir(), reason="../shared/data not present")
BERT = LABELS / "Tesla_V100-PCIE-32GB" / "bert_large-inf-512-8.csv"
GPT = LABELS / "Tesla_V100-PCIE-32GB" / "gpt3_xl-inf-2048-2.csv"


def test_bert_layer_has_the_expected_kernels():
    g = parse_label_csv(BERT)
    layer = [o for o in g.part("layer") if o.kernel is not None]
    kinds = [o.kernel.kind for o in layer]
    assert kinds.count("linear") == 6 and kinds.count("matmul") == 2 and kinds.count("softmax") == 1
    assert kinds.count("layer_norm") == 2 and "gelu" in kinds and "contiguous" in kinds   # permute -> contiguous copies
    q = next(o for o in layer if o.kernel.kind == "linear")
    assert (q.kernel.gemm.m, q.kernel.gemm.n, q.kernel.gemm.k) == (8 * 512, 1024, 1024)
    scores = next(o for o in layer if o.kernel.kind == "matmul")
    assert (scores.kernel.gemm.batch, scores.kernel.gemm.m, scores.kernel.gemm.n, scores.kernel.gemm.k) == (8 * 16, 512, 512, 64)
    assert {o.part for o in g.ops} == {"embeddings", "layer", "head"}
    assert [o.kernel.kind for o in g.part("head") if o.kernel is not None] == ["linear", "tanh", "linear"]
    assert all(o.kernel is None for o in g.ops if o.op in ("view", "size", "Dropout", "permute", "transpose"))


def test_matmul_copies_its_permuted_4d_operands_first():
    """torch.matmul folds batch dims with reshape: permuted (head-split) operands are cloned, as a
    dispatch trace of torch shows; bmm takes strided 3-D operands as they are."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class Ops(TorchDispatchMode):
        seen: list = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.seen.append(str(func))
            return func(*args, **(kwargs or {}))

    x = torch.randn(2, 8, 4 * 16)
    q = x.view(2, 8, 4, 16).permute(0, 2, 1, 3)
    with Ops() as t:
        torch.matmul(q, q.transpose(-1, -2))
    assert sum("clone" in f for f in t.seen) == 2 and any("bmm" in f for f in t.seen)

    g = parse_label_csv(BERT)
    scores, context = [o for o in g.part("layer") if o.kernel is not None and o.kernel.kind == "matmul"]
    assert scores.contiguous_in == (False, False) and [k.kind for k in scores.all_kernels] == ["contiguous"] * 2 + ["matmul"]
    assert context.contiguous_in == (True, False) and len(context.pre) == 1
    assert context.pre[0].bytes == 2 * 8 * 16 * 512 * 64 * 4            # V read and written once
    opt = parse_label_csv(LABELS / "AMD_Instinct_MI210" / "opt_13-inf-2048-2.csv")
    assert all(not o.pre for o in opt.ops if o.op == "bmm")


def test_casts_to_the_same_dtype_launch_nothing():
    g = parse_label_csv(GPT)
    casts = [o for o in g.ops if o.op in ("to", "type")]
    assert casts and all(o.kernel is None for o in casts if o.part == "layer")
    assert op_kernel("to", [(4, 4)], (4, 4), "float32", in_dtypes=["bool"]).kind == "cast"
    assert op_kernel("max", [(2, 8, 8), (1,)], (2, 8, 8), "float32").kind == "maximum"
    assert op_kernel("max", [(2, 8, 8)], (2, 8), "float32").kind == "max"


def test_composition_matches_the_measured_model_within_the_data_gap():
    g = parse_label_csv(BERT)
    lab = ModelLabel.read(BERT.with_suffix(".json"))
    composed = g.measured(lab.num_layer)
    parts = sum(o.measured_s for o in g.part("embeddings")) + lab.num_layer * sum(
        o.measured_s for o in g.part("layer")) + sum(o.measured_s for o in g.part("head"))
    assert composed == pytest.approx(parts)
    assert abs(lab.fw_s - composed) / composed < 0.15      # V100 BERT: the per-op sum is 11 % above the model


def test_label_files_filter_mode_and_option():
    names = [f.name for f in label_files(LABELS / "NVIDIA_A100-PCIE-40GB")]
    assert "bert_large-inf-512-8.json" in names
    assert not any("fusion" in n or "train" in n for n in names)


def test_unknown_tensor_op_is_an_error_naming_it(tmp_path):
    rows = list(csv.DictReader(BERT.open()))
    row = next(r for r in rows if r["op"] == "call_function" and "gelu" in r["target"])
    row["target"] = "<built-in function frobnicate>"
    out = tmp_path / "bert_large-inf-512-8.csv"
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(GraphsError, match=r"frobnicate \(x1\)"):
        parse_label_csv(out)
    assert parse_label_csv(out, strict=False).unsupported == {"frobnicate": 1}
