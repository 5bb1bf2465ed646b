"""The torch-cpu runner: suites, what each measurement records, IR of what ran, model runs."""

import math
from collections import Counter

import pytest

from graphs.bench import run_cases
from graphs.measured import graph_from_record, is_graph_record, record_kernels
from graphs.plugins import get_plugins
from graphs.store import ResultsStore

FAST = {"warmup": 0, "min_repeats": 1, "max_repeats": 2, "max_time_s": 0.01}


@pytest.fixture
def runner(monkeypatch):
    r, plugin = get_plugins().runners["torch-cpu"]
    assert plugin == "mappers-cpu"
    impl = r._runner()
    from graphs_frontend_fx.measure import Timing
    monkeypatch.setattr(impl, "timing", Timing(kernel=FAST, model=FAST, in_model=FAST))
    return r


def test_registered_available_and_environment(runner):
    assert runner.unavailable() is None and runner.device() == "host"
    env = runner.environment()
    sw, host = env["software"], env["host"]
    assert sw["torch"].startswith("2.") and sw["torch_threads"] == host["threads"] >= 1
    assert "onednn" in sw and host["cpu_model"] and host["physical_cores"] >= 1
    assert f"{host['threads']} thread(s)" in env["notes"]


def test_suites_cover_every_op_kind_and_precision(runner):
    quick, full, models = runner.suite("quick"), runner.suite("full"), runner.suite("models")
    assert 25 <= len(quick) <= 60 and len(full) >= 200
    groups = {c.group for c in full}
    assert groups >= {"dispatch", "gemm", "linear", "conv", "conv/depthwise", "conv/grouped", "attention", "elementwise",
                      "norm", "softmax", "pool", "reduction", "embedding", "copy"}
    kinds = {c.op_kind for c in full}
    assert kinds >= {"matmul", "linear", "conv", "attention", "relu", "gelu", "add", "layer_norm", "rms_norm",
                     "batch_norm", "softmax", "max_pool", "adaptive_avg_pool", "embedding"}
    precs = Counter(c.precision for c in full if c.group in ("gemm", "linear", "conv"))
    assert precs["fp32"] > 0 and set(precs) == set(runner._runner().precisions())
    conv = [c.spec["dims"] for c in full if c.group.startswith("conv")]
    assert any(d["k"] == 1 for d in conv) and any(d.get("groups", 1) == d["c"] for d in conv)
    assert {c.spec["dims"]["s"] for c in full if c.group == "attention"} >= {128, 512, 1024}
    assert {c.spec["batch"] for c in models} == {1, 8} and all(c.level == "model" for c in models)
    with pytest.raises(ValueError, match="unknown suite"):
        runner.suite("nope")


@pytest.mark.parametrize("op, dims, kind, flops", [
    ("mm", {"m": 64, "k": 32, "n": 16}, "linear", 2 * 64 * 32 * 16),
    ("bmm", {"b": 4, "m": 8, "k": 16, "n": 8}, "matmul", 2 * 4 * 8 * 16 * 8),
    ("linear", {"m": 4, "k": 32, "n": 16}, "linear", 2 * 4 * 32 * 16),
    ("conv2d", {"n": 1, "c": 8, "h": 16, "co": 8, "k": 3, "groups": 8}, "conv", 2 * 8 * 16 * 16 * 9),
    ("sdpa", {"b": 1, "h": 2, "s": 32, "d": 16}, "attention", None),
    ("layer_norm", {"rows": 8, "d": 64}, "layer_norm", None),
    ("embedding", {"vocab": 100, "d": 16, "b": 2, "s": 4}, "embedding", None),
    ("batch_norm", {"n": 1, "c": 4, "h": 8}, "batch_norm", None),
])
def test_each_case_records_the_ir_of_the_kernel_that_ran(op, dims, kind, flops):
    from graphs_frontend_fx.measure import capture, make_op, op_case

    case = op_case("t", op, "fp32", **dims)
    rec = capture(make_op(case, "cpu"))
    assert is_graph_record(rec) and rec["nodes"][-1]["op"].startswith("aten::")
    g = graph_from_record(rec)
    assert len(g.nodes) == len(rec["nodes"])
    (k,) = record_kernels(rec, get_plugins())           # exactly one kernel (views, e.g. linear's t, dropped)
    assert k.kind == kind
    if flops is not None:
        assert k.flops == flops


