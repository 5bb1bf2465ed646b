"""Which unit runs a kernel: tensor cores vs CUDA cores by precision, TF32 options, fallbacks."""

import pytest

from graphs.hardware import load_spec
from graphs.ops.registry import Category
from graphs.partition import GemmShape, Kernel
from graphs.hardware.package import spec_file

SPEC = spec_file("graphs_mapper_h100")
from graphs_mappers_gpu import GPUMapper, GPUOptionError, GPUOptions, select_unit


def gemm(dtype="float32", m=1024, n=1024, k=1024, category=Category.MATMUL, kind="matmul", groups=1):
    g = GemmShape(m, n, k)
    el = {"float32": 4, "float16": 2, "bfloat16": 2, "float8_e4m3": 1, "int8": 1, "float64": 8}[dtype]
    return Kernel(name="k", nodes=("n",), kind=kind, category=category, flops=g.flops, matrix_flops=g.flops,
                  bytes_read=(m * k + k * n) * el, bytes_written=m * n * el, dtype=dtype, gemm=g,
                  attrs={"groups": groups})


def vector(dtype="float32", n=1 << 20):
    el = 2 if dtype in ("float16", "bfloat16") else 4
    return Kernel(name="v", nodes=("n",), kind="add", category=Category.ELEMENTWISE, flops=n, matrix_flops=0.0,
                  bytes_read=2 * n * el, bytes_written=n * el, dtype=dtype)


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC)


def unit_of(spec, kernel, **opts):
    m = GPUMapper(spec, options=GPUOptions(**opts))
    u = select_unit(kernel, m.precision_of(kernel), m.device, m.options)
    return u.name, u.precision, u.peak


@pytest.mark.parametrize("dtype,unit,prec,peak", [
    ("float16", "tensor_core", "fp16", 989.4e12),
    ("bfloat16", "tensor_core", "bf16", 989.4e12),
    ("float8_e4m3", "tensor_core", "fp8", 1978.9e12),
    ("int8", "tensor_core", "int8", 1978.9e12),
    ("float64", "tensor_core", "fp64", 66.9e12),
    ("float32", "cuda_core", "fp32", 66.9e12),      # PyTorch default: matmul TF32 off
])
def test_matrix_kernels_pick_the_unit_by_precision(spec, dtype, unit, prec, peak):
    assert unit_of(spec, gemm(dtype)) == (unit, prec, pytest.approx(peak))


def test_tf32_options_follow_pytorch_defaults(spec):
    conv = gemm("float32", category=Category.CONV, kind="conv")
    assert unit_of(spec, conv)[:2] == ("tensor_core", "tf32")            # cudnn.allow_tf32 = True
    assert unit_of(spec, conv, tf32_conv=False)[:2] == ("cuda_core", "fp32")
    assert unit_of(spec, gemm("float32"), tf32_matmul=True)[:2] == ("tensor_core", "tf32")
    assert unit_of(spec, gemm("float32"), tf32_matmul=True)[2] == pytest.approx(494.7e12)


def test_vector_and_thin_kernels_stay_on_cuda_cores(spec):
    assert unit_of(spec, vector("float32")) == ("cuda_core", "fp32", pytest.approx(66.9e12))
    assert unit_of(spec, vector("float16")) == ("cuda_core", "fp16", pytest.approx(133.8e12))
    depthwise = gemm("float16", m=64 * 56 * 56, n=1, k=9, category=Category.CONV, kind="conv", groups=64)
    assert unit_of(spec, depthwise)[0] == "cuda_core"


def test_fp8_falls_back_to_fp16_tensor_cores_without_fp8(spec):
    data = spec.model_dump()
    del data["compute"]["tensor_core"]["peaks"]["fp8"]
    del data["compute"]["tensor_core"]["sparse_peaks"]["fp8"]
    from graphs.hardware import parse_spec
    no_fp8 = parse_spec(data)
    assert unit_of(no_fp8, gemm("float8_e4m3"))[:2] == ("tensor_core", "fp16")


def test_options_from_environment():
    o = GPUOptions.from_env({"GRAPHS_GPU_TF32_MATMUL": "1", "GRAPHS_GPU_TF32_CONV": "0",
                             "GRAPHS_GPU_FRACTION": "0.5", "GRAPHS_GPU_SM_COUNT": "66"})
    assert (o.tf32_matmul, o.tf32_conv, o.fraction, o.sm_count) == (True, False, 0.5, 66)
    assert GPUOptions.from_env({}) == GPUOptions()
    for env in ({"GRAPHS_GPU_TF32_MATMUL": "maybe"}, {"GRAPHS_GPU_FRACTION": "2"},
                {"GRAPHS_GPU_FRACTION": "x"}, {"GRAPHS_GPU_SM_COUNT": "-3"}):
        with pytest.raises(GPUOptionError):
            GPUOptions.from_env(env)


def test_partial_device_scales_sms_peaks_and_bandwidth(spec):
    full = GPUMapper(spec, options=GPUOptions())
    half = GPUMapper(spec, options=GPUOptions(fraction=0.5))
    sms = GPUMapper(spec, options=GPUOptions(sm_count=66))
    assert half.device.sm_count == 66 and sms.device.sm_count == 66
    assert half.device.peak("tensor_core", "fp16") == pytest.approx(full.device.peak("tensor_core", "fp16") / 2)
    assert half.device.hbm_bandwidth == pytest.approx(full.device.hbm_bandwidth / 2)
    assert sms.device.hbm_bandwidth == full.device.hbm_bandwidth
    big = gemm("float16", 8192, 8192, 8192)
    assert half.timing(big).seconds == pytest.approx(2 * full.timing(big).seconds, rel=0.1)
    from graphs.errors import SpecError
    with pytest.raises(SpecError, match="exceeds"):
        GPUMapper(spec, options=GPUOptions(sm_count=200))
