"""GenZ adapter (genz-llm 0.0.16): the job graphs writes, the recorded real output, the plumbing, and (slow) GenZ itself.

The default tests replay tests/fixtures/tool_runs/genz (what GenZ really returned for three rows of the
``llm`` suite, see its PROVENANCE.md); ``-m slow`` installs genz-llm from PyPI into its own environment
and runs it.
"""

import json
from pathlib import Path

import pytest

from graphs.plugins import get_plugins
from graphs_genz import GenZAdapter
from graphs_llm.config import LLMConfig
from graphs_llm.peers import DeviceNumbers, LLMStepJob
from graphs_tools import DiagnosisStatus, ToolOutputError
from peer_tools import FIXTURES, standin_python

FIX = FIXTURES / "genz"
DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()


def _jobs(gp):
    from graphs_compare.categories import llm_suite
    from graphs_llm.peers import row_job
    s = llm_suite(DATA, gp)
    keys = [j["model"] for j in json.loads((FIX / "jobs.json").read_text())["jobs"]]
    rows = [s.row(k) for k in ("h100/qwen3-8b-tp1-seqs8", "h100/qwen3-14b-tp1-seqs64",
                               "h100/llama-3.1-70b-instruct-tp4-seqs128")]
    assert [r.model for r in rows] == keys
    return rows, [row_job(r, gp) for r in rows]


def test_job_document_is_the_recorded_input():
    """What graphs writes for the three rows is byte-for-byte what GenZ was run on (same numbers, same units)."""
    gp = get_plugins()
    _, jobs = _jobs(gp)
    rec = json.loads((FIX / "jobs.json").read_text())["jobs"]
    assert [GenZAdapter().job_document(j) for j in jobs] == rec
    j = rec[2]
    assert j["tp"] == 4 and j["phase"] == "decode" and j["precision"] == "bf16"
    assert j["device"]["peak_flops"] == pytest.approx(989.4e12) and j["device"]["hbm_bandwidth"] == pytest.approx(3.35e12)
    assert j["config"]["layers"] == 80 and j["config"]["kv_heads"] == 8 and j["config"]["gated"] is True


def test_recorded_output_parses():
    res = GenZAdapter().parse(FIX / "out.json")
    out = json.loads((FIX / "out.json").read_text())
    assert out["version"] == "0.0.16" and len(res) == 3
    for r, rec in zip(res, out["results"]):
        assert r.unit == "ms" and r.value == rec["latency_ms"] and r.provenance.estimator == "genz"
        assert r.metrics["phase"] == "decode" and "MHA" in r.metrics["breakdown_ms"]
    assert res[2].metrics["breakdown_ms"]["AR_time"] > 0          # TP 4: GenZ's all-reduce time is in the step
    with pytest.raises(ToolOutputError, match="not JSON"):
        GenZAdapter().parse(FIX / "PROVENANCE.md")


def test_not_installed_then_plumbing_with_the_recorded_output(tmp_path, monkeypatch):
    gp = get_plugins()
    rows, jobs = _jobs(gp)
    a = GenZAdapter()
    d = a.doctor()
    assert d.status is DiagnosisStatus.NOT_INSTALLED and "graphs tools install genz-llm" in d.fix
    monkeypatch.setenv("GRAPHS_GENZ_PYTHON", str(standin_python(tmp_path, FIX / "out.json", "0.0.16")))
    assert a.doctor().ok and a.doctor().details["version"] == "0.0.16"
    runs = a.run_many(jobs, [tmp_path / f"r{i}" for i in range(3)])
    assert all(r.ok for r in runs) and len({r.commands[0].argv for r in runs}) == 1     # one driver process
    rec = json.loads((FIX / "out.json").read_text())["results"]
    assert [r.result.value for r in runs] == [x["latency_ms"] for x in rec]
    assert json.loads((tmp_path / "r1" / "jobs.json").read_text())["jobs"][0]["model"] == rows[1].model
    one = a.run(jobs[0], tmp_path / "single")          # a single run goes through the same driver (here: refused)
    assert not one.ok and one.diagnosis.status is DiagnosisStatus.RUNTIME_FAILURE


def test_scope_on_the_suites():
    gp = get_plugins()
    rows, _ = _jobs(gp)
    a = GenZAdapter()
    assert a.compare_scope(rows[0], gp) is None
    from graphs_compare.model import Row
    cnn = Row(key="k", model="resnet50", hardware="h100", device_name="h100", family="cnn", precision="fp16")
    assert "decoder-only" in a.compare_scope(cnn, gp)
    fp32 = Row(key="k", model="m", hardware="h100", device_name="h100", family="decoder", precision="fp32",
               hf_config=rows[0].hf_config)
    assert "16-bit" in a.compare_scope(fp32, gp)
    ok, how = a.hardware_check(gp)
    assert ok and "TFLOP/s" in how


@pytest.mark.slow
def test_genz_runs_for_real(tmp_path):
    """Installs genz-llm from PyPI into its own environment and reproduces the recorded numbers."""
    from graphs_tools.envs import install
    gp = get_plugins()
    _, jobs = _jobs(gp)
    a = GenZAdapter()
    rep = install(a.name, a.package)
    assert rep.ok, rep.reason
    runs = a.run_many(jobs, [tmp_path / f"r{i}" for i in range(3)])
    rec = json.loads((FIX / "out.json").read_text())["results"]
    assert [r.result.value for r in runs] == pytest.approx([x["latency_ms"] for x in rec], rel=1e-9)
    # Llama-2-7B decode, batch 4, 640 cached tokens on GenZ's A100-80GB numbers: 6.65 ms (also its built-in system)
    cfg = LLMConfig(name="llama2-7b", vocab=32000, dim=4096, layers=32, heads=32, kv_heads=32, head_dim=128, ffn=11008)
    dev = DeviceNumbers("a100", 312e12, 2039 * 2**30, 80 * 2**30, 150 * 2**30, 1e-6)
    r = a.run(LLMStepJob("llama2-7b", cfg, dev, "decode", 4, 640), tmp_path / "l2")
    assert r.ok and r.result.value == pytest.approx(6.6504, rel=1e-3)
