"""Record real outputs of the registry-installed tools as test fixtures (tests/fixtures/tool_runs/<tool>/).

Needs the tools installed (``graphs tools install genz-llm llm-analysis scalesim vidur nn-meter``, or
``GRAPHS_TOOLS_DIR`` pointing at a tools home that has them). Each fixture folder gets the inputs
graphs wrote, what the tool (through its driver) really wrote, and ``PROVENANCE.md`` with the tool
version, the command and the date. The default test suite parses these files; ``-m slow`` tests run
the tools themselves.

    .venv/bin/python scripts/record_tool_fixtures.py [genz llm-analysis scalesim vidur nn-meter]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "tool_runs"
DATA = (ROOT / ".." / "shared" / "data").resolve()


def _provenance(folder: Path, tool: str, version: str, what: str, extra: str = "") -> None:
    (folder / "PROVENANCE.md").write_text(
        f"# {tool} {version}: real output\n\nRecorded {time.strftime('%Y-%m-%d')} by `scripts/record_tool_fixtures.py` "
        f"on a 2-core x86_64 machine (Python {sys.version.split()[0]}), the tool in its own environment "
        f"(`graphs tools install`).\n\n{what}\n{extra}", encoding="utf-8")


def _llm_jobs():
    from graphs.plugins import get_plugins
    from graphs_compare.categories import llm_suite
    from graphs_llm.peers import row_job
    gp = get_plugins()
    s = llm_suite(DATA, gp)
    keep = ["h100/qwen3-8b-tp1-seqs8", "h100/qwen3-14b-tp1-seqs64", "h100/llama-3.1-70b-instruct-tp4-seqs128"]
    rows = [s.row(k) for k in keep]
    return rows, [row_job(r, gp) for r in rows]


def record_llm(tool: str) -> None:
    from graphs_tools import get_tool
    adapter = get_tool(tool)
    rows, jobs = _llm_jobs()
    dst = OUT / tool
    shutil.rmtree(dst, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp) / f"row{i}" for i in range(len(jobs))]
        runs = adapter.run_many(jobs, dirs)
        assert all(r.ok for r in runs), [r.diagnosis for r in runs]
        batch = next(Path(tmp).glob("_batch-*"))
        dst.mkdir(parents=True)
        shutil.copy(batch / "jobs.json", dst / "jobs.json")
        shutil.copy(batch / "out.json", dst / "out.json")
        version = json.loads((batch / "out.json").read_text())["version"]
    table = "\n".join(f"- `{r.key}`: {run.result.value:.4g} {run.result.unit} (measured ITL {r.measured_s * 1e3:.2f} ms)"
                      for r, run in zip(rows, runs))
    _provenance(dst, tool, version, "`jobs.json` is what graphs wrote (three decode steps of the `llm` suite: "
                "ML.ENERGY rows on H100); `out.json` is what the driver wrote after running the tool:", table + "\n")


def record_scalesim() -> None:
    from graphs.plugins import get_plugins
    from graphs_compare.categories import accel_suite
    from graphs_tools import get_tool
    gp = get_plugins()
    s = accel_suite(gp)
    row = s.row("tpu-v4/resnet50_layer2_conv3x3")
    a = get_tool("scalesim")
    dst = OUT / "scalesim"
    shutil.rmtree(dst, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = a.run(a.compare_job(row, s, gp), Path(tmp) / "run")
        assert run.ok, run.diagnosis
        src = Path(tmp) / "run"
        dst.mkdir(parents=True)
        for f in ("scale.cfg", "topology.csv", "layout.csv"):
            shutil.copy(src / f, dst / f)
        rep = next((src / "scalesim_out").glob("*/COMPUTE_REPORT.csv")).parent
        shutil.copytree(rep, dst / "scalesim_out" / rep.name)
        shutil.copy(src / "scalesim_out" / "driver.json", dst / "scalesim_out" / "driver.json")
        version = json.loads((src / "scalesim_out" / "driver.json").read_text())["version"]
    _provenance(dst, "scalesim", version, "ResNet-50 layer2 3x3 conv (28x28, 128->128, pad 1) on one 128x128 weight-"
                "stationary array (TPU v4 MXU geometry): the three input files graphs wrote and SCALE-Sim's reports.",
                f"Total cycles {run.result.value:.0f}, utilization {run.result.metrics['utilization']:.4f}; "
                f"run {run.wall_s:.1f} s.\n")


def record_vidur() -> None:
    """VIDUR 0.0.26 through the adapter on the shared Llama-2-7B/A100 MLP and a100_dgx network profiles plus a
    SYNTHETIC attention profile (no measured one exists here): the numbers are not a prediction of anything."""
    from graphs_tools import get_tool
    from graphs_vidur import ServingScenario
    sys.path.insert(0, str(ROOT / "tests"))
    from test_tool_vidur import synthetic_profiles
    dst = OUT / "vidur"
    shutil.rmtree(dst, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        prof = synthetic_profiles(Path(tmp) / "profiles")
        sc = ServingScenario(model="meta-llama/Llama-2-7b-hf", device="a100", network_device="a100_dgx", qps=None,
                             num_requests=16, prefill_tokens=512, decode_tokens=128, scheduler="vllm", batch_size_cap=4,
                             profiling_root=str(prof), rf_estimators=16, rf_max_depth=8, rf_k_fold=2)
        run = get_tool("vidur").run(sc, Path(tmp) / "run")
        assert run.ok, run.diagnosis
        dst.mkdir(parents=True)
        rm = next((Path(tmp) / "run" / "simulator_output").rglob("request_metrics.csv"))
        shutil.copy(rm, dst / "request_metrics.csv")
        args = json.loads((Path(tmp) / "run" / "vidur_args.json").read_text())
        args["args"] = [a.replace(tmp, "<tmp>") for a in args["args"]]
        args["profiles"] = "<tmp>/profiles"
        args["scenario"]["profiling_root"] = "<tmp>/profiles"
        (dst / "vidur_args.json").write_text(json.dumps(args, indent=2))
    _provenance(dst, "vidur", "0.0.26", "Llama-2-7B on A100 (vLLM scheduler, cap 4, 16 requests of 512+128 tokens): "
                "the arguments graphs wrote and VIDUR's `request_metrics.csv`. The MLP and network profiles are the "
                "shared VIDUR data; the **attention profile is synthetic** (a roofline formula in "
                "tests/test_tool_vidur.py), so these times test the plumbing, not VIDUR's accuracy.",
                f"Mean e2e {run.result.value:.4f} s, mean TPOT {run.result.metrics['tpot_mean_s'] * 1e3:.3f} ms; "
                f"run {run.wall_s:.1f} s.\n")


def record_nn_meter() -> None:
    """nn-Meter 2.0 through the adapter with a locally built predictor (a toy: random forests on synthetic rows)
    registered in a throw-away HOME: once with every kernel, once without `hswish` (the refusal)."""
    import os
    sys.path.insert(0, str(ROOT / "tests"))
    from test_tool_nn_meter import build_toy_predictor, mobilenet_ir_job
    from graphs_tools import get_tool
    dst = OUT / "nn-meter"
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        old = os.environ.get("HOME")
        os.environ["HOME"] = str(home)
        try:
            a = get_tool("nn-meter")
            py = a.find_python()[0]
            for tag, drop in (("full", ()), ("missing-hswish", ("hswish",))):
                build_toy_predictor(py, home, Path(tmp) / f"pred-{tag}", f"toy_{tag.replace('-', '_')}", drop)
                job = mobilenet_ir_job(f"toy_{tag.replace('-', '_')}")
                run = a.run(job, Path(tmp) / tag)
                out = json.loads((Path(tmp) / tag / "out.json").read_text()) if (Path(tmp) / tag / "out.json").is_file() \
                    else None
                (dst / f"out-{tag}.json").write_text(json.dumps(out, indent=1))
                print(tag, run.diagnosis)
        finally:
            if old is not None:
                os.environ["HOME"] = old
    _provenance(dst, "nn-meter", "2.0", "MobileNetV3-small (the shared nn-Meter IR) predicted through the adapter's "
                "driver with a **toy** predictor built here (random forests on synthetic rows, registered in a "
                "throw-away HOME): `out-full.json` with every kernel predictor, `out-missing-hswish.json` with "
                "`hswish` left out — the driver refuses instead of counting those kernels as 0 ms, as nn-Meter "
                "itself would. The latency is meaningless; the plumbing and the refusal are what is recorded.")


if __name__ == "__main__":
    want = sys.argv[1:] or ["genz", "llm-analysis", "scalesim", "vidur", "nn-meter"]
    for t in want:
        t0 = time.monotonic()
        {"genz": lambda: record_llm("genz"), "llm-analysis": lambda: record_llm("llm-analysis"),
         "scalesim": record_scalesim, "vidur": record_vidur, "nn-meter": record_nn_meter}[t]()
        print(f"{t}: recorded in {time.monotonic() - t0:.1f} s -> {OUT / t}")
