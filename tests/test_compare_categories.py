"""`graphs compare --suite llm|accel|gpu|collectives`: category suites, graphs and the peers on the same rows,
the tool-run cache, no ranking without ground truth, and the per-row table beside the summary.

Tool runs replay the recorded real outputs in tests/fixtures/tool_runs through stand-in interpreters (the
tools themselves run in the ``-m slow`` tests and in `graphs compare` once installed).
"""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from graphs.cli import main
from graphs_compare import accel_suite, build_suite, collectives_suite, compare, llm_suite, render
from graphs_compare.cli import _suites
from graphs_compare.progress import NullProgress, for_terminal
from graphs.plugins import get_plugins
from peer_tools import FIXTURES, standin_python

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
pytestmark = pytest.mark.skipif(not (DATA / "mlenergy").is_dir(), reason=f"shared data not found at {DATA}")
RECORDED_LLM = ("h100/qwen3-8b-tp1-seqs8", "h100/qwen3-14b-tp1-seqs64", "h100/llama-3.1-70b-instruct-tp4-seqs128")


@pytest.fixture(scope="module")
def gp():
    return get_plugins(refresh=True)


def test_llm_suite_rows_are_mlenergy_measurements(gp):
    s = llm_suite(DATA, gp)
    assert len(s.rows) == 41 and {r.hardware for r in s.rows} == {"h100"} and all(r.independent for r in s.rows)
    assert {r.hf_id for r in s.rows} == {"Qwen/Qwen3-8B", "Qwen/Qwen3-14B", "meta-llama/Llama-3.1-70B-Instruct",
                                         "meta-llama/Llama-3.3-70B-Instruct"}
    doc = json.loads((DATA / "mlenergy" / "models" / "Qwen__Qwen3-8B__lm-arena-chat.json").read_text())
    c = next(c for c in doc["configurations"] if c["gpu_model"] == "H100" and c["max_num_seqs"] == 64)
    r = s.row("h100/qwen3-8b-tp1-seqs64")
    assert r.measured_s == pytest.approx(c["median_itl_ms"] * 1e-3) and r.batch == round(c["avg_batch_size"])
    assert r.seq == 512 + round(c["avg_output_len"] / 2) and r.extra["phase"] == "decode" and r.extra["tp"] == 1
    assert s.row("h100/llama-3.1-70b-instruct-tp4-seqs128").extra["tp"] == 4
    assert any("B200" in x["why"] for x in s.skipped)            # no graphs device: left out, said so


def test_llm_suite_graphs_and_peers_on_the_same_rows(gp, tmp_path, monkeypatch):
    s = llm_suite(DATA, gp)
    s.rows = [s.row(k) for k in RECORDED_LLM]
    monkeypatch.setenv("GRAPHS_GENZ_PYTHON", str(standin_python(tmp_path, FIXTURES / "genz" / "out.json", "0.0.16",
                                                                "py-genz")))
    monkeypatch.setenv("GRAPHS_LLM_ANALYSIS_PYTHON", str(standin_python(tmp_path, FIXTURES / "llm-analysis" / "out.json",
                                                                        "0.2.2", "py-la")))
    c = compare(s, gp, only=["graphs", "graphs-roofline", "genz", "llm-analysis", "vidur"], ttfp=False,
                tool_inputs=tmp_path / "runs")
    genz = json.loads((FIXTURES / "genz" / "out.json").read_text())["results"]
    la = json.loads((FIXTURES / "llm-analysis" / "out.json").read_text())["results"]
    runs = {r.name: r for r in c.runs}
    assert [runs["genz"].outcomes[k].predicted_s for k in RECORDED_LLM] == pytest.approx(
        [x["latency_ms"] * 1e-3 for x in genz])
    assert [runs["llm-analysis"].outcomes[k].predicted_s for k in RECORDED_LLM] == pytest.approx(
        [x["latency_s"] for x in la])
    for name in ("graphs", "genz", "llm-analysis"):
        card = c.card(name)
        assert card.metrics["with_truth"] == 3 and c.ranked(name), (name, card.metrics, card.failures, card.failure_reasons)
    assert not c.ranked("vidur") and set(c.card("vidur").failures) == {"F1"}      # not installed: unranked
    assert "vidur" in " ".join(c.notes)
    md = render(c, "markdown")
    assert "genz ms (APE)" in md and "unranked" in md
    # the same inputs again: replayed from the tool-run cache, the tools are not started
    monkeypatch.setenv("GRAPHS_GENZ_PYTHON", str(tmp_path / "no-such-python"))
    monkeypatch.setenv("GRAPHS_LLM_ANALYSIS_PYTHON", str(tmp_path / "no-such-python"))
    c2 = compare(s, gp, only=["genz"], ttfp=False)
    assert c2.card("genz").failures == {"F1": 3}           # doctor fails before the cache is consulted
    monkeypatch.setenv("GRAPHS_GENZ_PYTHON", str(standin_python(tmp_path, FIXTURES / "llm-analysis" / "out.json",
                                                                "0.0.16", "py-wrong")))
    c3 = compare(s, gp, only=["genz"], ttfp=False)            # same version, same inputs: cached, not re-run
    g3 = next(r for r in c3.runs if r.name == "genz")
    assert all(o.cached for o in g3.outcomes.values())
    assert [g3.outcomes[k].predicted_s for k in RECORDED_LLM] == pytest.approx([x["latency_ms"] * 1e-3 for x in genz])
    c4 = compare(s, gp, only=["genz"], ttfp=False, use_cache=False)   # --no-cache: runs (here: the wrong replay)
    g4 = next(r for r in c4.runs if r.name == "genz")
    assert not any(o.cached for o in g4.outcomes.values())


