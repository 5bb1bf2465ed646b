"""The hardware catalog: size and families, sources on every number, dense <= sparse, the new
devices' peaks against the vendor figures they cite, CPU peaks against their stated formula,
and an estimate from each new device's family engine."""

import json
import math

import pytest

from graphs.estimate import analyze_graph, compose
from graphs.ir import GraphBuilder, TensorSpec
from graphs.ops import HandlerTable, kinds
from graphs.plugins import GraphsPlugins, get_plugins
from graphs.testing import run_cli

NEW_GPU = ("l40s", "rtx-4090", "mi300x", "mi250x", "jetson-agx-orin-64gb", "jetson-orin-nx-16gb",
           "jetson-orin-nano-8gb")
NEW_CPU = ("xeon-8480", "xeon-8592", "epyc-9654", "epyc-9754", "apple-m2-max", "apple-m3-max", "apple-m4-max",
           "ampere-altra-q80-30")
T = 1e12

# Dense peaks as printed by each vendor (TFLOPS / TOPS), cited in the spec's sources. Where the
# vendor prints only a sparse figure, it is given as ("sparse", value): the dense peak may not
# exceed half of it. A spec's peak may not exceed these (+0.5 % for the vendors' rounding).
VENDOR = {
    "l40s": {("cuda_core", "fp32"): 91.6, ("tensor_core", "fp16"): 362.05, ("tensor_core", "tf32"): 183,
             ("tensor_core", "fp8"): 733, ("tensor_core", "int8"): 733},
    "rtx-4090": {("cuda_core", "fp32"): 82.6, ("tensor_core", "fp16"): 165.2, ("tensor_core", "bf16"): 165.2,
                 ("tensor_core", "fp8"): 330.3, ("tensor_core", "int8"): 660.6, ("tensor_core", "tf32"): 82.6},
    "mi300x": {("cuda_core", "fp32"): 163.4, ("cuda_core", "fp64"): 81.7, ("tensor_core", "fp32"): 163.4,
               ("tensor_core", "fp16"): 1307.4, ("tensor_core", "fp8"): 2614.9, ("tensor_core", "int8"): 2614.9,
               ("tensor_core", "tf32"): 653.7},
    # MI250X module figures halved for one GCD
    "mi250x": {("cuda_core", "fp32"): 47.9 / 2, ("tensor_core", "fp32"): 95.7 / 2, ("tensor_core", "fp16"): 383 / 2,
               ("tensor_core", "int8"): 383 / 2},
    "jetson-agx-orin-64gb": {("cuda_core", "fp32"): 5.3, ("tensor_core", "int8"): ("sparse", 170)},
    # the Orin NX datasheet's 100 TOPS is GPU + 2 DLAs: the GPU alone stays below it
    "jetson-orin-nx-16gb": {("tensor_core", "int8"): ("sparse", 100)},
    "jetson-orin-nano-8gb": {("tensor_core", "int8"): ("sparse", 40)},
}
ROUND = 1.005

# CPUs: no vendor prints a FLOP peak. The spec's peak must be its stated formula at its clock, and
# the clock may not exceed the vendor's (or the cited reviewer's) maximum frequency.
MAX_CLOCK_GHZ = {"xeon-8480": 3.8, "xeon-8592": 3.9, "epyc-9654": 3.7, "epyc-9754": 3.1, "apple-m2-max": 3.7,
                 "apple-m3-max": 4.06, "apple-m4-max": 4.512, "ampere-altra-q80-30": 3.0}
# DDR channels x MT/s x 8 bytes, as cited (AMD prints its 460.8 GB/s directly)
DRAM_GBS = {"xeon-8480": 8 * 4800 * 8 / 1e3, "xeon-8592": 8 * 5600 * 8 / 1e3, "epyc-9654": 460.8,
            "epyc-9754": 460.8, "ampere-altra-q80-30": 8 * 3200 * 8 / 1e3, "apple-m2-max": 400,
            "apple-m3-max": 400, "apple-m4-max": 546}


@pytest.fixture(scope="module")
def catalog():
    return {hw: e.spec for hw, e in get_plugins().hardware.items()}


def _sourced_params(node, path="family_params"):
    """(path, source) of every ``{value, source}`` inside family_params."""
    if isinstance(node, dict):
        if "value" in node and "source" in node:
            yield path, node["source"]
            return
        for k, v in node.items():
            yield from _sourced_params(v, f"{path}.{k}")


