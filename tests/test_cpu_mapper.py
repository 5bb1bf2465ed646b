"""CPUMapper (graphs-mappers-cpu): rates, bandwidth curve, priors selection, estimates, plugin."""

import json
import math
import time
from pathlib import Path

import pytest

from graphs.testing import run_cli

from graphs.errors import GraphsError, SpecError
from graphs.estimate import analyze_graph, compose
from graphs.hardware import parse_spec
from graphs.plugins import GraphsPlugins
from graphs.results import ConfidenceLevel
from graphs_mappers_cpu import bench, priors
from graphs_mappers_cpu.mapper import CPUMapper
from graphs_mappers_cpu.spec import host_spec
from graphs_mappers_cpu.host import detect
from test_cpu_host import fake_measurements, neoverse_n1


def entry(median, low, high, n=5, flops=(1.0, 1e12), nbytes=(1.0, 1e10)):
    return {"median": median, "low": low, "high": high, "n": n, "flops_range": list(flops),
            "bytes_range": list(nbytes)}


def priors_file(model="Test CPU", sig=None, microarch="Neoverse-N1", isa="neon", bits=128, threads=(4,),
                table=None):
    table = table or {"matmul": entry(2.0, 1.5, 3.0), "elementwise": entry(1.2, 1.0, 2.0),
                      "conv": entry(1.8, 1.2, 4.0), "conv/depthwise": entry(5.0, 3.0, 9.0)}
    runs = {str(t): {"threads": t, "torch": "x", "date": "2026-01-01", "script": "test", "priors": table}
            for t in threads}
    return {"schema": 1, "cpu_model": model, "signature": sig or {"implementer": "0x41", "part": "0xd0c"},
            "microarch": microarch, "vendor": "ARM", "isa": isa, "simd_bits": bits, "runs": runs}


@pytest.fixture
def n1_spec(tmp_path):
    return parse_spec(host_spec(detect(neoverse_n1(tmp_path / "root")), fake_measurements(4)), "host")


def mapper(spec, files=None, threads=None):
    m = CPUMapper(spec, threads=threads, priors=None)
    if files is not None:
        p = spec.family_params
        m.priors = priors.select(p["cpu_model"], p.get("signature"), p["microarch"], p["isa"],
                                 int(p["simd_bits"]["value"]), spec.vendor, files=files, threads=m.threads)
    return m


# --- rates --------------------------------------------------------------------------------------------
def test_compute_rate_scales_with_threads_and_vector_kernels_use_fp32_simd(n1_spec):
    k_mm = bench.mm(256, 256, 256).kernel()
    k_relu = bench.unary("relu", 1 << 20).kernel()
    full = mapper(n1_spec).compute_rate(k_mm, "fp32")
    assert full.value == n1_spec.peak("fp32") and full.unit == "simd"
    assert mapper(n1_spec, threads=1).compute_rate(k_mm, "fp32").value == n1_spec.peak("fp32") / 4
    assert mapper(n1_spec, threads=8).compute_rate(k_mm, "fp32").value == n1_spec.peak("fp32")  # SMT: no more FMAs
    # a matrix kernel at fp16 uses the fp16 peak; an elementwise one computes in fp32 registers
    assert mapper(n1_spec).compute_rate(k_mm, "fp16").value == n1_spec.peak("fp16")
    assert mapper(n1_spec).compute_rate(k_relu, "fp16").value == n1_spec.peak("fp32")


def test_bandwidth_curve_interpolation(n1_spec):
    m4, m1 = mapper(n1_spec, threads=4), mapper(n1_spec, threads=1)
    pts = n1_spec.family_params["bandwidth_curve"]["points"]
    for p in pts:  # exact at measured footprints, per thread count
        assert m4.bandwidth_at(p["footprint_bytes"]).value == pytest.approx(p["bytes_per_s_all"])
        assert m1.bandwidth_at(p["footprint_bytes"]).value == pytest.approx(p["bytes_per_s_1"])
    # clamped outside, log-log in between
    assert m4.bandwidth_at(10).value == pytest.approx(pts[0]["bytes_per_s_all"])
    assert m4.bandwidth_at(1e12).value == pytest.approx(n1_spec.memory_bandwidth)
    mid = math.sqrt(pts[0]["footprint_bytes"] * pts[1]["footprint_bytes"])
    assert m4.bandwidth_at(mid).value == pytest.approx(math.sqrt(pts[0]["bytes_per_s_all"] * pts[1]["bytes_per_s_all"]))
    # 2 of 4 threads: a third of the way from 1-thread to all-thread bandwidth
    m2 = mapper(n1_spec, threads=2)
    p = pts[-1]
    assert m2.bandwidth_at(p["footprint_bytes"]).value == pytest.approx(
        p["bytes_per_s_1"] + (p["bytes_per_s_all"] - p["bytes_per_s_1"]) / 3)
    # the level name says where the working set lives
    assert m4.bandwidth_at(100e3).unit == "L2" and m4.bandwidth_at(1e9).unit == "DRAM"