def test_accel_suite_side_by_side_without_ground_truth(gp, tmp_path, monkeypatch):
    s = accel_suite(gp)
    assert len(s.rows) == 10 and all(r.measured_s is None for r in s.rows)
    s.rows = [s.row("tpu-v4/resnet50_layer2_conv3x3")]
    from test_tool_scalesim import _standin
    monkeypatch.setenv("GRAPHS_SCALESIM_PYTHON", str(_standin(tmp_path)))
    c = compare(s, gp, only=["graphs", "scalesim", "timeloop"], ttfp=False)
    assert c.sensitivity["ranks"]["guide"] == {} and not any(c.ranked(x.estimator) for x in c.cards)
    g = next(r for r in c.runs if r.name == "graphs").outcomes[s.rows[0].key]
    sc = next(r for r in c.runs if r.name == "scalesim").outcomes[s.rows[0].key]
    assert g.metrics["cycles"] > 0 and 0 < g.metrics["utilization"] <= 1
    assert sc.metrics["cycles"] == 10493 and sc.metrics["mapping_efficiency_pct"] == 100.0
    tl = next(r for r in c.runs if r.name == "timeloop").outcomes[s.rows[0].key]
    assert tl.failure == "F1" and "Timeloop is not installed" in tl.reason
    md = render(c, "markdown")
    assert "no ground truth" in md and "graphs cycles" in md and "scalesim util" in md and "No ranking" in md


def test_collectives_suite(gp):
    s = collectives_suite(DATA, gp)
    assert len(s.rows) == 49 and len({r.key for r in s.rows}) == 49
    c = compare(s, gp, only=["graphs", "astra-sim"], ttfp=False)
    from graphs_distributed.collectives import CollectiveModel
    from graphs_distributed.system import find_system
    cm = CollectiveModel.for_system(find_system("hgx-a100-8gpu"))
    g = next(r for r in c.runs if r.name == "graphs")
    r0 = s.rows[0]
    assert g.outcomes[r0.key].predicted_s == cm.time("all_reduce", r0.extra["bytes"], r0.extra["ranks"],
                                                     r0.extra["per_node"])
    a = c.card("astra-sim")
    assert set(a.failures) == {"F1", "F4"} and a.failures["F1"] == sum(
        r.extra["per_node"] == r.extra["ranks"] for r in s.rows)
    assert c.ranked("graphs") and not c.ranked("astra-sim")


def test_gpu_is_the_measured_suite_under_its_category_name(gp):
    g = build_suite("gpu", gp, data=DATA, gpus=["Tesla_P4"])
    m = build_suite("measured", gp, data=DATA, gpus=["Tesla_P4"])
    assert g.name == "gpu" and [r.key for r in g.rows] == [r.key for r in m.rows]
    assert _suites("all") == ["llm", "accel", "gpu", "collectives"] and _suites("llm,core") == ["llm", "core"]


def test_cli_writes_the_per_row_table_beside_the_summary(tmp_path, capsys):
    out = tmp_path / "coll.md"
    rc = main(["compare", "--suite", "collectives", "--data", str(DATA), "--only", "graphs", "--no-ttfp",
               "-f", "markdown", "-o", str(out)])
    assert rc == 0 and out.is_file()
    rows = json.loads((tmp_path / "coll.rows.json").read_text())
    assert rows["suite"] == "collectives" and len(rows["rows"]) == 49
    first = rows["rows"][0]
    assert first["measured_s"] > 0 and first["graphs:predicted_s"] > 0 and first["graphs:ape_pct"] >= 0
    csv_lines = (tmp_path / "coll.rows.csv").read_text().splitlines()
    assert csv_lines[0].startswith("row,model,hardware,batch,seq,precision,measured_s,truth,graphs:predicted_s")
    assert len(csv_lines) == 50
    assert main(["compare", "--suite", "nope"]) == 2 and "error:" in capsys.readouterr().err


def test_progress_is_silent_off_a_terminal():
    p = for_terminal(True)
    assert isinstance(p, NullProgress)
    with p:
        t = p.task("x", 3)
        p.advance(t)
        p.finish(t)
