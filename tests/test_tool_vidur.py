"""VIDUR adapter (vidur 0.0.26): scenario → CLI arguments, the local profile cache, the doctor naming missing
profiles, and the request-metrics parser on a real VIDUR output recorded through the adapter
(tests/fixtures/tool_runs/vidur: real run, synthetic attention profile — see its PROVENANCE.md).
"""

import csv
import json
import lzma
import shutil
import stat
import sys
from pathlib import Path

import pytest

from graphs_tools import Diagnosis, DiagnosisStatus, ToolInputError, ToolOutputError
from graphs_vidur import ServingScenario, VidurAdapter, read_request_metrics

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
VIDUR = DATA / "vidur"
FIX = Path(__file__).parent / "fixtures" / "tool_runs" / "vidur"
MODEL = "compute/a100/meta-llama/Llama-2-7b-hf"
# every --flag of `python -m vidur.main --help` of vidur 0.0.26 the adapter uses (checked against that release)
RELEASE_FLAGS = {
    "--seed", "--replica_config_device", "--replica_config_network_device", "--replica_config_model_name",
    "--cluster_config_num_replicas", "--replica_config_tensor_parallel_size", "--replica_config_num_pipeline_stages",
    "--request_generator_config_type", "--synthetic_request_generator_config_num_requests",
    "--length_generator_config_type", "--fixed_request_length_generator_config_prefill_tokens",
    "--fixed_request_length_generator_config_decode_tokens", "--fixed_request_length_generator_config_max_tokens",
    "--trace_request_length_generator_config_trace_file", "--trace_request_length_generator_config_max_tokens",
    "--interval_generator_config_type", "--poisson_request_interval_generator_config_qps",
    "--replica_scheduler_config_type", "--sarathi_scheduler_config_batch_size_cap", "--sarathi_scheduler_config_chunk_size",
    "--vllm_scheduler_config_batch_size_cap", "--vllm_scheduler_config_max_tokens_in_batch",
    "--orca_scheduler_config_batch_size_cap", "--metrics_config_output_dir", "--no-metrics_config_store_plots",
    *(f"--random_forrest_execution_time_predictor_config_{k}" for k in (
        "model_profiling_dataset", "network_profiling_dataset", "cache_dir", "num_estimators", "max_depth",
        "k_fold_cv_splits", "prediction_max_prefill_chunk_size", "prediction_max_batch_size",
        "prediction_max_tokens_per_request"))}


