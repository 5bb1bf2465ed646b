"""The GPU catalog: every installed GPU spec validates, is sourced, stays under its datasheet,
and agrees with the device configurations that came with NeuSight's measurements."""

import json
import math
from pathlib import Path

import pytest

from graphs.hardware.units import Quantity
from graphs.ops.registry import Category
from graphs.partition import GemmShape, Kernel
from graphs.plugins import get_plugins
from graphs_mappers_gpu import GPUMapper, GPUOptions, GPUParams

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "neusight" / "device_configs"
CATALOG = ("h100", "h100-pcie", "h200", "a100-sxm4-80gb", "a100-pcie-40gb", "v100-pcie-32gb", "t4", "l4")

# Headline figures as printed in each NVIDIA datasheet (TFLOPS/TOPS; tensor-core values that
# the datasheet quotes with sparsity are halved here). A spec may not exceed them.
DATASHEET = {
    "h100": {("cuda_core", "fp32"): 67, ("tensor_core", "fp16"): 1979 / 2, ("tensor_core", "fp8"): 3958 / 2},
    "h100-pcie": {("cuda_core", "fp32"): 51, ("tensor_core", "fp16"): 1513 / 2, ("tensor_core", "fp8"): 3026 / 2},
    "h200": {("cuda_core", "fp32"): 67, ("tensor_core", "fp16"): 1979 / 2, ("tensor_core", "fp8"): 3958 / 2},
    "a100-sxm4-80gb": {("cuda_core", "fp32"): 19.5, ("tensor_core", "fp16"): 312, ("tensor_core", "tf32"): 156},
    "a100-pcie-40gb": {("cuda_core", "fp32"): 19.5, ("tensor_core", "fp16"): 312, ("tensor_core", "tf32"): 156},
    "v100-pcie-32gb": {("cuda_core", "fp32"): 14, ("tensor_core", "fp16"): 112},
    "t4": {("cuda_core", "fp32"): 8.1, ("tensor_core", "fp16"): 65, ("tensor_core", "int8"): 130},
    "l4": {("cuda_core", "fp32"): 30.3, ("tensor_core", "fp16"): 242 / 2, ("tensor_core", "fp8"): 485 / 2},
}
ROUND = 0.5  # datasheets round to whole (or one-decimal) TFLOPS

NEUSIGHT = {"h100": "NVIDIA_H100_80GB_HBM3", "a100-pcie-40gb": "NVIDIA_A100-PCIE-40GB",
            "v100-pcie-32gb": "Tesla_V100-PCIE-32GB", "t4": "Tesla_T4", "l4": "NVIDIA_L4"}
# Documented disagreements with NeuSight's configs (each explained in the spec's notes):
# L4: NeuSight lists 60 SMs / 31334 GFLOP/s; 58 SMs x 128 x 2 x 2.04 GHz = the datasheet's 30.3.
# T4: NeuSight lists the 15 GB usable with ECC; the datasheet's 16 GB is installed memory.
EXCEPTIONS = {("l4", "Num_Sm"), ("l4", "SingleFLOPs"), ("t4", "Dev_Mem")}


def specs():
    gp = get_plugins()
    return {hw: gp.hardware_entry(hw).spec for hw in CATALOG}


def _quantities(node):
    if isinstance(node, Quantity):
        yield node
    elif hasattr(type(node), "model_fields"):
        for k in type(node).model_fields:
            yield from _quantities(getattr(node, k))
    elif isinstance(node, dict):
        for v in node.values():
            yield from _quantities(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _quantities(v)


@pytest.mark.parametrize("hw", CATALOG)
def test_spec_is_sourced_and_consistent(hw):
    spec = specs()[hw]
    m = GPUMapper(spec, options=GPUOptions())
    params = GPUParams.model_validate(spec.family_params)
    for q in list(_quantities(spec)) + list(_quantities(params)):
        assert q.source and ("http" in q.source or ".json" in q.source or "derive_gpu_priors" in q.source), q
    sms, cores = params.sm_count.value, params.fp32_cores_per_sm.value
    assert math.isclose(sms * cores * 2 * spec.clock.si, spec.peak("fp32", "cuda_core"), rel_tol=0.02)
    tc = spec.compute.get("tensor_core")
    if tc:
        for prec, sparse in tc.sparse_peaks.items():
            assert tc.peaks[prec].si <= sparse.si / 2 * 1.001, prec
        assert min(q.si for q in tc.peaks.values()) >= spec.peak("fp32", "cuda_core")
    for (unit, prec), ds in DATASHEET[hw].items():
        assert spec.compute[unit].peaks[prec].si / 1e12 <= ds + ROUND, (unit, prec)
    assert m.device.sm_count == sms and m.device.hbm_bandwidth == spec.memory_bandwidth


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data not present")
@pytest.mark.parametrize("hw", sorted(NEUSIGHT))
def test_agrees_with_neusight_device_config(hw):
    spec = specs()[hw]
    cfg = json.loads((DATA / f"{NEUSIGHT[hw]}.json").read_text())
    params = GPUParams.model_validate(spec.family_params)
    l2 = next(m for m in spec.memory if m.name == "l2")
    checks = {
        "Num_Sm": (cfg["Num_Sm"], params.sm_count.value, 0.0),
        "Core_Per_SM": (cfg["Core_Per_SM"], params.fp32_cores_per_sm.value, 0.0),
        "Freq": (cfg["Freq"] * 1e6, spec.clock.si, 0.01),
        "Mem_Bw": (cfg["Mem_Bw"] * 1e9, spec.memory_bandwidth, 0.03),
        "L2Cache": (cfg["L2Cache"] * 1e6, l2.size.si, 0.0),
        "Dev_Mem": (cfg["Dev_Mem"] * 1e9, spec.memory_bytes, 0.0),
        "SingleFLOPs": (cfg["SingleFLOPs"] * 1e9, spec.peak("fp32", "cuda_core"), 0.02),
    }
    for key, (theirs, ours, tol) in checks.items():
        agree = math.isclose(theirs, ours, rel_tol=tol) if tol else theirs == ours
        assert agree != ((hw, key) in EXCEPTIONS), (hw, key, theirs, ours)


def test_newer_gpus_run_a_big_fp16_gemm_faster():
    g = GemmShape(8192, 8192, 8192)
    k = Kernel("k", ("k",), "matmul", Category.MATMUL, g.flops, g.flops, 2 * 2 * 8192 ** 2, 2 * 8192 ** 2,
               "float16", g)
    t = {hw: GPUMapper(s, options=GPUOptions()).estimate_kernel(k).time_s for hw, s in specs().items()}
    assert t["h100"] < t["h100-pcie"] < t["a100-sxm4-80gb"] < t["v100-pcie-32gb"] < t["t4"]
    assert t["h200"] == pytest.approx(t["h100"], rel=0.05)   # same compute, GEMM is compute-bound