def test_memory_levels_without_curve(n1_spec):
    d = n1_spec.model_dump()
    d["family_params"]["bandwidth_curve"] = None
    d["memory"][1]["bandwidth"] = {"value": 200, "unit": "GB/s", "source": "assumed: test"}
    spec = parse_spec(d, "t")
    m = mapper(spec, threads=2)
    assert m.bandwidth_at(1.5 * 2**20).value == 200e9     # fits 2 threads × 1 MiB L2
    l3 = spec.memory[2]
    assert l3.name == "L3" and m.bandwidth_at(3 * 2**20).value == l3.bandwidth.si   # L3 holds it
    assert m.bandwidth_at(64 * 2**20).value == spec.memory_bandwidth                 # 32 MiB L3 does not


def test_fresh_large_outputs_pay_measured_page_faults(n1_spec):
    o = n1_spec.overhead("kernel_launch")
    small = bench.unary("relu", 1 << 20).kernel()      # 4 MiB output: reused heap memory
    big = bench.unary("relu", 1 << 24).kernel()        # 64 MiB output: fresh mmap every call
    m4, m1 = mapper(n1_spec, threads=4), mapper(n1_spec, threads=1)
    assert m4.kernel_overhead(small) == o
    assert m4.kernel_overhead(big) == pytest.approx(o + 64 * 2**20 * 0.5e-9)
    assert m1.kernel_overhead(big) == pytest.approx(o + 64 * 2**20 * 1e-9)


def test_model_overhead_terms_of_a_calibration(n1_spec):
    """Composition: a calibration's per-kernel and per-weight-byte terms add to its constant; features from kernels."""
    from graphs.calibration import Calibration, Overhead

    ks = [bench.linear(128, 768, 3072).kernel(), bench.conv2d(1, 64, 56, 64, 3).kernel(),
          bench.unary("relu", 4096).kernel()]
    feats = CPUMapper.model_overhead_features(ks)
    assert feats == {"per_kernel": 3.0, "per_weight_byte": 3072 * 768 * 4 + 64 * 64 * 9 * 4}
    base = Calibration(device="host", source="t", model_overhead=Overhead(value_s=1e-3, n=3, source="t"),
                       conditions={"threads": 4})
    m = CPUMapper(n1_spec, base, threads=4, priors=None)
    assert m.model_overhead(ks) == pytest.approx(1e-3)
    m = CPUMapper(n1_spec, base.model_copy(update={"model_overhead_terms": {"per_kernel": 1e-5, "per_weight_byte": 1e-10}}),
                  threads=4, priors=None)
    assert m.model_overhead(ks) == pytest.approx(1e-3 + 3e-5 + feats["per_weight_byte"] * 1e-10)
    with pytest.raises(ValueError, match="non-negative"):
        Calibration(device="host", source="t", model_overhead_terms={"per_kernel": -1.0})


def test_calibration_files_with_and_without_overhead_terms(tmp_path):
    from graphs.calibration import Calibration, load_calibration

    plain = Calibration(device="host", source="t")
    plain.dump(tmp_path / "a.yaml")
    assert "model_overhead_terms" not in (tmp_path / "a.yaml").read_text()     # files without terms as before
    assert load_calibration(tmp_path / "a.yaml") == plain
    terms = plain.model_copy(update={"model_overhead_terms": {"per_kernel": 1e-5}})
    terms.dump(tmp_path / "b.yaml")
    assert load_calibration(tmp_path / "b.yaml").model_overhead_terms == {"per_kernel": 1e-5}


def test_bad_threads_is_an_error(n1_spec, monkeypatch):
    with pytest.raises(GraphsError):
        mapper(n1_spec, threads=0)
    monkeypatch.setenv("GRAPHS_CPU_THREADS", "many")
    with pytest.raises(GraphsError, match="GRAPHS_CPU_THREADS"):
        CPUMapper(n1_spec)
    monkeypatch.setenv("GRAPHS_CPU_THREADS", "3")
    assert CPUMapper(n1_spec).threads == 3


