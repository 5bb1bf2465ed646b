"""Device names in the public data sets -> catalog ids; the added GPU specs against NeuSight's configs."""

import json
import math
from pathlib import Path

import pytest

from graphs_datasets.devices import catalog_id, map_device_configs, normalise
from graphs.errors import GraphsError
from graphs.ops.registry import Category
from graphs.partition import GemmShape, Kernel
from graphs.plugins import get_plugins
from graphs_mappers_gpu import GPUMapper, GPUOptions, GPUParams

NEUSIGHT = Path(__file__).resolve().parents[2] / "shared" / "data" / "neusight"
needs_data = pytest.mark.skipif(not NEUSIGHT.is_dir(), reason="../shared/data not present")

EXPECTED = {
    "AMD_Instinct_MI100": "mi100", "AMD_Instinct_MI210": "mi210", "AMD_Instinct_MI250": "mi250",
    "NVIDIA_A100-PCIE-40GB": "a100-pcie-40gb", "NVIDIA_A100-SXM4-40GB": "a100-sxm4-40gb",
    "NVIDIA_A100_80GB_PCIe": "a100-pcie-80gb", "NVIDIA_H100_80GB_HBM3": "h100", "NVIDIA_H100_80GB_HBM3_TP": "h100",
    "NVIDIA_L4": "l4", "Tesla_P100-PCIE-16GB": "p100-pcie-16gb", "Tesla_P4": "p4", "Tesla_T4": "t4",
    "Tesla_V100-PCIE-32GB": "v100-pcie-32gb",
}
# the specs added for the public data, and their documented disagreements with NeuSight's configs
ADDED = {"a100-pcie-80gb": "NVIDIA_A100_80GB_PCIe", "a100-sxm4-40gb": "NVIDIA_A100-SXM4-40GB",
         "p100-pcie-16gb": "Tesla_P100-PCIE-16GB", "p4": "Tesla_P4", "mi100": "AMD_Instinct_MI100",
         "mi210": "AMD_Instinct_MI210", "mi250": "AMD_Instinct_MI250"}
EXCEPTIONS = {("p4", "Num_Sm"), ("p4", "Core_Per_SM"),            # GP104: 20 SMs x 128, NeuSight: 40 x 64
              ("p100-pcie-16gb", "Freq"),                         # NeuSight's Freq 1380 vs its own FP32 peak's 1328
              ("mi100", "Core_Per_SM"), ("mi210", "Core_Per_SM"), ("mi250", "Core_Per_SM"),  # 4 SIMDs vs 64 lanes
              ("mi210", "L2Cache"), ("mi250", "L2Cache")}         # 8 MiB per GCD (ROCm table) vs 16


def test_normalise_strips_vendor_words_and_separators():
    assert normalise("NVIDIA A100 80GB PCIe") == "a100-80gb-pcie"
    assert normalise("Tesla_P100-PCIE-16GB") == "p100-pcie-16gb"
    assert normalise("AMD Instinct MI250") == "mi250"


@needs_data
def test_every_neusight_device_config_maps_to_its_catalog_id():
    assert map_device_configs(NEUSIGHT / "device_configs", get_plugins()) == EXPECTED


def test_dataset_names_are_pinned_or_refused():
    gp = get_plugins()
    assert catalog_id("a100", gp, "vidur") == "a100-pcie-80gb"
    assert catalog_id("a40", gp, "vidur") == "a40"
    assert catalog_id("MI210", gp, "llmcompass") == "mi210"
    assert catalog_id("NV_T4", gp, "deepbench") == "t4"
    with pytest.raises(GraphsError, match="DGX-1"):
        catalog_id("NV_V100", gp, "deepbench")       # would otherwise match the PCIe V100's alias


def test_unmappable_device_config_is_one_line_naming_it(tmp_path):
    (tmp_path / "Weird.json").write_text(json.dumps({"Device": "NVIDIA GeForce RTX 9999 Ti"}))
    with pytest.raises(GraphsError) as e:
        map_device_configs(tmp_path, get_plugins())
    msg = str(e.value)
    assert "RTX 9999 Ti" in msg and "Weird.json" in msg and "\n" not in msg


@needs_data
@pytest.mark.parametrize("hw", sorted(ADDED))
def test_added_specs_agree_with_neusight_configs(hw):
    spec = get_plugins().hardware_entry(hw).spec
    cfg = json.loads((NEUSIGHT / "device_configs" / f"{ADDED[hw]}.json").read_text())
    p = GPUParams.model_validate(spec.family_params)
    l2 = next(m for m in spec.memory if m.name == "l2")
    fp32 = cfg.get("SingleFLOPs") or cfg.get("SingleFLOPsVEC")
    checks = {"Num_Sm": (cfg["Num_Sm"], p.sm_count.value, 0.0), "Core_Per_SM": (cfg["Core_Per_SM"], p.fp32_cores_per_sm.value, 0.0),
              "Freq": (cfg["Freq"] * 1e6, spec.clock.si, 0.01), "Mem_Bw": (cfg["Mem_Bw"] * 1e9, spec.memory_bandwidth, 0.03),
              "L2Cache": (cfg["L2Cache"] * 1e6, l2.size.si, 0.0), "Dev_Mem": (cfg["Dev_Mem"] * 1e9, spec.memory_bytes, 0.0),
              "SingleFLOPs": (fp32 * 1e9, spec.peak("fp32", "cuda_core"), 0.02)}
    if "SingleFLOPsMM" in cfg:
        checks["SingleFLOPsMM"] = (cfg["SingleFLOPsMM"] * 1e9, spec.peak("fp32", "tensor_core"), 0.02)
    for key, (theirs, ours, tol) in checks.items():
        agree = math.isclose(theirs, ours, rel_tol=tol) if tol else theirs == ours
        assert agree != ((hw, key) in EXCEPTIONS), (hw, key, theirs, ours)
    # every number sourced; SMs x lanes x 2 x clock = the vector FP32 peak
    assert math.isclose(p.sm_count.value * p.fp32_cores_per_sm.value * 2 * spec.clock.si,
                        spec.peak("fp32", "cuda_core"), rel_tol=0.02)


def _gemm(dtype="float32"):
    g = GemmShape(4096, 4096, 4096)
    b = 2 if dtype == "float16" else 4
    return Kernel("mm", ("mm",), "matmul", Category.MATMUL, g.flops, g.flops, 2 * b * 4096 ** 2, b * 4096 ** 2, dtype, g)


def test_fp32_gemm_runs_on_amd_matrix_cores_but_nvidia_cuda_cores():
    gp = get_plugins()
    amd = GPUMapper(gp.hardware_entry("mi210").spec, options=GPUOptions(tf32_matmul=False))
    nv = GPUMapper(gp.hardware_entry("a100-pcie-80gb").spec, options=GPUOptions(tf32_matmul=False))
    assert amd.timing(_gemm()).unit.name == "tensor_core" and amd.timing(_gemm()).unit.precision == "fp32"
    assert nv.timing(_gemm()).unit.name == "cuda_core"
    assert amd.timing(_gemm("float16")).unit.precision == "fp16"
    # the MI210's matrix FP32 peak (45.3) is twice its vector peak: the same GEMM models twice as fast as on SIMDs
    assert amd.timing(_gemm()).t_compute < 0.6 * _gemm().flops / amd.device.peak("cuda_core", "fp32")
