"""graphs sweep: points, keys, one trace and one analysis per group, Parquet table, resumption,
refused points, the local process pool, and the core hook it relies on (estimate(analysis=...))."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from graphs.errors import GraphsError  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402
from graphs_sweep import engine, table  # noqa: E402
from graphs_sweep.runner import keyed_points, make_tasks, run_sweep  # noqa: E402
from graphs_sweep.spec import Point, SweepSpec, load_sweep_file, resolve_hardware, spec_from_mapping  # noqa: E402

MODEL = "resnet18"
DEVICES = ["h100", "a100-sxm4-80gb", "t4", "tpu-v5e", "coral-edge-tpu"]


def _spec(**kw) -> SweepSpec:
    base = dict(models=[MODEL], hardware=list(DEVICES), batch=[1, 4], precision=["fp32", "fp16"])
    base.update(kw)
    return SweepSpec(**base)


def _compare(a: list[dict], b: list[dict]) -> None:
    ka = sorted(a, key=lambda r: r["key"])
    kb = sorted(b, key=lambda r: r["key"])
    assert [r["key"] for r in ka] == [r["key"] for r in kb]
    for x, y in zip(ka, kb):
        assert x == y, (x["hardware"], x["batch"], x["precision"])


def test_points_cross_product_and_keys():
    gp = get_plugins()
    spec = _spec()
    spec.check()
    pts = keyed_points(spec, gp)
    assert len(pts) == 1 * 5 * 2 * 2
    assert len({k for _, k in pts}) == len(pts)
    again = keyed_points(_spec(), gp)
    assert [k for _, k in pts] == [k for _, k in again]            # stable across runs
    p0 = pts[0][0]
    assert p0.key("0.1.0", "a") != p0.key("0.1.1", "a") != p0.key("0.1.0", "b")   # version and device matter


def test_sweep_file_and_selectors(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("models: [resnet18]\nhardware: family:accel\nbatch: [1, 2]\nprecision: [bf16]\n")
    spec = load_sweep_file(f)
    assert spec.batch == [1, 2] and spec.precision == ["bf16"]
    hw = resolve_hardware(spec.hardware, get_plugins())
    assert "tpu-v5e" in hw and "h100" not in hw
    with pytest.raises(GraphsError, match="unknown key"):
        spec_from_mapping({"modles": ["x"]})
    with pytest.raises(GraphsError, match="unknown hardware"):
        resolve_hardware(["h1000"], get_plugins())
    with pytest.raises(GraphsError, match="fusion"):
        _spec(fusion=["weird"]).check()


def test_one_trace_and_one_analysis_per_group(monkeypatch):
    """A task of N devices traces once and analyses once per (fusion policy, precision)."""
    import graphs.estimate as est
    calls = {"analyze": 0}
    real = est.analyze_graph

    def counting(*a, **k):
        calls["analyze"] += 1
        return real(*a, **k)

    monkeypatch.setattr(est, "analyze_graph", counting)
    engine._CONTEXT = None
    loads = {"n": 0}
    import graphs.frontends as fe
    real_load = fe.load_model

    def counting_load(*a, **k):
        loads["n"] += 1
        return real_load(*a, **k)

    monkeypatch.setattr(fe, "load_model", counting_load)
    spec = _spec(batch=[1], precision=["fp16"])
    spec.check()
    pts = keyed_points(spec, get_plugins())
    rows = engine.run_task([p for p, _ in pts], [k for _, k in pts])
    assert len(rows) == len(DEVICES)
    assert loads["n"] == 1
    mappers = [engine.context().mapper(h) for h in DEVICES]   # devices without fp16 are refused before analysis
    policies = {m.default_fusion for m in mappers if "fp16" in m.supported_precisions()}
    assert calls["analyze"] == len(policies)          # not one per device
    engine._CONTEXT = None


def test_rows_match_estimate_and_refusals_are_rows(tmp_path):
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model
    out = tmp_path / "s.parquet"
    spec = _spec(precision=["fp16", "int4"])
    res = run_sweep(spec, out, get_plugins(), workers=1, progress=False)
    rows = table.read_rows(out)
    assert len(rows) == 1 * 5 * 2 * 2 == res.computed
    assert set(pq.read_schema(out).names) == set(table.NAMES)
    g = load_model(MODEL, LoadOptions(batch=4), get_plugins())
    ref = estimate(g, "h100", get_plugins(), precision="fp16")
    row = next(r for r in rows if r["hardware"] == "h100" and r["batch"] == 4 and r["precision"] == "fp16")
    assert row["status"] == "ok"
    assert row["latency_s"] == pytest.approx(ref.value, rel=1e-12)
    assert (row["low_s"], row["high_s"]) == pytest.approx(ref.interval, rel=1e-12)
    assert row["confidence"] == ref.confidence.name
    assert row["throughput_per_s"] == pytest.approx(4 / ref.value)
    assert row["energy_j"] == pytest.approx(ref.metrics["energy_j"], rel=1e-9)   # the GPU power model
    for r in rows:   # a device without a power model or sourced idle power: unknown, never zero
        if r["status"] == "ok" and r["hardware"] != "h100" and r["precision"] == "fp16" and r["batch"] == 4:
            e = estimate(g, r["hardware"], get_plugins(), precision="fp16").metrics["energy_j"]
            assert (r["energy_j"] is None) == (e is None) and (e is None or r["energy_j"] == pytest.approx(e))
            if e is None:
                assert r["energy_dynamic_min_j"] is None or r["energy_dynamic_min_j"] > 0
    for r in rows:
        if r["status"] != "ok":
            assert r["reason"], r
    statuses = {r["status"] for r in rows}
    assert "error" not in statuses, [r["reason"] for r in rows if r["status"] == "error"]


def test_resume_skips_finished_points_and_keeps_interrupted_parts(tmp_path):
    out = tmp_path / "s.parquet"
    gp = get_plugins()
    first = run_sweep(_spec(batch=[1]), out, gp, workers=1, progress=False)
    assert first.computed == 10 and first.skipped == 0
    again = run_sweep(_spec(batch=[1]), out, gp, workers=1, progress=False)
    assert again.computed == 0 and again.skipped == 10
    grown = run_sweep(_spec(batch=[1, 2]), out, gp, workers=1, progress=False)
    assert grown.computed == 10 and grown.skipped == 10
    assert len(table.read_rows(out)) == 20

    # an interrupted run: its part files are read back by the next run, which does only the rest
    out2 = tmp_path / "cut.parquet"
    seen = []

    def stop(rows):
        seen.extend(rows)
        if len(seen) >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(_spec(batch=[1]), out2, gp, workers=1, progress=False, on_rows=stop)
    assert not out2.exists() and table.parts_dir(out2).is_dir()
    rest = run_sweep(_spec(batch=[1]), out2, gp, workers=1, progress=False)
    assert rest.skipped == len(seen) and rest.computed == 10 - len(seen)
    assert not table.parts_dir(out2).exists()
    _compare(table.read_rows(out2), [r for r in table.read_rows(out) if r["batch"] == 1])


def test_error_rows_are_retried(tmp_path):
    out = tmp_path / "s.parquet"
    gp = get_plugins()
    run_sweep(_spec(batch=[1], hardware=["h100"]), out, gp, workers=1, progress=False)
    rows = table.read_rows(out)
    rows[0]["status"], rows[0]["reason"] = "error", "RuntimeError: boom"
    table.write_atomic(table.to_table(rows), out)
    res = run_sweep(_spec(batch=[1], hardware=["h100"]), out, gp, workers=1, progress=False)
    assert res.computed == 1 and {r["status"] for r in table.read_rows(out)} == {"ok"}


def test_process_pool_gives_the_same_table(tmp_path):
    gp = get_plugins()
    a = run_sweep(_spec(), tmp_path / "a.parquet", gp, workers=1, progress=False)
    b = run_sweep(_spec(), tmp_path / "b.parquet", gp, workers=2, progress=False)
    assert b.executor.startswith("process pool")
    _compare(table.read_rows(tmp_path / "a.parquet"), table.read_rows(tmp_path / "b.parquet"))
    assert a.computed == b.computed


def test_make_tasks_splits_for_workers():
    spec = _spec(batch=[1], precision=["fp16"])
    spec.check()
    pts = keyed_points(spec, get_plugins())
    assert len(make_tasks(pts, 1)) == 1
    tasks = make_tasks(pts, 2)
    assert len(tasks) >= 2 and sum(len(p) for p, _ in tasks) == len(pts)


def test_serve_mode_rows(tmp_path):
    out = tmp_path / "serve.parquet"
    spec = SweepSpec(mode="serve", models=["tinyllama-1.1b"], hardware=["h100", "l4"], batch=[1, 8],
                     precision=["fp16"], prompt_len=[128], gen_len=[16])
    run_sweep(spec, out, get_plugins(), workers=1, progress=False)
    rows = table.read_rows(out)
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows), [r["reason"] for r in rows]
    for r in rows:
        assert r["ttft_s"] > 0 and r["tpot_s"] > 0 and r["tokens_per_s"] > 0
        assert r["latency_s"] >= r["ttft_s"]
        assert r["energy_j"] is None


def test_cli_sweep_and_errors(tmp_path, graphs_cli):
    out = tmp_path / "cli.parquet"
    r = graphs_cli("sweep", "--model", MODEL, "--hardware", "h100,t4", "--batch", "1,2", "--precision", "fp16",
                   "-o", str(out), "--workers", "1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["computed"] == 4 and summary["status ok"] == 4
    r = graphs_cli("sweep", "--model", MODEL, "--hardware", "h100,t4", "--batch", "1,2", "--precision", "fp16",
                   "-o", str(out), "--workers", "1", "-f", "json")
    assert json.loads(r.stdout)["computed"] == 0
    bad = graphs_cli("sweep", "--model", "resnet5000", "--hardware", "h100", "-o", str(out))
    assert bad.exit_code == 2 and "unknown model" in bad.stderr
    bad = graphs_cli("sweep", "--model", MODEL, "--hardware", "h100", "--batch", "x", "-o", str(out))
    assert bad.exit_code == 2 and "--batch" in bad.stderr
    bad = graphs_cli("sweep", "--model", MODEL, "--hardware", "h100", "-o", str(tmp_path / "no" / "x.parquet"))
    assert bad.exit_code == 2 and "does not exist" in bad.stderr
    import socket
    with socket.socket() as s:          # a port nothing listens on: refused at once, not after Ray's minutes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bad = graphs_cli("sweep", "--model", MODEL, "--hardware", "h100", "-o", str(out), "--ray-address",
                     f"127.0.0.1:{port}")
    assert bad.exit_code == 2 and "no Ray cluster answers" in bad.stderr


def test_parquet_is_queryable_with_pandas_style_tools(tmp_path):
    out = tmp_path / "s.parquet"
    run_sweep(_spec(batch=[1]), out, get_plugins(), workers=1, progress=False)
    t = pq.read_table(out, filters=[("status", "=", "ok"), ("precision", "=", "fp16")])
    assert t.num_rows >= 3
    meta = table.read_meta(out)
    assert meta["spec"]["models"] == [MODEL] and meta["graphs_version"]
    assert all(math.isfinite(v) for v in t.column("latency_s").to_pylist())


def test_docs_list_every_column():
    doc = (Path(__file__).parents[1] / "docs" / "sweep.md").read_text()
    missing = [c for c in table.NAMES if f"`{c}`" not in doc]
    assert not missing, missing
