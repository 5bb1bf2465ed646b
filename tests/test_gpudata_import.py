"""import_public_data: a small copy of ../shared/data (a few rows of every kind) into a results store."""

import shutil
from pathlib import Path

import pytest

from graphs.kernels import gemm_kernel, vector_kernel
from graphs_datasets.public import import_public_data, stored_kernel
from graphs_datasets.samples import samples_from_store
from graphs.errors import GraphsError
from graphs.store import ResultsStore

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data not present")


def _head(src: Path, dst: Path, lines: int) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open() as fh:
        dst.write_text("".join(line for _, line in zip(range(lines), fh)))


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("data")
    n = "neusight"
    for f in ("train/linear/Tesla_T4.csv", "train/ln/Tesla_T4.csv", "train/conv/Tesla_T4.csv", "test/bmm.csv"):
        _head(DATA / n / "kernels" / f, r / n / "kernels" / f, 21)
    _head(DATA / n / "kernels/test/vec.csv", r / n / "kernels/test/vec.csv", 5)
    for f in ("Tesla_T4.json", "AMD_Instinct_MI210.json"):
        (r / n / "device_configs").mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / n / "device_configs" / f, r / n / "device_configs" / f)
    for f in ("bert_large-inf-512-8.csv", "bert_large-inf-512-8.json"):
        (r / n / "labels/Tesla_T4").mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / n / "labels/Tesla_T4" / f, r / n / "labels/Tesla_T4" / f)
    vid = "vidur/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv"
    _head(DATA / vid, r / vid, 4)
    _head(DATA / "vidur/network/a100_dgx/all_reduce.csv", r / "vidur/network/a100_dgx/all_reduce.csv", 4)
    for f in ("ae__figure5__ab__real_hardware__matmul_MI210.csv", "ae__figure5__g__real_hardware__gelu_A100.csv",
              "ae__figure6__real_hardware__die_area.csv"):
        _head(DATA / "llmcompass" / f, r / "llmcompass" / f, 6)
    for d in ("train__DeepBench_NV_T4", "train__DeepBench_NV_V100", "train__DeepBench_NV_1080Ti"):
        src = next((DATA / "deepbench" / d).glob("*FP32*.csv"))
        _head(src, r / "deepbench" / d / src.name, 12)
    return r


def test_import_is_complete_and_idempotent(root, tmp_path):
    with ResultsStore(tmp_path / "s.sqlite") as st:
        rep = import_public_data(root, st)
        n = st.count()
        assert rep.measurements == n > 0 and rep.runs_present == 0
        levels = {m.m.level for m in st.query()}
        assert levels == {"kernel", "layer", "model", "collective"}
        assert set(st.devices()) == {"t4", "v100-pcie-32gb", "a100-pcie-80gb", "a100-sxm4-80gb", "mi210"}  # test/bmm.csv opens with V100 rows
        assert {r.source for _, r in st.runs()} == {"imported:neusight", "imported:vidur", "imported:deepbench",
                                                     "imported:llmcompass"}
        model = st.query(level="model")[0]
        assert model.run.device == "t4" and model.m.params["tag"] == "bert_large-inf-512-8"
        assert model.m.median_s == pytest.approx(0.6945, rel=1e-3)
        why = dict(rep.skipped)
        assert "duplicates" in why["neusight/kernels/test/vec.csv"]
        assert "DGX-1" in why["deepbench: device 'NV_V100'"] and "no installed hardware" in why["deepbench: device 'NV_1080Ti'"]
        again = import_public_data(root, st)
        assert again.runs_added == 0 and again.measurements == 0 and again.runs_present == rep.runs_added
        assert st.count() == n


def test_stored_kernels_rebuild_exactly(root, tmp_path):
    with ResultsStore(tmp_path / "s.sqlite") as st:
        import_public_data(root, st, datasets=("neusight",))
        lin = next(s for s in st.query(level="kernel", name="linear"))
        sh = lin.m.shapes
        k = stored_kernel(lin.m)
        ref = gemm_kernel(sh["b"], sh["m"], sh["n"], sh["k"], linear=True)
        assert (k.flops, k.bytes, k.gemm) == (ref.flops, ref.bytes, ref.gemm)
        ln = next(s for s in st.query(level="kernel", name="ln"))
        assert stored_kernel(ln.m).bytes == vector_kernel("ln", ln.m.shapes["b"], ln.m.shapes["h"]).bytes
        layer_rows = st.query(level="layer")
        assert any(stored_kernel(r.m) is not None and r.m.op_kind == "linear" for r in layer_rows)
        samples = samples_from_store(st)
        # only single-kernel benchmarks are fitting samples: never the label rows
        assert set(samples) == {"t4", "v100-pcie-32gb"} and len(samples["t4"]) == len(st.query(level="kernel", device="t4"))


def test_bad_inputs(tmp_path):
    with ResultsStore(tmp_path / "s.sqlite") as st:
        with pytest.raises(GraphsError, match="no such data folder"):
            import_public_data(tmp_path / "nope", st)
        with pytest.raises(GraphsError, match="unknown data set"):
            import_public_data(tmp_path, st, datasets=("mlperf",))