def test_bad_family_params_is_a_spec_error(n1_spec):
    d = n1_spec.model_dump()
    d["family_params"]["isa"] = "mmx"
    with pytest.raises(SpecError, match="family_params.isa"):
        CPUMapper(parse_spec(d, "t"))


# --- priors --------------------------------------------------------------------------------------------
def test_exact_priors_give_interpolated_estimates_inside_the_range(n1_spec):
    """A prior is not a calibration: exact priors inside their range are INTERPOLATED (CALIBRATED
    needs a calibration curve, see test_calibrate_*)."""
    files = [(Path("test-n1.json"), priors_file(model=n1_spec.family_params["cpu_model"]))]
    m = mapper(n1_spec, files)
    assert m.priors.exact
    k = bench.mm(512, 512, 512).kernel()
    est = m.estimate_kernel(k)
    t_roof, _, _ = m.roofline(k, "fp32")
    o = n1_spec.overhead("kernel_launch")
    assert est.time_s == pytest.approx(t_roof * 2.0 + o)
    assert (est.low_s, est.high_s) == (pytest.approx(t_roof * 1.5 + o), pytest.approx(t_roof * 3.0 + o))
    assert est.confidence is ConfidenceLevel.INTERPOLATED
    # depthwise convolutions have their own prior
    dw = bench.conv2d(1, 32, 56, 32, 3, 1, 32).kernel()
    assert m.prior(dw).median == 5.0
    # attention was not measured: the matmul prior is borrowed, and the estimate says so
    att = bench.attention(1, 4, 64, 32).kernel()
    assert m.prior(att).median == 2.0 and m.confidence(att) is ConfidenceLevel.INTERPOLATED
    assert any("'attention'" in n and "'matmul'" in n for n in m.notes)


def test_out_of_range_kernel_is_interpolated(n1_spec):
    table = {"matmul": entry(2.0, 1.5, 3.0, flops=(1e6, 1e7)), "elementwise": entry(1.2, 1.0, 2.0)}
    files = [(Path("t.json"), priors_file(model=n1_spec.family_params["cpu_model"], table=table))]
    m = mapper(n1_spec, files)
    assert m.confidence(bench.mm(1024, 1024, 1024).kernel()) is ConfidenceLevel.INTERPOLATED


def test_other_cpu_priors_are_transferred_from_the_closest_and_noted(n1_spec):
    files = [
        (Path("x86.json"), priors_file(model="Some Xeon", sig={"family": 6, "model": 143}, microarch="Sapphire Rapids",
                                       isa="avx512", bits=512, table={"matmul": entry(9.0, 8.0, 10.0),
                                                                      "elementwise": entry(9.0, 8.0, 10.0)})),
        (Path("graviton.json"), priors_file(model="Other Neoverse box", sig={"implementer": "0x41", "part": "0xd0c"})),
    ]
    m = mapper(n1_spec, files)
    assert not m.priors.exact and m.priors.path.name == "graviton.json"
    assert "microarchitecture" in m.priors.reason
    k = bench.mm(512, 512, 512).kernel()
    assert m.prior(k).median == 2.0
    assert m.confidence(k) is ConfidenceLevel.INTERPOLATED
    gp = GraphsPlugins()
    bench.TABLE.register_into(lambda t, kk, f: gp._add_op_handlers("bench", t, kk, f))
    m._notes.append(f"efficiency priors: {m.priors.reason}")
    r = compose(analyze_graph(bench.mm(512, 512, 512).graph, gp, fusion="none"), m, fusion="none")
    assert any("transferred from 'Other Neoverse box'" in n for n in r.provenance.notes)


def test_run_with_closest_thread_count_is_used(n1_spec):
    table2 = {"matmul": entry(3.0, 2.0, 4.0), "elementwise": entry(1.0, 1.0, 1.0)}
    f = priors_file(model=n1_spec.family_params["cpu_model"], threads=(1,))
    f["runs"]["4"] = {"threads": 4, "priors": table2, "torch": "x", "date": "d", "script": "t"}
    files = [(Path("t.json"), f)]
    assert mapper(n1_spec, files, threads=4).prior(bench.mm(512, 512, 512).kernel()).median == 3.0
    assert mapper(n1_spec, files, threads=1).prior(bench.mm(512, 512, 512).kernel()).median == 2.0


