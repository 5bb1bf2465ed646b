"""VIDUR adapter: scenario → CLI arguments, profile pre-flight on the shared profiles, request-metrics parser.

No VIDUR output ships in ../shared/data, so the parser is checked on a small request_metrics.csv
written here with VIDUR's column names (vidur/metrics/constants.py), not on a real run.
"""

import json
from pathlib import Path

import pytest

from graphs_tools import Diagnosis, DiagnosisStatus, ToolInputError, ToolOutputError
from graphs_vidur import ServingScenario, VidurAdapter, read_request_metrics

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
VIDUR = DATA / "vidur"


def _flags(args):
    return dict(zip(args[0::2], args[1::2]))


def test_scenario_arguments():
    sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", qps=6.45, num_requests=512, prefill_tokens=2048,
                         decode_tokens=256, scheduler="sarathi", batch_size_cap=512, chunk_size=512, tensor_parallel=2)
    args = sc.args("/tmp/out")
    assert all(a.startswith("--") for a in args[0::2]) and len(args) % 2 == 0
    f = _flags(args)
    assert f["--replica_config_model_name"] == "meta-llama/Llama-2-7b-hf"
    assert f["--replica_config_device"] == "a100" and f["--replica_config_tensor_parallel_size"] == "2"
    assert f["--interval_generator_config_type"] == "poisson"
    assert f["--poisson_request_interval_generator_config_qps"] == "6.45"
    assert f["--length_generator_config_type"] == "fixed"
    assert f["--fixed_request_length_generator_config_prefill_tokens"] == "2048"
    assert f["--replica_scheduler_config_type"] == "sarathi"
    assert f["--sarathi_scheduler_config_chunk_size"] == "512"
    assert f["--metrics_config_output_dir"] == "/tmp/out"
    static = _flags(ServingScenario(qps=None, scheduler="vllm").args("o"))
    assert static["--interval_generator_config_type"] == "static" and "--vllm_scheduler_config_max_tokens_in_batch" in static
    assert "--poisson_request_interval_generator_config_qps" not in static


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
    sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a100", profiling_root=str(VIDUR))
    d = a.preflight(sc, tmp_path, ok)
    assert d.status is DiagnosisStatus.MISSING_DATA
    assert "attention" in d.details["missing"] and "compute" not in d.details["missing"]
    assert "attention.csv" in d.reason
    tp = ServingScenario(model="meta-llama/Llama-2-7b-hf", tensor_parallel=2, network_device="a100_dgx",
                         profiling_root=str(VIDUR))
    assert "all_reduce" not in a.preflight(tp, tmp_path, ok).details["missing"]     # a100_dgx has all_reduce.csv
    a40 = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a40", network_device="a40_pairwise_nvlink",
                          tensor_parallel=2, profiling_root=str(VIDUR))
    assert set(a.preflight(a40, tmp_path, ok).details["missing"]) == {"attention", "all_reduce"}


def test_write_inputs_and_run_not_installed(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_VIDUR_PYTHON", raising=False)
    a = VidurAdapter()
    run = a.run(ServingScenario(), tmp_path)
    import importlib.util
    if importlib.util.find_spec("vidur") is None:
        assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED
    rec = json.loads((tmp_path / "vidur_args.json").read_text())
    assert rec["module"] == "vidur.main" and rec["scenario"]["model"] == "meta-llama/Llama-2-7b-hf"
    assert (tmp_path / "vidur_command.txt").read_text().startswith("python -m vidur.main --seed 42")


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
