"""Deployment (D4) and extension (D5) facts per estimator: declared with a source, checked where code can.

A *fact* is something about a tool that cannot be measured on this machine (how it installs, what
formats it reads), stated with where it comes from. A *check* runs code here to confirm a fact
(e.g. that graphs really accepts a new device as a YAML file, or that an adapter really writes a
tool's hardware config from any graphs spec); a check that fails turns the fact false and says why.
The rubric (:mod:`graphs_compare.rubric`) turns facts + checks + measurements into scores.

Facts about graphs itself and about estimators that exist here only as published predictions
(Habitat, Li et al., NeuSight's roofline) are declared below; every tool adapter declares its own
(``compare_facts``) and runs its own hardware check (``hardware_check(plugins)``).

``ci_tested`` is verified only in a source checkout: the harness looks for ``.ci/run`` and the
named test files in the checkout that holds the current directory (``$GRAPHS_REPO`` to name one);
from an installed package with no checkout the claim stays unverified.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable



def source_checkout() -> Path | None:
    """The graphs checkout to check CI claims in: ``$GRAPHS_REPO``, else the one holding the cwd."""
    env = os.environ.get("GRAPHS_REPO", "").strip()
    cands = [Path(env)] if env else [Path.cwd(), *Path.cwd().parents]
    for c in cands:
        if (c / ".ci" / "run").is_file() and (c / "tests").is_dir() and (c / "core" / "pyproject.toml").is_file():
            return c
    return None

# --- declared facts ------------------------------------------------------------------------------------
# install / one_step / ci_tests (D4); hw_how / formats / standard_formats / closed (D5); scope, levels (D2)
FACTS: dict[str, dict[str, Any]] = {
    "graphs": {
        "install": "one command (`make setup`; users: pip install graphs-estimator[...] from the wheels of `make dist`)", "one_step": True,
        "ci_tests": ("test_gpudata_validate.py", "test_core_pipeline.py", "test_compare_harness.py"),
        "formats": "PyTorch (torch.fx), ONNX, TFLite", "standard_formats": True,
        "scope": "per-kernel estimates composed to the model (Σ kernels + per-model overhead), docs/estimation.md",
        "levels": ("kernel", "model"), "source": "this repository"},
    "graphs-roofline": {
        "install": "part of graphs (one command)", "one_step": True,
        "ci_tests": ("test_gpudata_validate.py",),
        "formats": "PyTorch (torch.fx), ONNX, TFLite", "standard_formats": True,
        "scope": "max(FLOPs / vendor peak, bytes / vendor bandwidth) per kernel, summed; the floor to beat",
        "levels": ("model",), "source": "graphs_datasets.validate (roofline_s)"},
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
}


def facts_for(name: str, adapter: Any = None) -> dict[str, Any]:
    base = dict(FACTS.get(name, {}))
    declared = getattr(adapter, "compare_facts", None)
    if isinstance(declared, dict):
        base.update(declared)
    if not base:
        base = {"install": "not declared", "one_step": False, "formats": "not declared", "standard_formats": False,
                "hw_by_config": False, "hw_how": "not declared", "source": "no facts registered for this estimator"}
    base.setdefault("levels", ())
    base.setdefault("scope", "")
    base.setdefault("source", "")
    return base


def ci_check(tests: tuple[str, ...]) -> tuple[bool, list[str]]:
    """The listed test files exist in the source checkout and CI runs them (``.ci/run`` → ``make test``)."""
    repo = source_checkout()
    if repo is None:
        return False, []
    found = [t for t in tests if (repo / "tests" / t).is_file()]
    return bool(found) and len(found) == len(tests), found


# --- checks run here --------------------------------------------------------------------------------------
def _graphs_new_device(plugins) -> tuple[bool, str]:
    """Write an installed GPU spec under a new id to a YAML file and estimate a GEMM on it."""
    import yaml

    from graphs.kernels import gemm_kernel

    gpus = sorted(h for h, e in plugins.hardware.items() if e.family == "gpu")
    if not gpus:
        return False, "no GPU installed to copy a spec from"
    spec = plugins.hardware_entry(gpus[0]).spec
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


HW_CHECKS: dict[str, Callable[[Any], tuple[bool, str]]] = {"graphs": _graphs_new_device,
                                                         "graphs-roofline": _graphs_new_device}
FORMAT_CHECKS: dict[str, Callable[[Any], tuple[bool, str]]] = {"graphs": _std_formats, "graphs-roofline": _std_formats}


def extension_evidence(name: str, plugins, adapter: Any = None) -> dict[str, Any]:
    """D5 inputs: hardware by config (checked where a check exists), workload formats, closed."""
    f = facts_for(name, adapter)
    out = {"hw_by_config": bool(f.get("hw_by_config")), "hw_how": f.get("hw_how", "not declared"),
           "formats": f.get("formats", "not declared"), "standard_formats": bool(f.get("standard_formats")),
           "closed": bool(f.get("closed")), "source": f.get("source", "")}
    check = HW_CHECKS.get(name) or getattr(adapter, "hardware_check", None)
    if check is not None:
        try:
            got = check(plugins)
            if got is not None:
                out["hw_by_config"], out["hw_how"] = got
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