def test_hardware_list_json_has_30_devices_in_the_four_families():
    r = run_cli("hardware", "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)["devices"]
    assert len(rows) >= 30
    fams = {row["family"] for row in rows}
    assert {"gpu", "cpu", "accel", "edge"} <= fams
    assert all(row["mapper_installed"] for row in rows)
    ids = {row["id"] for row in rows}
    assert set(NEW_GPU + NEW_CPU) <= ids


def test_every_number_of_every_spec_has_a_source(catalog):
    for hw, spec in catalog.items():
        leaves = list(spec.all_sources()) + list(_sourced_params(spec.family_params))
        assert leaves, hw
        for path, src in leaves:
            # a document title (or a stated derivation / measurement), not a bare word
            assert isinstance(src, str) and len(src.strip()) >= 20, (hw, path, src)
        if hw in NEW_GPU + NEW_CPU:
            for path, src in leaves:
                assert "http" in src or src.lower().startswith("derived"), (hw, path, src)


def test_dense_peaks_never_exceed_sparse_peaks(catalog):
    for hw, spec in catalog.items():
        for name, unit in spec.compute.items():
            for prec, sparse in unit.sparse_peaks.items():
                if prec in unit.peaks:
                    assert unit.peaks[prec].si <= sparse.si * 1.0001, (hw, name, prec)


@pytest.mark.parametrize("hw", sorted(VENDOR))
def test_new_gpu_peaks_stay_under_the_cited_vendor_figures(catalog, hw):
    spec = catalog[hw]
    for (unit, prec), cited in VENDOR[hw].items():
        peak = spec.compute[unit].peaks[prec].si / T
        if isinstance(cited, tuple):
            assert peak <= cited[1] / 2 * ROUND, (unit, prec, peak, cited)
        else:
            assert peak <= cited * ROUND, (unit, prec, peak, cited)
            assert peak >= cited / ROUND * 0.99, (unit, prec, peak, cited)   # and is that figure


@pytest.mark.parametrize("hw", NEW_GPU)
def test_new_gpu_fp32_peak_is_sms_x_cores_x_2_x_clock(catalog, hw):
    spec = catalog[hw]
    p = spec.family_params
    sms, cores = p["sm_count"]["value"], p["fp32_cores_per_sm"]["value"]
    formula = sms * cores * 2 * spec.clock.si
    fp32 = spec.compute["cuda_core"].peaks["fp32"].si
    packed = 2 if hw == "mi300x" else 1     # MI300X's vector FP32 peak counts packed FP32 (spec notes)
    assert fp32 == pytest.approx(formula * packed, rel=0.02)


@pytest.mark.parametrize("hw", NEW_CPU)
def test_cpu_peaks_are_the_stated_formula_at_a_published_clock(catalog, hw):
    spec = catalog[hw]
    p = spec.family_params
    cores, bits, fma = p["cores"]["value"], p["simd_bits"]["value"], p["fma_units"]["value"]
    clock = spec.clock.si
    assert clock <= MAX_CLOCK_GHZ[hw] * 1e9 * 1.0001
    fp32 = cores * (bits / 32) * fma * 2 * clock
    simd = spec.compute["simd"].peaks
    assert simd["fp32"].si == pytest.approx(fp32, rel=1e-6)
    assert simd["fp64"].si == pytest.approx(fp32 / 2, rel=1e-6)
    assert simd["int8"].si == pytest.approx(4 * fp32, rel=1e-6)
    for prec in ("bf16", "fp16"):
        if prec in simd:
            assert simd[prec].si == pytest.approx(2 * fp32, rel=1e-6)
    # upper bound at the published maximum frequency
    assert simd["fp32"].si <= cores * (bits / 32) * fma * 2 * MAX_CLOCK_GHZ[hw] * 1e9 * 1.0001
    if "amx" in spec.compute:
        amx = spec.compute["amx"].peaks
        assert amx["bf16"].si == pytest.approx(cores * 1024 * clock, rel=1e-6)
        assert amx["int8"].si == pytest.approx(cores * 2048 * clock, rel=1e-6)
    assert spec.memory_bandwidth == pytest.approx(DRAM_GBS[hw] * 1e9, rel=1e-6)


# --- every new device estimates through its family engine ----------------------------------------------
OPS = HandlerTable()
OPS.add("c::linear", "linear", kinds.linear)
OPS.add("c::relu", "relu", kinds.default_formula("relu"))
OPS.add("c::add", "add", kinds.default_formula("add"))


def _mlp():
    b = GraphBuilder("catalog-mlp", "test")
    b.input("x", TensorSpec((64, 512)))
    b.parameter("w1", TensorSpec((2048, 512)))
    b.parameter("w2", TensorSpec((512, 2048)))
    b.node("fc1", "c::linear", ["x", "w1"], [("h", TensorSpec((64, 2048)))])
    b.node("act", "c::relu", ["h"], [("a", TensorSpec((64, 2048)))])
    b.node("fc2", "c::linear", ["a", "w2"], [("y", TensorSpec((64, 512)))])
    b.node("res", "c::add", ["y", "x"], [("z", TensorSpec((64, 512)))])
    b.output("z")
    return b.build()


@pytest.mark.parametrize("hw", NEW_GPU + NEW_CPU)
def test_new_device_estimates_with_its_family_engine(hw):
    gp = GraphsPlugins()
    OPS.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    mapper = get_plugins().mapper_for(hw)
    assert mapper.family == ("gpu" if hw in NEW_GPU else "cpu")
    r = compose(analyze_graph(_mlp(), gp, fusion=mapper.default_fusion), mapper, fusion=mapper.default_fusion)
    assert math.isfinite(r.value) and r.value > 0
    assert r.low <= r.value <= r.high
    assert r.metrics["fits"] is True


def test_catalog_page_is_generated_from_the_installed_specs():
    """docs/hardware_catalog.md is what scripts/catalog_table.py writes now (rerun it after a spec changes)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "catalog_table.py"
    spec = importlib.util.spec_from_file_location("catalog_table", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    page = mod.PAGE.read_text(encoding="utf-8")
    for hw in NEW_GPU + NEW_CPU:
        assert f"| `{hw}` |" in page
    assert page == mod.render(), "docs/hardware_catalog.md is stale: run .venv/bin/python scripts/catalog_table.py"
