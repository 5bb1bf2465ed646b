"""The ASTRA-sim adapter: Chakra traces + configs, run the analytical backend, parse stdout."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from graphs.hardware.schema import HardwareSpec
from graphs.results import EstimationResult
from graphs_tools import (BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, ToolInputError, classify_start_failure,
                          resolve_executable, run_command)
from graphs_astra_sim.chakra import write_et
from graphs_astra_sim.config import (MEMORY_DOCUMENT, NetworkDim, SystemConfig, network_from_spec, write_json,
                                     write_network)
from graphs_astra_sim.output import parse_stdout, to_result
from graphs_astra_sim.workload import TrainingStep, build_traces

ENV_BIN = "GRAPHS_ASTRA_SIM_BIN"
BINARIES = ("AstraSim_Analytical_Congestion_Unaware", "AstraSim_Analytical_Congestion_Aware")
INSTALL = ("build ASTRA-sim 2.0 from source: git clone --recursive https://github.com/astra-sim/astra-sim && "
           "./build/astra_analytical/build.sh, then put build/astra_analytical/build/bin on PATH or set "
           "GRAPHS_ASTRA_SIM_BIN=/path/to/AstraSim_Analytical_Congestion_Unaware")


@dataclass(frozen=True)
class AstraSimJob:
    """A training step plus the network and system it runs on."""

    step: TrainingStep
    network: tuple[NetworkDim, ...]
    system: SystemConfig = field(default_factory=SystemConfig)
    hardware: str = ""

    def __post_init__(self) -> None:
        sizes = [n for _, n in self.step.dims]
        if [d.npus for d in self.network] != sizes:
            raise ToolInputError(f"network dimensions {[d.npus for d in self.network]} do not match the step's "
                                 f"parallelism {self.step.dims}")

    @classmethod
    def from_spec(cls, step: TrainingStep, spec: HardwareSpec, *, topology: str = "Ring", latency_ns: float = 500.0,
                  **system: Any) -> "AstraSimJob":
        dims = network_from_spec(spec, [n for _, n in step.dims], topology=topology, latency_ns=latency_ns)
        return cls(step, tuple(dims), SystemConfig.from_spec(spec, **system), spec.id)


def _prefix(job: AstraSimJob) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", job.step.name) or "workload"


class AstraSimAdapter(BaseToolAdapter):
    name = "astra-sim"
    description = "ASTRA-sim 2.0 (analytical network backend): distributed training step from Chakra execution traces"
    homepage = "https://astra-sim.github.io"

    compare_facts = {
        "fitted": False,
        "install": "build ASTRA-sim 2.0 from source (analytical backend); not on a package registry", "one_step": False,
        "formats": "Chakra execution traces (MLCommons)", "standard_formats": True,
        "scope": "distributed training step: given compute times + simulated collectives",
        "levels": ("model",), "source": "astra-sim.github.io; docs/tools/astra-sim.md"}

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        coll = row.extra.get("collective") if isinstance(row.extra, dict) else None
        if coll is not None:
            if coll != "all_reduce":
                return f"the adapter writes data-parallel all-reduces only; this row is a {coll}"
            if int(row.extra.get("per_node", 0)) != int(row.extra.get("ranks", -1)):
                return ("a two-level (intra + inter-node) all-reduce: the adapter writes one network dimension per "
                        "parallelism, so a collective spanning two network levels is not expressed")
            return None
        if not row.option.startswith(("dp", "tp", "pp")):
            return ("single-device inference: no communication to simulate, and ASTRA-sim takes compute times as "
                    "inputs rather than predicting them")
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> "AstraSimJob":
        """A collective row: one all-reduce of ``bytes`` over ``ranks`` NPUs in one switched node (a data-parallel
        step with no compute and one gradient bucket), on the row's device's interconnect."""
        from graphs_astra_sim.workload import LayerCost
        if row.extra.get("collective") != "all_reduce":
            raise ToolInputError(f"{row.key}: no ASTRA-sim workload for this row")
        n = int(row.extra["bytes"])
        step = TrainingStep(f"allreduce_{n}B_{row.extra['ranks']}", (LayerCost("bucket", 0.0, 0.0, param_bytes=n),),
                            dp=int(row.extra["ranks"]), bucket_bytes=float(n) + 1.0,
                            notes=("one all-reduce: zero compute, one gradient bucket",))
        return AstraSimJob.from_spec(step, plugins.hardware_entry(row.hardware).spec, topology="Switch")

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        gpus = sorted(h for h, e in plugins.hardware.items() if e.family == "gpu")
        if not gpus:
            return None
        spec = plugins.hardware_entry(gpus[0]).spec
        SystemConfig.from_spec(spec)
        network_from_spec(spec, [8])
        return True, f"verified: system.json and network.yml generated from a graphs spec ({gpus[0]}, 8 NPUs)"

    def doctor(self) -> Diagnosis:
        exe, why = resolve_executable(BINARIES, ENV_BIN)
        if exe is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, f"ASTRA-sim is not installed: {why}", INSTALL)
        with tempfile.TemporaryDirectory(prefix="graphs-astra-doctor-") as tmp:
            probe = run_command([exe, "--help"], log_dir=tmp, name="probe", timeout_s=30)
            if not probe.timed_out and classify_start_failure(probe) is DiagnosisStatus.BUILD_FAILURE:
                return self.diagnosis(DiagnosisStatus.BUILD_FAILURE, f"{exe} cannot start: {probe.describe()}",
                                      "rebuild ASTRA-sim (build/astra_analytical/build.sh) with its protobuf version",
                                      binary=str(exe))
        return self.diagnosis(DiagnosisStatus.OK, f"ASTRA-sim at {exe}", binary=str(exe))

    def write_inputs(self, workload: AstraSimJob, out_dir: str | os.PathLike) -> list[Path]:
        """``traces/<name>.<npu>.et`` per NPU, ``system.json``, ``network.yml``, ``memory.json``, ``workload.json``."""
        job = workload
        out = Path(out_dir)
        meta, traces, summary = build_traces(job.step)
        prefix = _prefix(job)
        paths = [write_et(out / "traces" / f"{prefix}.{npu}.et", meta, nodes) for npu, nodes in traces.items()]
        paths.append(write_json(out / "system.json", job.system.document(len(job.network))))
        paths.append(write_network(out / "network.yml", job.network))
        paths.append(write_json(out / "memory.json", MEMORY_DOCUMENT))
        summary.update(name=job.step.name, dp=job.step.dp, tp=job.step.tp, pp=job.step.pp,
                       microbatches=job.step.microbatches, notes=list(job.step.notes),
                       layers=[{"name": layer.name, "fwd_s": layer.fwd_s, "bwd_s": layer.bwd_s,
                                "param_bytes": layer.param_bytes} for layer in job.step.layers])
        paths.append(write_json(out / "workload.json", summary))
        return paths

    def invocations(self, workload: AstraSimJob, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        o = out_dir.resolve()
        return [Invocation((diagnosis.details["binary"],
                            f"--workload-configuration={o / 'traces' / _prefix(workload)}",
                            f"--system-configuration={o / 'system.json'}",
                            f"--remote-memory-configuration={o / 'memory.json'}",
                            f"--network-configuration={o / 'network.yml'}"), "astra-sim", cwd=o)]

    def collect(self, workload: AstraSimJob, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        summary = json.loads((out_dir / "workload.json").read_text(encoding="utf-8"))
        notes = tuple(workload.step.notes) + (
            f"compute durations rounded to whole µs (max cumulative error {summary['max_rounding_s'] * 1e6:.2f} µs)",)
        return [to_result(_stats(out_dir), hardware=workload.hardware, source="ASTRA-sim stdout", notes=notes,
                          expected_npus=workload.step.npus)]

    def parse(self, path: str | os.PathLike) -> EstimationResult:
        """ASTRA-sim standard output (a file, or a run folder with ``logs/astra-sim.stdout.log``)."""
        p = Path(path)
        if p.is_dir():
            return to_result(_stats(p), source=str(p))
        return to_result(parse_stdout(p), source=str(p))


def _stats(run_dir: Path) -> list:
    """The NPUs' stats from a run folder: graphs' captured stdout, else the build's own ``log/log.log`` (current
    ASTRA-sim builds write the same spdlog lines to both)."""
    from graphs_tools import ToolOutputError
    first = None
    for cand in (run_dir / "logs" / "astra-sim.stdout.log", run_dir / "log" / "log.log"):
        if cand.is_file():
            try:
                return parse_stdout(cand)
            except ToolOutputError as e:
                first = first or e
    raise first or ToolOutputError(f"{run_dir}: no ASTRA-sim output (logs/astra-sim.stdout.log or log/log.log)")
