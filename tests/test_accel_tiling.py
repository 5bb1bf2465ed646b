"""Accelerator engine: tiles from real shapes (padding waste visible), SRAM spills, precision, calibration."""

from graphs.hardware.package import spec_file
import pytest

from graphs.calibration import Calibration
from graphs.hardware import load_spec
from graphs.ir import GraphBuilder, TensorSpec
from graphs.ops import HandlerTable, kinds
from graphs.ops.registry import Category
from graphs.partition import GemmShape, Kernel
from graphs.plugins import GraphsPlugins
from graphs.estimate import analyze_graph, compose
from graphs.results import ConfidenceLevel

from graphs_mappers_accel import AccelMapper, ArrayGeometry, plan_gemm
from graphs_mappers_accel.memory import Sram, main_memory_traffic

import graphs_mapper_tpu_v5e
import graphs_mapper_gaudi3

ARRAY = ArrayGeometry(units=1, rows=128, cols=128, clock_hz=1e9, granularity=8, weight_load_cycles=128)


def test_one_past_the_array_costs_four_tile_passes():
    m = 8192  # long stream: fill/drain and weight loads are small next to it
    base = plan_gemm(GemmShape(m=m, n=128, k=128), ARRAY)
    padded = plan_gemm(GemmShape(m=m, n=129, k=129), ARRAY)
    assert base.passes == 1 and padded.passes == 4
    ratio = padded.seconds / base.seconds
    assert 3.8 < ratio < 4.0              # 4x minus the fill/drain paid once
    assert padded.utilization < 0.27      # (129·129)/(4·128·128) of the array does useful work
    assert base.utilization > 0.96


def test_weight_stationary_streams_m_rows_so_m_pads_only_to_the_granularity():
    # m=n=129: N needs 2 column tiles; M=129 streams as 136 rows (8-row sublane granularity)
    p = plan_gemm(GemmShape(m=129, n=129, k=128), ARRAY)
    assert p.passes == 2 and p.rows_per_pass == 136
    q = plan_gemm(GemmShape(m=128, n=128, k=128), ARRAY)
    assert p.seconds > q.seconds


def test_short_streams_pay_the_weight_load_and_fill():
    decode = plan_gemm(GemmShape(m=1, n=4096, k=4096), ARRAY)
    assert decode.cycles_per_pass == 128   # an 8-row stream cannot hide a 128-cycle weight load
    assert decode.utilization < 0.01


def test_passes_spread_over_arrays_and_m_splits_when_few_passes():
    four = ArrayGeometry(units=4, rows=128, cols=128, clock_hz=1e9)
    p = plan_gemm(GemmShape(m=4096, n=128, k=128), four)
    assert p.passes == 4 and p.passes_per_unit == 1 and p.rows_per_pass == 1024


def gemm_kernel(m, n, k, dtype="bfloat16", itemsize=2):
    g = GemmShape(m=m, n=n, k=k)
    return Kernel("k0:linear", ("fc",), "linear", Category.MATMUL, g.flops, g.flops,
                  (m * k + k * n) * itemsize, m * n * itemsize, dtype, g)


def test_mapper_shows_padding_waste_on_tpu_v5e():
    m = AccelMapper(load_spec(spec_file("graphs_mapper_tpu_v5e")))
    t128 = m.timing(gemm_kernel(16384, 512, 512))
    t129 = m.timing(gemm_kernel(16384, 513, 513))
    assert t128.bound == "compute" and t128.plan is not None
    assert t129.seconds / t128.seconds > 1.4   # 16 -> 25 tile passes for 0.4 % more FLOPs
    est = m.estimate_kernel(gemm_kernel(16384, 512, 512))
    assert est.low_s < est.time_s < est.high_s and est.unit.startswith("matrix:bf16")
    assert est.confidence is ConfidenceLevel.THEORETICAL


def test_fp32_matmul_on_a_bf16_only_mxu_runs_bf16_and_says_so():
    m = AccelMapper(load_spec(spec_file("graphs_mapper_tpu_v5e")))
    t = m.timing(gemm_kernel(1024, 1024, 1024, "float32", 4))
    assert t.precision == "bf16"
    assert any("fp32 kernels run at bf16 on the matrix arrays" in n for n in m.notes)


def test_sram_spill_rereads_the_streamed_operand():
    k = gemm_kernel(65536, 8192, 8192)
    fits = main_memory_traffic(k, Sram("sram", 1e12, 0.0), 2)
    spills = main_memory_traffic(k, Sram("sram", 64e6, 0.0), 2)
    assert fits.fits and fits.bytes == k.bytes
    assert not spills.fits and spills.bytes > 2 * k.bytes


def test_gaudi3_sram_bandwidth_and_geometry_used():
    m = AccelMapper(load_spec(spec_file("graphs_mapper_gaudi3")))
    assert m.device.geometry.rows == 256 and m.device.sram.bandwidth == pytest.approx(12.8e12)
    t = m.timing(gemm_kernel(8192, 8192, 8192))
    assert t.plan.passes == 32 * 32


T = HandlerTable()
T.add("t::linear", "linear", kinds.linear)
T.add("t::gelu", "gelu", kinds.default_formula("gelu"))


def mlp(dtype="bfloat16"):
    gp = GraphsPlugins()
    T.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    b = GraphBuilder("mlp", "test")
    b.input("x", TensorSpec((256, 1024), dtype))
    b.parameter("w", TensorSpec((4096, 1024), dtype))
    b.node("fc", "t::linear", ["x", "w"], [("h", TensorSpec((256, 4096), dtype))])
    b.node("act", "t::gelu", ["h"], [("y", TensorSpec((256, 4096), dtype))])
    b.output("y")
    return analyze_graph(b.build(), gp, fusion="none")


def test_model_estimate_and_calibration_path():
    spec = load_spec(spec_file("graphs_mapper_tpu_v5e"))
    a = mlp()
    r = compose(a, AccelMapper(spec), fusion="none")
    assert r.low < r.value < r.high and r.confidence is ConfidenceLevel.THEORETICAL
    assert [p.unit.split(":")[0] for p in r.breakdown] == ["matrix", "vector"]
    assert any("transferred from the GPU family" in n for n in r.provenance.notes)
    m = AccelMapper(spec)
    t = m.timing(a.kernels[0]).seconds
    cal = Calibration.model_validate({
        "device": "tpu-v5e", "source": "test fixture",
        "curves": {"linear": {"points": [[t / 10, 2.0], [t * 10, 2.0]], "n": 5, "x_min": t / 10, "x_max": t * 10,
                              "residuals": {"q05": 0.9, "q50": 1.0, "q95": 1.1}}}})
    est = AccelMapper(spec, cal).estimate_kernel(a.kernels[0])
    assert est.confidence is ConfidenceLevel.CALIBRATED
    assert est.time_s == pytest.approx(2.0 * t)
