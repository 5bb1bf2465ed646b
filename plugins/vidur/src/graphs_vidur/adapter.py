"""The VIDUR adapter: scenario → ``python -m vidur.main`` arguments, run, parse request metrics."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

from graphs.results import EstimationResult
from graphs_tools import (BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, classify_start_failure,
                          python_module_probe, resolve_executable)
from graphs_vidur.output import to_result
from graphs_vidur.scenario import ServingScenario

ENV_PYTHON = "GRAPHS_VIDUR_PYTHON"
ENV_ROOT = "GRAPHS_VIDUR_ROOT"
INSTALL = ("git clone https://github.com/microsoft/vidur && cd vidur && python3.10 -m venv .venv && "
           ".venv/bin/pip install -r requirements.txt -e . ; then set GRAPHS_VIDUR_PYTHON=<that venv>/bin/python and "
           "GRAPHS_VIDUR_ROOT=<the checkout> (VIDUR reads ./data/profiling relative to it)")


class VidurAdapter(BaseToolAdapter):
    name = "vidur"
    description = "VIDUR: discrete-event LLM serving simulator driven by profiled operator times"
    homepage = "https://github.com/microsoft/vidur"

    def _python(self) -> tuple[str | None, str]:
        if os.environ.get(ENV_PYTHON, "").strip():
            exe, why = resolve_executable(["python", "python3"], ENV_PYTHON)
            return (str(exe), "") if exe else (None, why)
        if importlib.util.find_spec("vidur") is not None:
            return sys.executable, ""
        return None, f"${ENV_PYTHON} is unset and the `vidur` package is not importable in {sys.executable}"

    compare_facts = {
        "install": "pip install vidur (its own environment) + profiling data laid out as a Hugging Face cache",
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
        return ServingScenario.for_hardware(plugins.hardware_entry(row.hardware).spec, model=row.hf_id, qps=None,
                                            num_requests=1, prefill_tokens=row.seq or 512, decode_tokens=1,
                                            max_tokens=max(4096, (row.seq or 512) + 1))

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

    def doctor(self) -> Diagnosis:
        py, why = self._python()
        if py is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, f"VIDUR is not installed: {why}", INSTALL)
        with tempfile.TemporaryDirectory(prefix="graphs-vidur-doctor-") as tmp:
            probe = python_module_probe(py, "vidur.main", log_dir=tmp, timeout_s=120)
            if not probe.ok:
                status = classify_start_failure(probe)
                if "ModuleNotFoundError" in probe.stderr() and "'vidur" in probe.stderr():
                    return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, f"`vidur` is not importable by {py}",
                                          INSTALL, python=py)
                return self.diagnosis(status, f"importing vidur.main with {py} failed: {probe.describe()}",
                                      "install VIDUR's requirements.txt into that interpreter", python=py)
        root = os.environ.get(ENV_ROOT, "").strip()
        if root and not (Path(root) / "data" / "profiling").is_dir():
            return self.diagnosis(DiagnosisStatus.MISSING_DATA, f"{ENV_ROOT}={root} has no data/profiling folder",
                                  "point GRAPHS_VIDUR_ROOT at a VIDUR checkout (with data/profiling)", python=py)
        return self.diagnosis(DiagnosisStatus.OK, f"vidur importable by {py}", python=py, root=root or None)

    def _profiling_root(self, scenario: ServingScenario) -> Path:
        if scenario.profiling_root:
            return Path(scenario.profiling_root)
        root = os.environ.get(ENV_ROOT, "").strip()
        return (Path(root) if root else Path.cwd()) / "data" / "profiling"

    def preflight(self, workload: ServingScenario, out_dir: Path, diagnosis: Diagnosis) -> Diagnosis:
        missing = {k: p for k, p in workload.profile_files(self._profiling_root(workload)).items() if not p.is_file()}
        if missing:
            listed = ", ".join(f"{k}: {p}" for k, p in missing.items())
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"VIDUR has no profile for {workload.model} on {workload.device}: missing {listed}",
                                  "profile the model with VIDUR's profiling scripts on that GPU, or pick a "
                                  "model/device pair present under data/profiling", missing=missing)
        return diagnosis

    def write_inputs(self, workload: ServingScenario, out_dir: str | os.PathLike) -> list[Path]:
        """``vidur_args.json`` (argument list + scenario) and ``vidur_command.txt`` (a shell line)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        metrics_dir = (out / "simulator_output").resolve()
        args = workload.args(metrics_dir)
        a = out / "vidur_args.json"
        a.write_text(json.dumps({"scenario": workload.to_dict(), "module": "vidur.main", "args": args}, indent=2),
                     encoding="utf-8")
        c = out / "vidur_command.txt"
        c.write_text(workload.shell_line("python", metrics_dir) + "\n", encoding="utf-8")
        return [a, c]

    def invocations(self, workload: ServingScenario, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        args = json.loads((out_dir / "vidur_args.json").read_text(encoding="utf-8"))["args"]
        cwd = Path(diagnosis.details["root"]) if diagnosis.details.get("root") else out_dir
        return [Invocation((diagnosis.details["python"], "-m", "vidur.main", *args), "vidur", cwd=cwd)]

    def collect(self, workload: ServingScenario, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        return [to_result(out_dir / "simulator_output", hardware=workload.device)]

    def parse(self, path: str | os.PathLike) -> EstimationResult:
        """A ``request_metrics.csv`` or a VIDUR output folder (newest run below it)."""
        return to_result(path)
