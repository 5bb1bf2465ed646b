"""Deployment (D4) and extension (D5) facts per estimator: declared with a source, checked where code can.

A *fact* is something about a tool that cannot be measured on this machine (how it installs, what
formats it reads), stated with where it comes from. A *check* runs code here to confirm a fact
(e.g. that graphs really accepts a new device as a YAML file, or that an adapter really writes a
tool's hardware config from any graphs spec); a check that fails turns the fact false and says why.
The rubric (:mod:`graphs.compare.rubric`) turns facts + checks + measurements into scores.

A third-party adapter can declare its own facts with a ``compare_facts`` dict attribute (same keys).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

REPO_TESTS = Path(__file__).resolve().parents[4] / "tests"

# --- declared facts ------------------------------------------------------------------------------------
# install / one_step / ci_tests (D4); hw_how / formats / standard_formats / closed (D5); scope, levels (D2)
FACTS: dict[str, dict[str, Any]] = {
    "graphs": {
        "install": "one command (`make setup`, or pip install graphs + device packages)", "one_step": True,
        "ci_tests": ("test_gpudata_validate.py", "test_core_pipeline.py", "test_compare_harness.py"),
        "formats": "PyTorch (torch.fx), ONNX, TFLite", "standard_formats": True,
        "scope": "per-kernel estimates composed to the model (Σ kernels + per-model overhead), docs/estimation.md",
        "levels": ("kernel", "model"), "source": "this repository"},
    "graphs-roofline": {
        "install": "part of graphs (one command)", "one_step": True,
        "ci_tests": ("test_gpudata_validate.py",),
        "formats": "PyTorch (torch.fx), ONNX, TFLite", "standard_formats": True,
        "scope": "max(FLOPs / vendor peak, bytes / vendor bandwidth) per kernel, summed; the floor to beat",
        "levels": ("model",), "source": "graphs.datasets.validate (roofline_s)"},
    "neusight": {
        "install": "git clone + pip install -e (Python 3.9, PyTorch 2.1), trained predictor from the artifact",
        "one_step": False, "formats": "Hugging Face model config JSON (transformer families it traces)",
        "standard_formats": False, "scope": "per-op tile predictions aggregated to the model (NeuSight, ASPLOS'25)",
        "levels": ("kernel", "model"), "source": "github.com/sitar-lab/NeuSight README; docs/tools/neusight.md"},
    "habitat": {
        "install": "no adapter here; Habitat builds CUDA extensions and profiles the model on an origin GPU",
        "one_step": False, "formats": "a PyTorch program (traced on the origin GPU)", "standard_formats": True,
        "hw_by_config": True, "hw_how": "target GPU given by its specs (wave scaling + per-op MLPs with GPU features)",
        "scope": "per-op predictions scaled from an origin GPU, summed (Yu et al., USENIX ATC'21)",
        "levels": ("model",), "source": "github.com/geoffxy/habitat; NeuSight artifact (recorded predictions)"},
    "li-et-al": {
        "install": "no public implementation; only its published predictions exist", "one_step": False,
        "formats": "transformer layer configs (custom)", "standard_formats": False,
        "hw_by_config": False, "hw_how": "micro-benchmarks on the device (measurements, not config)",
        "scope": "micro-benchmark-based transformer latency model (Li et al., as reported by NeuSight)",
        "levels": ("model",), "source": "NeuSight artifact (recorded predictions), peer_summary 'Li et al.'"},
    "roofline": {
        "install": "nothing to install (a formula of vendor peaks)", "one_step": True, "ci_tests": (),
        "formats": "any graph with FLOPs and bytes", "standard_formats": True,
        "hw_by_config": True, "hw_how": "vendor peak FLOP/s and bandwidth", "formula": True,
        "scope": "roofline of vendor peaks (NeuSight's baseline implementation)", "levels": ("model",),
        "source": "NeuSight artifact (recorded predictions)"},
    "timeloop": {
        "install": "build Timeloop v0.4 + Accelergy from source (or its Docker image)", "one_step": False,
        "formats": "Timeloop problem YAML (conv/matmul loop nests; graphs writes it from the IR)",
        "standard_formats": False, "scope": "conv/matmul layers on a spatial accelerator, layers summed",
        "levels": ("kernel", "model"), "source": "timeloop.csail.mit.edu; docs/tools/timeloop.md"},
    "astra-sim": {
        "install": "build ASTRA-sim 2.0 from source (analytical backend)", "one_step": False,
        "formats": "Chakra execution traces (MLCommons)", "standard_formats": True,
        "scope": "distributed training step: given compute times + simulated collectives",
        "levels": ("model",), "source": "astra-sim.github.io; docs/tools/astra-sim.md"},
    "vidur": {
        "install": "git clone + venv + pip install -r requirements (Python 3.10) + profiling data",
        "one_step": False, "formats": "Hugging Face model ids VIDUR has profiles for", "standard_formats": False,
        "scope": "LLM serving request latency from profiled operator times", "levels": ("kernel", "model"),
        "source": "github.com/microsoft/vidur; docs/tools/vidur.md"},
    "nn-meter": {
        "install": "pip install nn-meter (needs scikit-learn 0.23.1, Python <= 3.8) + predictor download",
        "one_step": True, "formats": "ONNX, TensorFlow, PyTorch models (CNN kernels)", "standard_formats": True,
        "scope": "CNN latency on its profiled edge CPU/GPU/VPU (kernel predictors summed)",
        "levels": ("kernel", "model"), "source": "github.com/microsoft/nn-Meter; docs/tools/nn-meter.md"},
}
RECORDED_TOOL = {"neusight": "neusight"}       # recorded method -> the adapter that would make new predictions


def facts_for(name: str, adapter: Any = None) -> dict[str, Any]:
    base = dict(FACTS.get(name, {}))
    declared = getattr(adapter, "compare_facts", None)
    if isinstance(declared, dict):
        base.update(declared)
    if not base:
        base = {"install": "not declared", "one_step": False, "formats": "not declared", "standard_formats": False,
                "hw_by_config": False, "hw_how": "not declared", "source": "no facts registered for this estimator"}
    return base


def ci_check(tests: tuple[str, ...]) -> tuple[bool, list[str]]:
    """The listed test files exist next to this repository (and CI runs them: ``.ci/run`` → ``make test``)."""
    found = [t for t in tests if (REPO_TESTS / t).is_file()]
    ci = (REPO_TESTS.parent / ".ci" / "run").is_file()
    return bool(found) and ci and len(found) == len(tests), found


# --- checks run here --------------------------------------------------------------------------------------
def _graphs_new_device(plugins) -> tuple[bool, str]:
    """Write an installed GPU spec under a new id to a YAML file and estimate a GEMM on it."""
    import yaml

    from graphs.datasets.kernels import gemm_kernel

    spec = plugins.hardware_entry("h100").spec
    d = spec.model_dump(mode="json", exclude_none=True)
    d.update(id="compare-new-gpu", name="New GPU (compare check)")
    d.pop("aliases", None)
    with tempfile.TemporaryDirectory(prefix="graphs-compare-") as tmp:
        p = Path(tmp) / "compare-new-gpu.yaml"
        p.write_text(yaml.safe_dump(d), encoding="utf-8")
        est = plugins.mapper_for(str(p)).estimate_kernel(gemm_kernel(1, 1024, 1024, 1024))
    return est.time_s > 0, f"verified: a spec YAML with a new id estimates a GEMM ({est.time_s * 1e6:.0f} µs)"


def _std_formats(plugins) -> tuple[bool, str]:
    have = sorted(getattr(plugins, "frontends", {}) or {})
    ok = {"onnx", "tflite"} <= set(have)
    return ok, f"frontends installed: {', '.join(have) or 'none'}"


def _neusight_hw(plugins) -> tuple[bool, str]:
    from graphs_neusight import device_config_from_spec

    cfg = device_config_from_spec(plugins.hardware_entry("l40s").spec)
    return True, f"verified: the adapter writes NeuSight's device config from any GPU spec (l40s: {cfg['Num_Sm']} SMs)"


def _timeloop_hw(plugins) -> tuple[bool, str]:
    from graphs_timeloop.arch import ArchConfig

    a = ArchConfig.from_spec(plugins.hardware_entry("tpu-v4").spec)
    return True, f"verified: arch.yaml generated from a graphs spec (tpu-v4: {a.name})"


def _astra_hw(plugins) -> tuple[bool, str]:
    from graphs_astra_sim.config import SystemConfig, network_from_spec

    spec = plugins.hardware_entry("h100").spec
    SystemConfig.from_spec(spec)
    network_from_spec(spec, [8])
    return True, "verified: system.json and network.yml generated from a graphs spec (h100, 8 NPUs)"


def _vidur_hw(plugins) -> tuple[bool, str]:
    from graphs.tools import ToolInputError
    from graphs_vidur.scenario import DEVICES, vidur_device

    try:
        vidur_device(plugins.hardware_entry("l40s").spec)
    except ToolInputError as e:
        return False, f"checked: a new GPU is refused ({e}); new hardware needs VIDUR profiling runs on it"
    return True, f"a new GPU maps to one of VIDUR's profiled SKUs ({', '.join(DEVICES)})"


def _nnmeter_hw(plugins) -> tuple[bool, str]:
    from graphs_nn_meter.adapter import builtin_predictors

    names = [p["name"] for p in builtin_predictors()]
    return False, (f"checked: predictors exist only for {', '.join(names)}; a new device needs kernel predictors "
                   "trained on its measurements")


HW_CHECKS: dict[str, Callable[[Any], tuple[bool, str]]] = {
    "graphs": _graphs_new_device, "graphs-roofline": _graphs_new_device, "neusight": _neusight_hw,
    "timeloop": _timeloop_hw, "astra-sim": _astra_hw, "vidur": _vidur_hw, "nn-meter": _nnmeter_hw,
}
FORMAT_CHECKS: dict[str, Callable[[Any], tuple[bool, str]]] = {"graphs": _std_formats, "graphs-roofline": _std_formats}


def extension_evidence(name: str, plugins, adapter: Any = None) -> dict[str, Any]:
    """D5 inputs: hardware by config (checked where a check exists), workload formats, closed."""
    f = facts_for(name, adapter)
    out = {"hw_by_config": bool(f.get("hw_by_config")), "hw_how": f.get("hw_how", "not declared"),
           "formats": f.get("formats", "not declared"), "standard_formats": bool(f.get("standard_formats")),
           "closed": bool(f.get("closed")), "source": f.get("source", "")}
    check = HW_CHECKS.get(name)
    if check is not None:
        try:
            out["hw_by_config"], out["hw_how"] = check(plugins)
        except Exception as e:  # a failing check is evidence too
            out["hw_by_config"], out["hw_how"] = False, f"check failed: {type(e).__name__}: {e}"
    fc = FORMAT_CHECKS.get(name)
    if fc is not None:
        try:
            ok, how = fc(plugins)
            out["standard_formats"], out["formats"] = ok, f"{out['formats']} ({how})"
        except Exception as e:
            out["standard_formats"], out["formats"] = False, f"check failed: {type(e).__name__}: {e}"
    return out


def deployment_evidence(name: str, *, status: str, reason: str, failure: str | None, ttfp_s: float | None,
                        adapter: Any = None) -> dict[str, Any]:
    """D4 inputs: status here, install facts, CI tests that exist, time to first prediction."""
    f = facts_for(name, adapter)
    tests = tuple(f.get("ci_tests", ()))
    ci, found = ci_check(tests) if tests else (False, [])
    return {"status": status, "reason": reason, "failure": failure, "install": f.get("install", "not declared"),
            "one_step": bool(f.get("one_step")), "ci_tested": ci, "ci_tests": found, "ttfp_s": ttfp_s}
