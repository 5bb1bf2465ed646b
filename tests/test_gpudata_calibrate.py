"""Fitting GPU calibrations from measured kernels, transferring them, and the engine using them."""

import pytest

from graphs.calibration import Calibration, load_calibration
from graphs.kernels import gemm_kernel, vector_kernel
from graphs.calibration import KernelSample
from graphs_datasets.validate import merge_calibrations
from graphs.plugins import get_plugins
from graphs.results import ConfidenceLevel
from graphs_mappers_gpu import GPUMapper, GPUOptions
from graphs_mappers_gpu.calibrate import curve_keys, fit_calibration, gemm_aligned, transfer_calibration

NO_TF32 = GPUOptions(tf32_matmul=False, tf32_conv=False)
LAUNCH = 5e-6


def mapper(hw="v100-pcie-32gb", cal=None):
    return GPUMapper(get_plugins().hardware_entry(hw).spec, cal, options=NO_TF32)


def synthetic(m: GPUMapper, ratio: float, unaligned_ratio: float):
    """Aligned linears at `ratio`, unaligned at `unaligned_ratio`, streaming adds at 1.1 (all + LAUNCH)."""
    out = []
    for i, n in enumerate(range(256, 256 + 64 * 40, 64)):
        for k, r in ((gemm_kernel(1, 2048, n, 1024, linear=True), ratio),
                     (gemm_kernel(1, 2047, n + 3, 1021, linear=True), unaligned_ratio)):
            out.append(KernelSample(k, LAUNCH + r * m.timing(k).seconds))
        add = vector_kernel("add", 1 << (10 + i % 10), 8192)
        out.append(KernelSample(add, LAUNCH + 1.1 * m.timing(add).seconds))
    return out


def test_alignment_and_precision_keys():
    assert gemm_aligned(gemm_kernel(1, 512, 512, 64)) and not gemm_aligned(gemm_kernel(1, 512, 50257, 64, linear=True))
    assert curve_keys(gemm_kernel(1, 64, 64, 64, linear=True), "fp32") == ("linear.fp32", "matmul.fp32")
    assert curve_keys(gemm_kernel(1, 63, 64, 64, "float16"), "fp16") == ("matmul.fp16.unaligned", "matmul.fp16.unaligned")
    assert curve_keys(gemm_kernel(1, 64, 64, 64), "tf32")[0] == "matmul.tf32"
    assert curve_keys(vector_kernel("gelu", 8, 8, "float16"), "fp32")[0] == "gelu.fp16"   # data precision


def test_fit_recovers_the_ratios_and_the_engine_uses_them(tmp_path):
    m = mapper()
    cal = fit_calibration(m, synthetic(m, 1.3, 2.5), source="synthetic")
    assert {"linear.fp32", "linear.fp32.unaligned", "add.fp32", "elementwise.fp32"} <= set(cal.curves)
    assert cal.kernel_overhead.value_s == pytest.approx(LAUNCH, rel=0.05)
    lin = cal.curves["linear.fp32"]
    assert lin.ratio(lin.x_min * 2) == pytest.approx(1.3, rel=0.02) and lin.residuals.q05 == pytest.approx(1.0, abs=0.02)
    assert cal.curves["linear.fp32.unaligned"].ratio(lin.x_max) == pytest.approx(2.5, rel=0.02)
    path = tmp_path / "cal.yaml"
    cal.dump(path)
    cm = mapper(cal=load_calibration(path))
    k = gemm_kernel(1, 2048, 1024, 1024, linear=True)
    e = cm.estimate_kernel(k)
    assert e.confidence is ConfidenceLevel.CALIBRATED
    assert e.time_s == pytest.approx(LAUNCH + 1.3 * cm.timing(k).seconds, rel=0.02)
    far = gemm_kernel(1, 65536, 65536, 8192, linear=True)       # > 4x beyond the fitted range: the prior
    assert cm.estimate_kernel(far).confidence is ConfidenceLevel.THEORETICAL
    assert cm.estimate_kernel(far).time_s == pytest.approx(m.estimate_kernel(far).time_s)


