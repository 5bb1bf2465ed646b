"""ML.ENERGY Benchmark v3: `graphs validate --data` reader, leave-one-model-out accuracy gate on the committed
summary (benchmarks/data/mlenergy_lomo.json, written by benchmarks/accuracy_mlenergy.py --write)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from graphs.testing import run_cli

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "benchmarks" / "data" / "mlenergy_lomo.json"
DATA = ROOT.parent / "shared" / "data" / "mlenergy"
METRICS = ("itl_ms", "throughput_tok_s", "avg_power_w", "energy_per_token_j")


@pytest.fixture(scope="module")
def committed():
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def features(committed):
    from graphs_llm.mlenergy import unpack_features
    return unpack_features(committed)


@pytest.fixture(scope="module")
def rescored(features):
    from graphs_llm.mlenergy_fit import leave_one_model_out
    return leave_one_model_out(features)


def test_rescoring_the_committed_features_reproduces_the_committed_summary(committed, rescored):
    from graphs_llm.mlenergy_fit import summarize
    s = summarize(rescored)
    for gpu, per in committed["summary"].items():
        for m in METRICS:
            assert s[gpu][m]["mape"] == pytest.approx(per[m]["mape"], abs=0.05), (gpu, m)
            assert s[gpu][m]["coverage"] == pytest.approx(per[m]["coverage"], abs=0.01), (gpu, m)
    cols = committed["row_columns"]
    assert len(committed["rows"]) == len(rescored)
    by_key = {(r[0], r[1], r[2], r[3], r[4], r[5]): dict(zip(cols, r)) for r in committed["rows"]}
    for sc in rescored:
        f = sc.features.row
        row = by_key[(f.gpu, f.model, f.task, f.num_gpus, f.max_num_seqs, f.index)]
        for m in METRICS:
            assert sc.predicted[m] == pytest.approx(row[f"predicted_{m}"], rel=1e-3)


def test_accuracy_gate_leave_one_model_out(committed):
    """Regression gate on the committed held-out accuracy (see docs/accuracy/mlenergy.md for the targets,
    which are not all met): never worse than recorded, always far better than the simplest baselines,
    intervals covering at least 80 % of the measurements."""
    ceilings = {"H100": {"itl_ms": 18.5, "throughput_tok_s": 20.0, "avg_power_w": 15.5, "energy_per_token_j": 22.5},
                "B200": {"itl_ms": 22.5, "throughput_tok_s": 33.0, "avg_power_w": 25.0, "energy_per_token_j": 21.0}}
    for gpu, per in committed["summary"].items():
        for m in METRICS:
            s = per[m]
            assert s["mape"] <= ceilings[gpu][m], (gpu, m, s["mape"])
            assert s["baseline_mape"] >= 1.8 * s["mape"], (gpu, m)
            assert s["coverage"] >= 0.80, (gpu, m, s["coverage"])
            assert s["n"] >= 250


def test_predictions_are_physical(committed, features):
    """Positive times, throughputs and energies; no replica predicted above its GPUs' power limit."""
    cols = committed["row_columns"]
    tdp = {(f.row.gpu, f.row.model, f.row.task, f.row.num_gpus, f.row.max_num_seqs, f.row.index): f.tdp_w * f.row.num_gpus
           for f in features}
    for r in committed["rows"]:
        row = dict(zip(cols, r))
        limit = tdp[tuple(r[:6])]
        for m in METRICS:
            assert math.isfinite(row[f"predicted_{m}"]) and row[f"predicted_{m}"] > 0
            assert row[f"low_{m}"] <= row[f"predicted_{m}"] * (1 + 1e-6) or m == "avg_power_w"
        assert row["predicted_avg_power_w"] <= limit * (1 + 1e-6)
        assert row["high_avg_power_w"] <= limit * (1 + 1e-6)


def test_committed_features_are_what_the_code_computes(features):
    """A row of each kind (dense 1 GPU, dense TP, MoE EP, FP8, MXFP4, sliding window, VLM) rebuilt from the
    architecture table and the GPU engine equals the committed features (so the gate tests today's code)."""
    from graphs.plugins import get_plugins
    from graphs_llm.mlenergy import FeatureBuilder
    picks = {}
    for f in features:
        r = f.row
        kind = (r.gpu, f.moe, r.num_gpus > 1, f.weights, r.vision)
        picks.setdefault(kind, f)
    fb = FeatureBuilder(get_plugins())
    assert len(picks) >= 10
    for f in list(picks.values())[:14]:
        g = fb.features(f.row)
        for (x0, a), (x1, b) in zip(f.decode + f.prefill, g.decode + g.prefill):
            assert x0 == x1
            for k in ("kernel_s", "comm_s", "memory_s", "matrix_s", "experts_s", "attention_s"):
                assert getattr(b, k) == pytest.approx(getattr(a, k), rel=1e-5, abs=1e-12), (f.row.model, k)
        assert g.roofline_decode_s == pytest.approx(f.roofline_decode_s, rel=1e-5)