def synthetic_profiles(root: Path) -> Path:
    """The shared Llama-2-7B/A100 MLP and a100_dgx network profiles plus a SYNTHETIC attention profile (a roofline
    formula, not a measurement: none exists here), in VIDUR's data/profiling layout."""
    (root / MODEL).mkdir(parents=True)
    shutil.copy(VIDUR / MODEL / "mlp.csv", root / MODEL / "mlp.csv")
    shutil.copytree(VIDUR / "network" / "a100_dgx", root / "network" / "a100_dgx")
    head = ["n_embd", "n_q_head", "n_kv_head", "block_size", "num_tensor_parallel_workers", "batch_size",
            "prefill_chunk_size", "kv_cache_size", "time_stats.attn_prefill.median", "time_stats.attn_decode.median",
            "time_stats.attn_kv_cache_save.median"]
    rows = []
    for tp in (1, 2, 4, 8):
        h = 32 // tp
        for kv in (0, 256, 1024, 2048, 4096):
            for chunk in (32, 128, 256, 512, 1024, 2048):
                rows.append([4096, 32, 32, 16, tp, 1, chunk, kv, 0.01 + 4 * chunk * (kv + chunk) * 128 * h / 200e9, 0,
                             0.002 + chunk * 1e-6])
            for b in (1, 2, 4, 8, 16, 32, 64, 128):
                rows.append([4096, 32, 32, 16, tp, b, 0, kv, 0, 0.01 + 4 * b * kv * 128 * h / 1.5e9, 0.002 + b * 1e-6])
    with open(root / MODEL / "attention.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerows(rows)
    return root


def _flags(args):
    return dict(zip(args[0::2], args[1::2]))


def test_scenario_arguments():
    sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", qps=6.45, num_requests=512, prefill_tokens=2048,
                         decode_tokens=256, scheduler="sarathi", batch_size_cap=512, chunk_size=512, tensor_parallel=2,
                         rf_estimators=16, rf_k_fold=2)
    args = sc.args("/tmp/out", "/tmp/cache", "local/m-a100", "local/a100-dgx")
    flags = [a for a in args if a.startswith("--")]
    assert set(flags) <= RELEASE_FLAGS, set(flags) - RELEASE_FLAGS        # only flags vidur 0.0.26 has
    assert not any(f.endswith("_input_file") for f in flags)               # gone in 0.0.26
    f = _flags(args[:-1])
    assert args[-1] == "--no-metrics_config_store_plots"                   # plots need kaleido + Chrome
    assert f["--replica_config_model_name"] == "meta-llama/Llama-2-7b-hf"
    assert f["--replica_config_device"] == "a100" and f["--replica_config_tensor_parallel_size"] == "2"
    assert f["--replica_config_num_pipeline_stages"] == "1"                # vidur's default is 2
    assert f["--interval_generator_config_type"] == "poisson"
    assert f["--poisson_request_interval_generator_config_qps"] == "6.45"
    assert f["--fixed_request_length_generator_config_prefill_tokens"] == "2048"
    assert f["--replica_scheduler_config_type"] == "sarathi" and f["--sarathi_scheduler_config_chunk_size"] == "512"
    p = "--random_forrest_execution_time_predictor_config_"
    assert f[p + "model_profiling_dataset"] == "local/m-a100" and f[p + "cache_dir"] == "/tmp/cache"
    assert f[p + "num_estimators"] == "16" and f[p + "k_fold_cv_splits"] == "2" and p + "max_depth" not in f
    assert f["--metrics_config_output_dir"] == "/tmp/out"
    static = _flags(ServingScenario(qps=None, scheduler="vllm").args("o", "c", "d", "n")[:-1])
    assert static["--interval_generator_config_type"] == "static" and "--vllm_scheduler_config_max_tokens_in_batch" in static
    assert "--poisson_request_interval_generator_config_qps" not in static


@pytest.mark.skipif(not FIX.is_dir(), reason="recorded VIDUR fixture missing")
def test_recorded_run_used_only_release_flags():
    rec = json.loads((FIX / "vidur_args.json").read_text())
    assert {a for a in rec["args"] if a.startswith("--")} <= RELEASE_FLAGS


def test_scenario_for_hardware():
    sc = ServingScenario.for_hardware("h100-sxm", qps=2.0)
    assert (sc.device, sc.network_device, sc.qps) == ("h100", "h100_dgx", 2.0)
    assert ServingScenario.for_hardware("nvidia-a100-80gb").device == "a100"
    with pytest.raises(ToolInputError, match="80GB"):
        ServingScenario.for_hardware("a100-pcie-40gb")
    with pytest.raises(ToolInputError, match="profiles for"):
        ServingScenario.for_hardware("tesla-t4")


def test_scenario_validation():
    with pytest.raises(ToolInputError):
        ServingScenario(scheduler="fifo")
    with pytest.raises(ToolInputError):
        ServingScenario(prefill_tokens=4000, decode_tokens=200, max_tokens=4096)
    with pytest.raises(ToolInputError):
        ServingScenario(qps=0)


@pytest.mark.skipif(not VIDUR.is_dir(), reason=f"shared data not found at {VIDUR}")
def test_preflight_on_the_shared_profiles(tmp_path):
    """The shared copy has VIDUR's mlp.csv but not attention.csv: the precise missing file is reported."""
    a = VidurAdapter()
    ok = Diagnosis("vidur", DiagnosisStatus.OK, "pretend installed", details={"python": "python"})
    sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a100", network_device="a100_dgx",
                         profiling_root=str(VIDUR))
    d = a.preflight(sc, tmp_path, ok)
    assert d.status is DiagnosisStatus.MISSING_DATA
    assert set(d.details["missing"]) == {"attention"} and "attention.csv" in d.reason
    a40 = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a40", network_device="a40_pairwise_nvlink",
                          tensor_parallel=2, profiling_root=str(VIDUR))
    assert set(a.preflight(a40, tmp_path, ok).details["missing"]) == {"attention", "all_reduce"}