def test_malformed_priors_file_is_a_spec_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": 1, "runs": {"1": {"threads": 1, "priors": {
        "matmul": {"median": 1.0, "low": 2.0, "high": 3.0, "n": 1, "flops_range": [1, 2], "bytes_range": [1, 2]}}}}}))
    with pytest.raises(SpecError, match="low <= median"):
        priors.select("x", None, "", "avx2", 256, "v", directory=tmp_path)
    bad.write_text("[]")
    with pytest.raises(SpecError, match="bad.json"):
        priors.select("x", None, "", "avx2", 256, "v", directory=tmp_path)


def test_shipped_priors_files_are_valid():
    files = priors.available()
    assert files, "no measured CPU priors shipped (run benchmarks/derive_cpu_priors.py)"
    for path, data in files:
        for run in data["runs"].values():
            es = priors._entries(run, path)
            assert {"matmul", "conv", "elementwise"} <= set(es), path.name
            assert run["measurements"] and run["threads"] >= 1 and run["torch"]


# --- the plugin and the real host ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        d = tmp_path_factory.mktemp("graphs-cache")
        mp.setenv("GRAPHS_CACHE_DIR", str(d))
        yield d


def test_hardware_list_json_contains_host(cache_dir, graphs_cli):
    assert graphs_cli("hardware", "show", "host").exit_code == 0     # first use: detect + measure (cached)
    r = graphs_cli("hardware", "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)["devices"]}
    assert "host" in rows
    h = rows["host"]
    assert h["family"] == "cpu" and h["mapper_installed"] and h["fp32_flops"] > 0 and h["bandwidth_bytes_per_s"] > 0
    show = graphs_cli("hardware", "show", "cpu-host", "--format", "json")
    assert show.exit_code == 0
    assert json.loads(show.stdout)["spec"]["id"] == "host"


def test_detection_failure_is_reported_not_raised(cache_dir, monkeypatch, graphs_registry):
    import graphs_mappers_cpu.host as host_mod
    import graphs_mappers_cpu.plugin as plugin

    def broken(root="/"):
        raise RuntimeError("no /proc here\nsecond line")

    monkeypatch.setattr(host_mod, "detect", broken)
    info = graphs_registry.add(plugin, "mappers-cpu")
    assert info.status == "ok" and "cpu" in graphs_registry.mappers    # the engine registers; the host is lazy
    assert not graphs_registry.hardware["host"].loaded                  # a listing does not detect it
    with pytest.raises(GraphsError) as e:                               # first use: one line, GraphsError
        graphs_registry.hardware_entry("host").spec
    assert "host CPU detection failed: RuntimeError: no /proc here second line" in str(e.value)
    r = run_cli("hardware", "show", "host")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "host CPU detection failed" in r.stderr


def test_host_plugin_is_valid(cache_dir):
    from graphs.testing import assert_plugin_valid
    import graphs_mappers_cpu.plugin as plugin
    info = assert_plugin_valid(plugin, "mappers-cpu")
    assert info.registered == {"hardware": ["host"], "mappers": ["cpu"], "runners": ["torch-cpu"]}


def _gemm_estimate(n: int, cache_dir):
    from graphs_mappers_cpu import host_spec as real_host_spec
    spec = real_host_spec(cache_dir)
    gp = GraphsPlugins()
    bench.TABLE.register_into(lambda t, k, f: gp._add_op_handlers("bench", t, k, f))
    m = CPUMapper(spec)
    r = compose(analyze_graph(bench.mm(n, n, n).graph, gp, fusion="none"), m, fusion="none")
    return r.value, r, m


def test_host_gemm_estimate_is_consistent(cache_dir):
    t, r, _ = _gemm_estimate(1024, cache_dir)
    assert r.low <= t <= r.high and r.provenance.hardware == "host"
    k = r.breakdown[0]
    assert k.bound == "compute" and k.flops == 2 * 1024**3
    assert any("efficiency priors" in n for n in r.provenance.notes)
    assert r.metrics["fusion"] == "none" and r.metrics["model_overhead_s"] > 0


@pytest.mark.slow
def test_host_gemm_estimate_vs_torch_mm(cache_dir):
    """Estimate vs a real torch.mm at 1536³ on this host: within 3× (the machine may be loaded)."""
    import torch
    n = 1536
    est, _, m = _gemm_estimate(n, cache_dir)
    prev = torch.get_num_threads()
    torch.set_num_threads(m.threads)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)
        ts = []
        for _ in range(7):
            t0 = time.perf_counter()
            torch.mm(a, b)
            ts.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(prev)
    measured = min(ts)   # the least disturbed repeat: other processes only ever add time
    assert est / 3 <= measured <= est * 3, f"estimate {est * 1e3:.2f} ms vs measured {measured * 1e3:.2f} ms"