def _mini_layout(tmp: Path, features) -> Path:
    """A small folder in the ML.ENERGY layout built from committed rows of three architectures + a diffusion file."""
    models = {}
    for f in features:
        if f.group in ("Qwen/Qwen3-8B", "meta-llama/Llama-3.1-70B-Instruct", "openai/gpt-oss-20b") and f.row.gpu == "H100":
            r = f.row
            models.setdefault((r.model, r.task), []).append({
                "gpu_model": r.gpu, "num_gpus": r.num_gpus, "max_num_seqs": r.max_num_seqs, "avg_batch_size": r.batch,
                "avg_output_len": r.out_len, "median_itl_ms": r.itl_ms,
                "output_throughput_tokens_per_sec": r.throughput_tok_s, "avg_power_watts": r.power_w,
                "energy_per_token_joules": r.energy_per_token_j,
                "parallelization": {"tensor_parallel": r.tp, "expert_parallel": r.ep, "data_parallel": r.dp}})
    (tmp / "models").mkdir(parents=True)
    index = {"architectures": {"llm": ["gpqa", "lm-arena-chat"]}, "tasks": ["gpqa", "lm-arena-chat", "text-to-image"],
             "models": {m: {} for m, _ in models}}
    (tmp / "index.json").write_text(json.dumps(index))
    for (m, task), confs in models.items():
        (tmp / "models" / f"{m.replace('/', '__')}__{task}.json").write_text(
            json.dumps({"model_id": m, "task": task, "configurations": confs}))
    (tmp / "models" / "black-forest-labs__FLUX.1-dev__text-to-image.json").write_text(json.dumps(
        {"model_id": "black-forest-labs/FLUX.1-dev", "task": "text-to-image", "configurations": [
            {"gpu_model": "H100", "num_gpus": 1, "batch_size": 1, "batch_latency_s": 7.7, "avg_power_watts": 690.0}]}))
    (tmp / "models" / "deepseek-ai__DeepSeek-V3.1__gpqa.json").write_text(json.dumps(
        {"model_id": "deepseek-ai/DeepSeek-V3.1", "task": "gpqa", "configurations": [dict(confs[0], num_gpus=8)]}))
    return tmp


def test_validate_data_detects_the_layout_and_writes_rows_per_configuration_and_metric(tmp_path, features):
    root = _mini_layout(tmp_path / "mle", features)
    r = run_cli("validate", "--data", str(root), "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    keys = {"gpu", "model", "task", "num_gpus", "max_num_seqs", "metric", "measured", "predicted", "low", "high",
            "confidence"}
    assert d["rows"] and all(set(row) == keys for row in d["rows"])
    assert {row["metric"] for row in d["rows"]} == set(METRICS)
    n_conf = len({(x["model"], x["task"], x["num_gpus"], x["max_num_seqs"], x["measured"]) for x in d["rows"]
                  if x["metric"] == "itl_ms"})
    assert len(d["rows"]) == 4 * n_conf
    assert set(d["mape"]["H100"]) == set(METRICS) and all(v > 0 for v in d["mape"]["H100"].values())
    reasons = {s["model"]: s["reason"] for s in d["skipped"]}
    assert "diffusion" in reasons["black-forest-labs/FLUX.1-dev"]
    assert "latent attention" in reasons["deepseek-ai/DeepSeek-V3.1"]
    assert all(row["confidence"] in ("CALIBRATED", "INTERPOLATED") for row in d["rows"])
    csv_out = run_cli("validate", "--data", str(root), "--format", "csv")
    assert csv_out.exit_code == 0 and csv_out.stdout.splitlines()[0].startswith("gpu,model,task,num_gpus")


def test_a_folder_that_only_looks_similar_is_not_this_layout(tmp_path):
    from graphs_llm.mlenergy_reader import MLEnergyLabels
    reader = MLEnergyLabels()
    (tmp_path / "models").mkdir()
    (tmp_path / "index.json").write_text("{not json")
    assert not reader.sniff(tmp_path)
    (tmp_path / "index.json").write_text(json.dumps({"models": {}, "tasks": []}))
    (tmp_path / "models" / "a__b__c.json").write_text(json.dumps({"rows": []}))
    assert not reader.sniff(tmp_path)
    r = run_cli("validate", "--data", str(tmp_path))
    assert r.exit_code == 2 and r.stderr.startswith("error:")


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/mlenergy not present")
def test_the_full_data_set_scores_as_committed(committed):
    r = run_cli("validate", "--data", str(DATA), "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    for gpu, per in committed["summary"].items():
        for m in METRICS:
            assert d["mape"][gpu][m] == pytest.approx(per[m]["mape"], abs=0.05)
    assert d["counts"]["scored"] + d["counts"]["skipped"] == 767 + 1020
    assert sum(committed["skipped_by_reason"].values()) == d["counts"]["skipped"]


def test_benchmark_script_refuses_a_missing_data_folder(tmp_path):
    import subprocess
    import sys
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "accuracy_mlenergy.py"), "--data", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.startswith("error:")
    shutil.rmtree(tmp_path, ignore_errors=True)