def _standin_vidur(tmp_path: Path) -> Path:
    """An interpreter stand-in: answers the doctor's probe; run as `-m vidur.main ARGS`, it checks the cache layout
    vidur 0.0.26 resolves offline and writes the recorded real request_metrics.csv where VIDUR writes it."""
    py = tmp_path / "python-vidur"
    py.write_text(f"""#!{sys.executable}
import json, os, shutil, sys
if sys.argv[1] == "-c":
    print("found"); print("0.0.26"); print("3.11.7"); sys.exit(0)
assert sys.argv[1:3] == ["-m", "vidur.main"] and os.environ.get("HF_HUB_OFFLINE") == "1"
a = sys.argv[3:]
f = dict(zip(a[0::2], a[1::2]))
p = "--random_forrest_execution_time_predictor_config_"
cache = f[p + "cache_dir"]
for kind, repo, files in (("compute", f[p + "model_profiling_dataset"], ("mlp.csv.xz", "attention.csv.xz")),
                          ("network", f[p + "network_profiling_dataset"], ("all_reduce.csv.xz", "send_recv.csv.xz"))):
    base = os.path.join(cache, "profiling_data", kind, "datasets--" + repo.replace("/", "--"))
    rev = open(os.path.join(base, "refs", "main")).read()
    snap = os.path.join(base, "snapshots", rev)
    cfg = json.load(open(os.path.join(snap, "config.json")))
    assert cfg == ({{"model": f["--replica_config_model_name"], "device_sku": f["--replica_config_device"]}}
                   if kind == "compute" else {{"sku": f["--replica_config_network_device"]}}), cfg
    for x in files:
        assert os.path.getsize(os.path.join(snap, x)) > 0, x
out = os.path.join(f["--metrics_config_output_dir"], "2026-12-02_00-00-00-000000")
os.makedirs(out)
shutil.copy({str(FIX / "request_metrics.csv")!r}, os.path.join(out, "request_metrics.csv"))
""")
    py.chmod(py.stat().st_mode | stat.S_IXUSR)
    return py


@pytest.mark.skipif(not VIDUR.is_dir() or not FIX.is_dir(), reason="shared data or recorded fixture missing")
def test_doctor_names_missing_profiles_and_the_cache_layout(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_VIDUR_PYTHON", raising=False)
    monkeypatch.setenv("GRAPHS_DATA", str(DATA))
    d = VidurAdapter().doctor()
    assert d.status is DiagnosisStatus.NOT_INSTALLED and "graphs tools install vidur" in d.fix
    monkeypatch.setenv("GRAPHS_VIDUR_PYTHON", str(_standin_vidur(tmp_path)))
    d = VidurAdapter().doctor()              # installed; the shared profiles lack every attention.csv
    assert d.status is DiagnosisStatus.MISSING_DATA
    assert f"{MODEL}/attention.csv" in d.details["missing"] and "attention.csv" in d.reason
    assert not any(m.endswith("mlp.csv") for m in d.details["missing"])
    monkeypatch.setenv("GRAPHS_VIDUR_PROFILES", str(synthetic_profiles(tmp_path / "profiles")))
    d = VidurAdapter().doctor()
    assert d.ok and MODEL in d.reason
    sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a100", network_device="a100_dgx", qps=None,
                         num_requests=16, prefill_tokens=512, decode_tokens=128, scheduler="vllm", batch_size_cap=4,
                         report="tpot")
    run = VidurAdapter().run(sc, tmp_path / "run")
    assert run.ok, run.diagnosis
    mlp = next((tmp_path / "run" / "vidur_cache").rglob("mlp.csv.xz"))
    assert lzma.open(mlp).read() == (VIDUR / MODEL / "mlp.csv").read_bytes()
    assert run.result.value == pytest.approx(run.result.metrics["tpot_mean_s"]) and run.result.unit == "s"


