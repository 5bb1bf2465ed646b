"""The shipped GPU priors: loadable, complete, and what benchmarks/derive_gpu_priors.py derives."""

import importlib.util
import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from graphs.errors import SpecError
from graphs.hardware import load_spec
from graphs.ops.registry import Category
from graphs.partition import Kernel
from graphs.hardware.package import spec_file

SPEC = spec_file("graphs_mapper_h100")
from graphs_mappers_gpu import CUDA_CORE, TENSOR_CORE, GPUMapper, GPUOptions, PriorTable, group_key, load_priors

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "neusight" / "kernels").is_dir(), reason="../shared/data not present")


def shipped() -> dict:
    return json.loads(resources.files("graphs_mappers_gpu").joinpath("data", "priors.json").read_text())


def derive_module():
    path = REPO / "benchmarks" / "derive_gpu_priors.py"
    spec = importlib.util.spec_from_file_location("derive_gpu_priors", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["derive_gpu_priors"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_shipped_priors_load_and_say_where_they_come_from():
    data = shipped()
    table = load_priors()
    assert data["script"] == "benchmarks/derive_gpu_priors.py" and data["script"] in table.source
    for name in ("neusight/kernels", "vidur/compute/a100", "llmcompass"):
        assert name in table.source
    assert data["rows"] > 250_000 and data["rows_per_file_limit"] is None
    for g in ("matmul.cuda_core", "conv.cuda_core", "matmul.tensor_core", "elementwise", "norm", "softmax"):
        assert g in data["groups"], g
        assert 0 < data["groups"][g]["low"] <= data["groups"][g]["median"] <= data["groups"][g]["high"]
    assert data["groups"]["matmul.cuda_core"]["n"] > 50_000 and len(data["groups"]["matmul.cuda_core"]["devices"]) >= 5
    assert any(f.startswith("neusight/kernels/train/bmm/") for f in data["files"])
    hold = data["accuracy"]["holdout"]
    assert "NVIDIA A100-PCIE-40GB" in hold["held_out"] and "NVIDIA A100-PCIE-40GB" not in hold["fitted_on"]


def test_every_kernel_class_resolves_to_a_prior():
    table = load_priors()
    for cat in Category:
        k = Kernel("k", ("k",), "x", cat, 1.0, 0.0, 1.0, 1.0, "float32")
        for unit in (CUDA_CORE, TENSOR_CORE):
            p = table.prior(group_key(k, unit), "high_power")
            assert p.low <= p.median <= p.high and p.n > 0


def test_malformed_priors_are_spec_errors(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError, match="malformed JSON"):
        load_priors(bad)
    with pytest.raises(SpecError, match="unknown group"):
        PriorTable.from_dict({"source": "x", "groups": {}, "aliases": {"pool": "nowhere"}})
    with pytest.raises(SpecError, match="malformed"):
        PriorTable.from_dict({"source": "x", "groups": {"a": {"median": 1, "low": 2, "high": 3, "n": 1}}})


@needs_data
def test_derivation_on_a_subset_matches_the_shipped_structure():
    mod = derive_module()
    small = mod.derive(DATA, limit=40)
    data = shipped()
    assert set(small["groups"]) <= set(data["groups"])
    assert set(small["files"]) <= set(data["files"])
    assert small["source"] == data["source"] and small["aliases"].keys() <= data["aliases"].keys()
    for g, v in small["groups"].items():
        assert v["n"] <= data["groups"][g]["n"]


@needs_data
def test_mapper_and_derivation_compose_a_kernel_identically():
    """The accuracy the script reports is for exactly the estimate the mapper makes."""
    mod = derive_module()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from gpu_data import Measurement, gemm_kernel
    mapper = GPUMapper(load_spec(SPEC), options=GPUOptions(tf32_matmul=False, tf32_conv=False))
    data = shipped()
    fam = {**data["overheads"], "dispatch_scale": data["dispatch_scale"]}
    for shape in ((1, 64, 64, 64), (8, 512, 512, 512), (1, 4096, 4096, 4096)):
        k = gemm_kernel(*shape)
        t = mapper.timing(k).seconds
        row = mod.Row(Measurement("h100", "bmm", "matmul.cuda_core", k, 1.0, "x", "eager-event"), t, t, "")
        group = data["groups"]["matmul.cuda_core@high_power"]
        expect = mod.predict(row, group, fam)
        got = mapper.estimate_kernel(k)
        assert (got.time_s, got.low_s, got.high_s) == pytest.approx(expect, rel=1e-3)


@needs_data
@pytest.mark.slow
def test_full_derivation_reproduces_the_shipped_priors():
    mod = derive_module()
    full = mod.derive(DATA)
    data = shipped()
    assert full["groups"] == data["groups"]
    assert full["overheads"] == data["overheads"]
    assert full["dispatch_scale"] == data["dispatch_scale"]