def test_a_composite_op_is_recorded_as_the_kernels_eager_runs():
    """F.rms_norm has no fused CPU kernel: eager runs (and the record holds) its decomposition."""
    from graphs_frontend_fx.measure import capture, make_op, op_case

    rec = capture(make_op(op_case("t", "rms_norm", "fp32", rows=8, d=64), "cpu"))
    kinds = [k.kind for k in record_kernels(rec, get_plugins())]
    assert len(kinds) > 1 and "rsqrt" in kinds and "mean" in kinds


def test_run_cases_stores_a_measurement_per_case(runner, tmp_path):
    cases = [c for c in runner.suite("quick") if c.group in ("dispatch", "softmax")][:3]
    with ResultsStore(tmp_path / "s.sqlite") as st:
        ids = run_cases(runner, cases, st)
        rows = st.query(device="host", runtime="torch-cpu")
    assert ids and len(rows) == 3
    m = rows[0].m
    assert m.level == "kernel" and m.threads >= 1 and m.repeats >= 1 and m.min_s <= m.median_s
    assert is_graph_record(m.shapes) and m.params["case"]["op"] in ("binary", "unary", "mm", "softmax")
    assert rows[0].run.software["torch"] and rows[0].run.host["cpu_model"]


def test_model_run_times_the_model_and_each_traced_kernel(runner):
    """A model case returns the model and every kernel of that pass timed alone; those are exactly
    the kernels the frontend traces for the same model (so γ compares like with like)."""
    from graphs.bench import BenchCase
    from graphs.estimate import analyze_graph
    from graphs.frontends import LoadOptions, load_model

    gp = get_plugins()
    case = BenchCase("model:squeezenet1_1", "squeezenet1_1 b1", "model", "model", "fp32",
                     {"model": "squeezenet1_1", "batch": 1, "seq_len": None})
    ms = runner.run(case)
    model, kernels = ms[0], ms[1:]
    assert model.level == "model" and model.shapes == {"builder": "zoo", "model": "squeezenet1_1", "batch": 1,
                                                       "seq_len": None}
    assert model.params["kernels"] == len(kernels) and \
        model.params["kernels_sum_s"] == pytest.approx(math.fsum(k.median_s for k in kernels))
    assert all(k.level == "kernel" and k.params["in_model"] and k.params["model"] == "squeezenet1_1" for k in kernels)
    traced = analyze_graph(load_model("squeezenet1_1", LoadOptions(batch=1), gp), gp, fusion="none").kernels
    assert Counter(k.kind for k in traced) == Counter(k.op_kind for k in kernels)
    got = sorted((round(record_kernels(k.shapes, gp)[0].flops), round(record_kernels(k.shapes, gp)[0].bytes))
                 for k in kernels)
    assert got == sorted((round(k.flops), round(k.bytes)) for k in traced)   # costed exactly as traced


@pytest.mark.slow
def test_quick_suite_live(graphs_cli, tmp_path):
    """The real thing: `graphs benchmark --runner torch-cpu --suite quick` (≈ 1 min)."""
    r = graphs_cli("benchmark", "--runner", "torch-cpu", "--suite", "quick", "--store", str(tmp_path / "s.sqlite"))
    assert r.exit_code == 0, r.stderr
    with ResultsStore(tmp_path / "s.sqlite") as st:
        assert st.count() == len(get_plugins().runners["torch-cpu"][0].suite("quick"))
