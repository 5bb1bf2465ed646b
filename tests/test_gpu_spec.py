"""The H100 spec: validates, every number sourced, no peak above NVIDIA's published figures."""

import json
import math

import pytest

from graphs.cli import main
from graphs.errors import SpecError
from graphs.hardware import load_spec, parse_spec
from graphs.hardware.units import Quantity
from graphs.hardware.package import spec_file

SPEC = spec_file("graphs_mapper_h100")
from graphs_mappers_gpu import GPUMapper, GPUParams, load_priors

# NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column, as printed (TFLOPS / TOPS).
# Tensor-core figures are quoted with 2:4 sparsity ("1/2 lower without sparsity").
DATASHEET_DENSE = {("cuda_core", "fp64"): 34, ("tensor_core", "fp64"): 67, ("cuda_core", "fp32"): 67}
DATASHEET_SPARSE = {"tf32": 989, "bf16": 1979, "fp16": 1979, "fp8": 3958, "int8": 3958}
ROUNDING = 0.5  # the datasheet rounds to whole TFLOPS


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC)


def _quantities(node, path=""):
    if isinstance(node, Quantity):
        yield path, node
    elif hasattr(type(node), "model_fields"):
        for k in type(node).model_fields:
            yield from _quantities(getattr(node, k), f"{path}.{k}")
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _quantities(v, f"{path}.{k}")
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _quantities(v, f"{path}[{i}]")


def test_spec_validates_and_every_number_has_a_source(spec):
    assert spec.id == "h100" and spec.family == "gpu" and "h100-sxm" in spec.aliases
    params = GPUParams.model_validate(spec.family_params)
    qs = list(_quantities(spec)) + list(_quantities(params))
    assert len(qs) >= 35
    for path, q in qs:
        assert q.source and not q.source.startswith("@"), path
        assert "http" in q.source or "benchmarks/derive_gpu_priors.py" in q.source or ".json" in q.source, path
    assert all(src for _, src in spec.all_sources())


def test_no_peak_above_the_datasheet(spec):
    tc, cc = spec.compute["tensor_core"], spec.compute["cuda_core"]
    for (unit, prec), ds in DATASHEET_DENSE.items():
        v = spec.compute[unit].peaks[prec].si / 1e12
        assert v <= ds + ROUNDING and v >= 0.97 * ds, (unit, prec, v)
    for prec, sparse in DATASHEET_SPARSE.items():
        dense = tc.peaks[prec].si / 1e12
        assert dense <= (sparse + ROUNDING) / 2, (prec, dense)
        assert dense >= 0.99 * sparse / 2, (prec, dense)
        assert tc.sparse_peaks[prec].si / 1e12 <= sparse + ROUNDING
        assert math.isclose(tc.sparse_peaks[prec].si, 2 * tc.peaks[prec].si, rel_tol=1e-3)
    # the non-tensor FP16 rate is twice FP32 on Hopper CUDA cores
    assert math.isclose(cc.peaks["fp16"].si, 2 * cc.peaks["fp32"].si, rel_tol=1e-3)


def test_memory_compute_and_board_figures(spec):
    params = GPUParams.model_validate(spec.family_params)
    assert spec.memory_bytes == 80e9 and spec.memory_bandwidth == 3.35e12
    l2 = next(m for m in spec.memory if m.name == "l2")
    assert l2.size.si == 50e6
    assert int(params.sm_count.value) == 132 and int(params.fp32_cores_per_sm.value) == 128
    # FP32 peak = SMs x cores x 2 x boost clock
    assert math.isclose(132 * 128 * 2 * spec.clock.si, spec.peak("fp32"), rel_tol=2e-3)
    assert spec.power.tdp.si == 700 and spec.interconnect["nvlink"].si == 900e9
    assert spec.process_node.value == "TSMC 4N"


def test_spec_overheads_are_the_derived_ones(spec):
    derived = load_priors().overheads
    assert spec.overhead("kernel_launch") == pytest.approx(derived["kernel_launch_s"], rel=1e-3)
    assert spec.overhead("op_dispatch") == pytest.approx(derived["op_dispatch_s"], rel=1e-3)


def test_bad_family_params_is_a_one_line_spec_error(spec):
    data = spec.model_dump()
    data["family_params"] = {**data["family_params"], "sm_count": {"value": 0, "source": "test"}}
    bad = parse_spec(data)
    with pytest.raises(SpecError, match=r"h100: family_params.sm_count") as e:
        GPUMapper(bad)
    assert "\n" not in str(e.value)
    data["compute"] = {"tensor_core": data["compute"]["tensor_core"]}
    data["family_params"] = spec.family_params
    with pytest.raises(SpecError, match="cuda_core"):
        GPUMapper(parse_spec(data))


def test_hardware_list_contains_h100(capsys):
    assert main(["hardware", "list", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["devices"]
    h100 = next(r for r in rows if r["id"] == "h100")
    assert h100["family"] == "gpu" and h100["mapper_installed"] is True
    assert h100["fp16_flops"] == pytest.approx(989.4e12)
    assert h100["calibration"] == "THEORETICAL"