def test_write_inputs_and_run_not_installed(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_VIDUR_PYTHON", raising=False)
    a = VidurAdapter()
    run = a.run(ServingScenario(), tmp_path)
    assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED
    rec = json.loads((tmp_path / "vidur_args.json").read_text())
    assert rec["module"] == "vidur.main" and rec["scenario"]["model"] == "meta-llama/Llama-2-7b-hf"
    assert (tmp_path / "vidur_command.txt").read_text().startswith("HF_HUB_OFFLINE=1 python -m vidur.main --seed 42")


@pytest.mark.skipif(not FIX.is_dir(), reason="recorded VIDUR fixture missing")
def test_recorded_vidur_output_parses():
    """A real vidur 0.0.26 request_metrics.csv (synthetic attention profile: the numbers test parsing only)."""
    r = VidurAdapter().parse(FIX / "request_metrics.csv")
    with open(FIX / "request_metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    e2e = [float(x["request_e2e_time"]) for x in rows]
    assert r.metrics["requests"] == len(rows) == 16 and r.value == pytest.approx(sum(e2e) / len(e2e))
    tpot = [float(x["decode_time_execution_plus_preemption_normalized"]) for x in rows]
    assert r.metrics["tpot_mean_s"] == pytest.approx(sum(tpot) / len(tpot))


@pytest.mark.slow
@pytest.mark.skipif(not VIDUR.is_dir(), reason=f"shared data not found at {VIDUR}")
def test_vidur_runs_for_real(tmp_path, monkeypatch):
    """Installs vidur 0.0.26 from PyPI into its own environment and runs it through the adapter (synthetic
    attention profile: this checks the flags and the profile cache, not VIDUR's accuracy)."""
    from graphs_tools.envs import install
    a = VidurAdapter()
    rep = install(a.name, a.package)
    assert rep.ok, rep.reason
    monkeypatch.setenv("GRAPHS_VIDUR_PROFILES", str(synthetic_profiles(tmp_path / "profiles")))
    sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a100", network_device="a100_dgx", qps=None,
                         num_requests=16, prefill_tokens=512, decode_tokens=128, scheduler="vllm", batch_size_cap=4,
                         rf_estimators=16, rf_max_depth=8, rf_k_fold=2, report="tpot")
    run = a.run(sc, tmp_path / "run", timeout_s=900)
    assert run.ok, run.diagnosis
    assert 1e-3 < run.result.value < 0.1


def test_request_metrics_parser(tmp_path):
    run = tmp_path / "simulator_output" / "2024-01-01_00-00-00-000000"
    run.mkdir(parents=True)
    rows = [(0, 1.0, 0.10, 0.020, 512, 128), (1, 2.0, 0.30, 0.025, 512, 128), (2, 4.0, 0.20, 0.030, 512, 128),
            (3, 3.0, 0.40, 0.015, 512, 128)]
    (run / "request_metrics.csv").write_text(
        "Request Id,request_e2e_time,prefill_e2e_time,decode_time_execution_plus_preemption_normalized,"
        "request_num_prefill_tokens,request_num_decode_tokens\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    r = VidurAdapter().parse(tmp_path / "simulator_output")
    assert r.value == pytest.approx(2.5) and r.unit == "s" and r.provenance.estimator == "vidur"
    st = r.metrics["latency_stats_s"]
    assert st["request_e2e_time"]["p50"] == pytest.approx(2.5) and st["request_e2e_time"]["max"] == 4.0
    assert st["request_e2e_time"]["p90"] == pytest.approx(3.7)          # numpy's linear interpolation
    assert r.metrics["ttft_mean_s"] == pytest.approx(0.25) and r.metrics["tpot_mean_s"] == pytest.approx(0.0225)
    assert r.metrics["requests"] == 4
    (run / "request_metrics.csv").write_text("Request Id,foo\n0,1\n")
    with pytest.raises(ToolOutputError, match="request_e2e_time"):
        read_request_metrics(run / "request_metrics.csv")
    with pytest.raises(ToolOutputError, match="no request_metrics.csv"):
        VidurAdapter().parse(tmp_path / "nothing-here")
