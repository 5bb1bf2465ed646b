"""The VIDUR adapter: scenario → ``python -m vidur.main`` arguments + a local profile cache, run, parse request metrics.

Targets ``vidur`` 0.0.26 from PyPI, installed into its own environment (``graphs tools install
vidur``; or ``$GRAPHS_VIDUR_PYTHON``). VIDUR predicts with random forests trained on operator
*profiles* it cannot measure here: the adapter builds the local Hugging Face cache the release
reads (:mod:`graphs_vidur.profiles`) and its doctor names every profile file that is missing
(the shared data has the MLP and network profiles of A100/A40 but no attention profiles).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

from graphs.results import EstimationResult
from graphs_tools import Diagnosis, DiagnosisStatus, Invocation, PackageSpec, PythonToolAdapter
from graphs_tools.envs import run_env
from graphs_vidur.output import to_result
from graphs_vidur.profiles import build_cache, missing_summary, profiles_root
from graphs_vidur.scenario import ServingScenario

PACKAGE = PackageSpec("vidur", ("vidur==0.0.26",), module="vidur", env={"WANDB_MODE": "disabled"})
CACHE_DIR = "vidur_cache"
PROFILE_FIX = ("profile the missing operators with VIDUR's profiling scripts on that GPU (vidur.profiling.attention "
               "needs torch and CUDA) and put them in the data/profiling layout under $GRAPHS_VIDUR_PROFILES")


class VidurAdapter(PythonToolAdapter):
    name = "vidur"
    description = "VIDUR: discrete-event LLM serving simulator driven by profiled operator times"
    homepage = "https://github.com/microsoft/vidur"
    package = PACKAGE
    batch_runs = False

    compare_facts = {
        "install": "pip install vidur (`graphs tools install vidur`: its own environment) + operator profiles "
                   "(laid out as a local Hugging Face cache by the adapter)",
        "one_step": False, "formats": "Hugging Face model ids VIDUR has profiles for", "standard_formats": False,
        "scope": "LLM serving request latency from profiled operator times", "levels": ("kernel", "model"),
        "source": "github.com/microsoft/vidur; docs/tools/vidur.md"}

    def serving_inputs(self, scenario: Any, plugins: Any, out_dir: str | os.PathLike) -> list[Path]:
        """Write VIDUR's inputs for a graphs serving scenario (``graphs serving simulate --vidur-out``)."""
        from graphs_vidur.convert import from_scenario
        return self.write_inputs(from_scenario(scenario, plugins, out_dir), out_dir)

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        from graphs_tools import ToolInputError
        from graphs_vidur.scenario import vidur_device
        if row.precision not in ("fp16", "bf16"):
            return f"VIDUR's operator profiles are fp16; this row is {row.precision}"
        if row.family != "decoder" or not row.hf_id:
            return f"VIDUR simulates decoder LLMs it has model configs and profiles for; {row.model} is not one"
        try:
            vidur_device(plugins.hardware_entry(row.hardware).spec)
        except ToolInputError as e:
            return str(e)
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> ServingScenario:
        spec = plugins.hardware_entry(row.hardware).spec
        fast = {"rf_estimators": 16, "rf_max_depth": 8, "rf_k_fold": 2}   # VIDUR's 27-point x 10-fold grid is hours here
        if row.extra.get("phase") == "decode":
            # the row's decode step: `batch` requests together, each with `seq` cached tokens at mid-generation
            prompt = int(row.extra.get("prompt_tokens_assumed", 512))
            decode = max(2, 2 * (int(row.seq) - prompt))
            return ServingScenario.for_hardware(spec, model=row.hf_id, qps=None, num_requests=int(row.batch),
                                                prefill_tokens=prompt, decode_tokens=decode, scheduler="vllm",
                                                batch_size_cap=int(row.batch), tensor_parallel=int(row.extra.get("tp", 1)),
                                                max_tokens=max(4096, prompt + decode), report="tpot", **fast)
        return ServingScenario.for_hardware(spec, model=row.hf_id, qps=None, num_requests=1,
                                            prefill_tokens=row.seq or 512, decode_tokens=1,
                                            max_tokens=max(4096, (row.seq or 512) + 1), **fast)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        from graphs_tools import ToolInputError
        from graphs_vidur.scenario import DEVICES, vidur_device
        gpus = [h for h, e in sorted(plugins.hardware.items()) if e.family == "gpu"]
        if not gpus:
            return None
        for h in gpus:
            try:
                vidur_device(plugins.hardware_entry(h).spec)
            except ToolInputError as e:
                return False, f"checked: a new GPU is refused ({e}); new hardware needs VIDUR profiling runs on it"
        return True, f"every installed GPU maps to one of VIDUR's profiled SKUs ({', '.join(DEVICES)})"

    def data_check(self, python: str) -> Diagnosis | None:
        """The profiles: a folder exists, and at least one (device, model) has both mlp.csv and attention.csv."""
        root, where = profiles_root()
        if root is None or not root.is_dir():
            return self.diagnosis(DiagnosisStatus.MISSING_DATA, f"vidur is installed but has no profiles: {where}",
                                  PROFILE_FIX, python=python)
        complete, missing = missing_summary(root)
        if not complete:
            shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"vidur is installed but no model has all its profiles under {root} ({where}): "
                                  f"missing {shown}", PROFILE_FIX, python=python, profiles=str(root), missing=missing)
        return None

    def doctor_for(self, workload: ServingScenario) -> Diagnosis:
        """A scenario that names its own profiles is checked against those (:meth:`preflight`), not the defaults."""
        if getattr(workload, "profiling_root", None):
            try:
                return self.package_doctor(data=False)
            except Exception as e:  # an adapter bug must still give a diagnosis
                return self.diagnosis(DiagnosisStatus.RUNTIME_FAILURE, f"doctor raised {type(e).__name__}: {e}")
        return super().doctor_for(workload)

    def doctor(self) -> Diagnosis:
        d = super().doctor()
        if d.ok:
            root, _ = profiles_root()
            complete, missing = missing_summary(root)
            return self.diagnosis(DiagnosisStatus.OK, f"{d.reason}; profiles for {', '.join(complete)} under {root}",
                                  **{**d.details, "profiles": str(root), "missing": missing})
        return d

    def _profiles(self, scenario: ServingScenario) -> Path | None:
        if scenario.profiling_root:
            return Path(scenario.profiling_root)
        return profiles_root()[0]

    def preflight(self, workload: ServingScenario, out_dir: Path, diagnosis: Diagnosis) -> Diagnosis:
        root = self._profiles(workload)
        if root is None:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA, profiles_root()[1], PROFILE_FIX)
        missing = {k: p for k, p in workload.profile_files(root).items() if not p.is_file()}
        if missing:
            listed = ", ".join(str(p) for p in missing.values())
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"VIDUR has no complete profile for {workload.model} on {workload.device}/"
                                  f"{workload.network_device}: missing {listed}", PROFILE_FIX,
                                  missing={k: str(p) for k, p in missing.items()})
        return diagnosis

    def write_inputs(self, workload: ServingScenario, out_dir: str | os.PathLike) -> list[Path]:
        """``vidur_args.json`` (arguments + scenario), ``vidur_command.txt`` (a shell line) and, when the profiles
        are there, the local Hugging Face cache ``vidur_cache/`` vidur reads them from."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        metrics_dir = (out / "simulator_output").resolve()
        cache = (out / CACHE_DIR).resolve()
        root = self._profiles(workload)
        paths: list[Path] = []
        if root is not None and root.is_dir():
            compute, network = build_cache(workload, root, cache)
            paths += sorted(p for p in cache.rglob("*") if p.is_file() and p.suffix in (".xz", ".json"))
        else:
            compute = network = "(no profiles)"
        args = workload.args(metrics_dir, cache, compute, network)
        a = out / "vidur_args.json"
        a.write_text(json.dumps({"scenario": workload.to_dict(), "module": "vidur.main", "args": args,
                                 "profiles": str(root) if root else None}, indent=2), encoding="utf-8")
        c = out / "vidur_command.txt"
        c.write_text(workload.shell_line("python", metrics_dir, cache, compute, network) + "\n", encoding="utf-8")
        return [a, c] + paths

    def invocations(self, workload: ServingScenario, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        args = json.loads((out_dir / "vidur_args.json").read_text(encoding="utf-8"))["args"]
        return [Invocation((diagnosis.details["python"], "-m", "vidur.main", *args), "vidur", cwd=out_dir,
                           env=run_env(self.package))]

    def collect(self, workload: ServingScenario, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        return [to_result(out_dir / "simulator_output", hardware=workload.device, report=workload.report)]

    def parse(self, path: str | os.PathLike) -> EstimationResult:
        """A ``request_metrics.csv`` or a VIDUR output folder (newest run below it)."""
        return to_result(path)
