"""Tile and wave quantization, split-K, and L2 residency in the GPU timing model."""

import math

import pytest

from graphs.hardware import load_spec
from graphs.ops.registry import Category
from graphs.partition import GemmShape, Kernel
from graphs.hardware.package import spec_file

SPEC = spec_file("graphs_mapper_h100")
from graphs_mappers_gpu import GPUMapper, GPUOptions, choose_tiling
from graphs_mappers_gpu.memory import memory_rate
from graphs_mappers_gpu.tiling import evaluate


@pytest.fixture(scope="module")
def mapper():
    return GPUMapper(load_spec(SPEC), options=GPUOptions())


def fp16_gemm(m, n, k, batch=1):
    g = GemmShape(m, n, k, batch)
    return Kernel("k", ("n",), "matmul", Category.MATMUL, g.flops, g.flops, 2.0 * batch * (m * k + k * n),
                  2.0 * batch * m * n, "float16", g)


def test_one_tile_more_than_sms_takes_two_waves(mapper):
    dev = mapper.device
    peak = dev.peak("tensor_core", "fp16")
    sms = dev.sm_count
    fits = GemmShape(128 * sms, 128, 4096)          # exactly one 128x128 tile per SM
    over = GemmShape(128 * (sms + 1), 128, 4096)    # one tile more
    one = choose_tiling(fits, "tensor_core", peak, 2, dev, dev.hbm_bandwidth, tiles=[(128, 128)])
    two = choose_tiling(over, "tensor_core", peak, 2, dev, dev.hbm_bandwidth, tiles=[(128, 128)])
    assert (one.ctas, one.rounds) == (sms, 1) and (two.ctas, two.rounds) == (sms + 1, 2)
    assert two.t_compute / one.t_compute == pytest.approx(2.0, rel=0.05)
    assert one.efficiency(fits) == pytest.approx(1.0) and two.efficiency(over) == pytest.approx((sms + 1) / (2 * sms))
    # with the full heuristic a large GEMM can re-tile (smaller tiles even the SMs out, as
    # cuBLAS does), but a batch of SMs+1 smallest-tile GEMMs cannot: its compute takes two
    # waves (such thin GEMMs are memory-bound on an H100 overall, so compare the compute side)
    fit = mapper.timing(fp16_gemm(64, 64, 4096, batch=sms))
    over = mapper.timing(fp16_gemm(64, 64, 4096, batch=sms + 1))
    assert (fit.tiling.rounds, over.tiling.rounds) == (1, 2)
    assert over.t_compute / fit.t_compute == pytest.approx(2.0, rel=0.1)


def test_large_gemm_is_compute_bound_near_peak_and_small_tiles_pay_for_operands(mapper):
    t = mapper.timing(fp16_gemm(8192, 8192, 8192))
    assert t.bound == "compute" and t.unit.name == "tensor_core"
    achieved = 2 * 8192 ** 3 / t.seconds
    assert 0.5 * 989.4e12 < achieved <= 989.4e12
    dev = mapper.device
    g = GemmShape(8192, 8192, 8192)
    small = evaluate(g, 64, 64, 1, dev.peak("tensor_core", "fp16"), 2, dev)
    large = evaluate(g, 256, 128, 1, dev.peak("tensor_core", "fp16"), 2, dev)
    assert small.t_compute > large.t_compute          # 64x64 re-reads operands from L2 4x as often


def test_split_k_for_few_tiles_and_long_k(mapper):
    t = mapper.timing(fp16_gemm(64, 64, 65536))
    assert t.tiling.split_k > 1
    t = mapper.timing(fp16_gemm(8192, 8192, 1024))
    assert t.tiling.split_k == 1


def test_gemv_is_memory_bound(mapper):
    t = mapper.timing(fp16_gemm(1, 8192, 8192))
    assert t.bound == "memory" and t.memory.level == "hbm"
    assert t.seconds == pytest.approx((8192 * 8192 * 2 + 8192 * 4) / 3.35e12, rel=0.05)


def test_l2_resident_working_sets_get_l2_bandwidth(mapper):
    dev = mapper.device
    assert dev.l2_resident_bytes == pytest.approx(25e6)
    assert memory_rate(10e6, dev).level == "l2" and memory_rate(10e6, dev).bandwidth == pytest.approx(8986e9)
    assert memory_rate(40e6, dev).level == "hbm" and memory_rate(40e6, dev).bandwidth == pytest.approx(3.35e12)


def test_waves_count_co_resident_ctas(mapper):
    dev = mapper.device
    c = evaluate(GemmShape(64 * 2 * dev.sm_count, 64, 256), 64, 64, 1, dev.peak("tensor_core", "fp16"), 2, dev)
    assert c.ctas == 2 * dev.sm_count and c.rounds == 2 and c.waves == 1
    assert math.isclose(c.efficiency(GemmShape(64 * 2 * dev.sm_count, 64, 256)), 1.0)