def test_transfer_is_interpolated_and_averages_sources():
    a, b = mapper("v100-pcie-32gb"), mapper("p100-pcie-16gb")
    ca = fit_calibration(a, synthetic(a, 1.2, 2.0), source="a")
    cb = fit_calibration(b, synthetic(b, 1.8, 2.0), source="b")
    target = mapper("a100-pcie-80gb")
    moved = transfer_calibration(target, [(ca, "high_power"), (cb, "high_power")])
    assert moved.transferred_from == "p100-pcie-16gb, v100-pcie-32gb"
    x = min(ca.curves["linear.fp32"].x_max, cb.curves["linear.fp32"].x_max) / 2
    assert moved.curves["linear.fp32"].ratio(x) == pytest.approx((1.2 * 1.8) ** 0.5, rel=0.03)
    e = mapper("a100-pcie-80gb", moved).estimate_kernel(gemm_kernel(1, 2048, 1024, 1024, linear=True))
    assert e.confidence is ConfidenceLevel.INTERPOLATED
    # a low-power target prefers low-power sources when any has the key
    low = fit_calibration(mapper("t4"), synthetic(mapper("t4"), 3.0, 4.0), source="t4")
    p4 = transfer_calibration(mapper("p4"), [(ca, "high_power"), (low, "low_power")])
    assert p4.curves["linear.fp32"].transferred_from == "t4"
    # merged: own curves stay CALIBRATED, borrowed ones are marked
    own = Calibration(device="a100-pcie-80gb", source="own", curves={"add.fp32": ca.curves["add.fp32"]})
    merged = merge_calibrations(own, moved)
    assert merged.curves["add.fp32"].transferred_from is None and merged.curves["linear.fp32"].transferred_from


def test_same_vendor_sources_first_and_their_matrix_efficiency_scales_other_vendors_curves():
    a, b = mapper("v100-pcie-32gb"), mapper("p100-pcie-16gb")
    ca = fit_calibration(a, synthetic(a, 1.2, 2.0), source="a")
    cb = fit_calibration(b, synthetic(b, 1.2, 2.0), source="b")
    m210 = mapper("mi210")
    # an AMD device that measured only fp16-free 'linear.fp32.unaligned' and adds: drop its aligned linear curve
    amd = fit_calibration(m210, synthetic(m210, 1.2, 3.0), source="amd")
    amd = amd.model_copy(update={"device": "mi210", "curves": {k: v for k, v in amd.curves.items()
                                                                if k != "linear.fp32" and k != "matmul.fp32"}})
    nv = [(ca, "high_power", "NVIDIA"), (cb, "high_power", "NVIDIA")]
    target = mapper("mi250")
    moved = transfer_calibration(target, [*nv, (amd, "high_power", "AMD")], vendor="AMD")
    # the unaligned linears of the AMD source run 1.5x the NVIDIA transfer: aligned ones are scaled by that
    x = ca.curves["linear.fp32"].x_max / 2
    assert moved.curves["linear.fp32"].ratio(x) == pytest.approx(1.2 * 1.5, rel=0.05)
    assert "x 1.5" in moved.curves["linear.fp32"].transferred_from and "matrix efficiency of mi210" in moved.source
    # keys the AMD device measured come from it alone, unscaled; memory-bound curves are never scaled
    assert moved.curves["linear.fp32.unaligned"].transferred_from == "mi210"
    assert moved.curves["add.fp32"].transferred_from == "mi210"
    # the target's own measurements take precedence over its vendor's
    own = amd.model_copy(update={"device": "mi250", "curves": {k: v.model_copy(update={"points": tuple(
        (px, r * 2 / 3) for px, r in v.points)}) for k, v in amd.curves.items()}})
    mine = transfer_calibration(target, nv, vendor="AMD", own=own)
    assert mine.curves["linear.fp32"].ratio(x) == pytest.approx(1.2 * 1.0, rel=0.05)
    # without any measured matrix key of the vendor, nothing is scaled
    plain = transfer_calibration(target, nv, vendor="AMD")
    assert plain.curves["linear.fp32"].ratio(x) == pytest.approx(1.2, rel=0.03) and "matrix" not in plain.source
