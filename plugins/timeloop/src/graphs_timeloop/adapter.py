"""The Timeloop adapter: write, run (``timeloop-mapper`` per unique layer), parse, diagnose."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from graphs.hardware.schema import HardwareSpec
from graphs.ir import Graph
from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate
from graphs_tools import (BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, ToolInputError,
                          classify_start_failure, point_result, resolve_executable, run_command)
from graphs_timeloop import yamlio
from graphs_timeloop.arch import ArchConfig, MapperConfig
from graphs_timeloop.problem import Layer, TimeloopWorkload, layers_from_graph
from graphs_timeloop.stats import TimeloopStats, parse_stats

ENV_BIN = "GRAPHS_TIMELOOP_BIN"
ENV_ACCELERGY = "GRAPHS_ACCELERGY_BIN"
INSTALL = ("build Timeloop v0.4 and Accelergy from source (https://timeloop.csail.mit.edu/v4/installation) or use "
           "the timeloopfe Docker image, then put timeloop-mapper on PATH or set GRAPHS_TIMELOOP_BIN=/path/to/"
           "timeloop-mapper")


@dataclass(frozen=True)
class TimeloopJob:
    """What the adapter runs: layers (problems), the architecture and the mapper settings."""

    workload: TimeloopWorkload
    arch: ArchConfig = field(default_factory=ArchConfig)
    mapper: MapperConfig = field(default_factory=MapperConfig)
    hardware: str = ""

    @classmethod
    def from_graph(cls, graph: Graph, hardware: HardwareSpec | ArchConfig | None = None, registry: Any = None,
                   mapper: MapperConfig | None = None, **arch_overrides: Any) -> "TimeloopJob":
        if registry is None:
            from graphs.plugins import get_plugins
            registry = get_plugins().ops
        if isinstance(hardware, HardwareSpec):
            arch, hw = ArchConfig.from_spec(hardware, **arch_overrides), hardware.id
        else:
            arch, hw = hardware or ArchConfig(**arch_overrides), ""
        return cls(layers_from_graph(graph, registry), arch, mapper or MapperConfig(), hw)


def _dirname(i: int, layer: Layer) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in layer.name)[:60]
    return f"{i:03d}_{safe}"


class TimeloopAdapter(BaseToolAdapter):
    name = "timeloop"
    description = "Timeloop v0.4 + Accelergy: loop-nest mapping search for conv/matmul layers on a spatial accelerator"
    homepage = "https://timeloop.csail.mit.edu"

    # --- diagnosis --------------------------------------------------------------------------------
    compare_facts = {
        "install": "build Timeloop + Accelergy from source (or their Docker image); not on a package registry",
        "one_step": False, "formats": "Timeloop problem YAML (conv/matmul loop nests; graphs writes it from the IR)",
        "standard_formats": False, "scope": "conv/matmul layers on a spatial accelerator, layers summed",
        "levels": ("kernel", "model"), "source": "timeloop.csail.mit.edu; docs/tools/timeloop.md"}

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        spec = plugins.hardware_entry(row.hardware).spec
        if spec.family != "accel":
            return (f"Timeloop models spatial accelerators (PE array, explicit buffers); {row.hardware} is a "
                    f"{spec.family.upper()}: SIMT cores, caches and kernel launches are outside its model")
        if row.family != "cnn":
            return "a transformer's softmax, layer norm and elementwise ops are outside Timeloop's conv/matmul problems"
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> "TimeloopJob":
        from graphs.frontends import LoadOptions, load_model
        graph = load_model(row.model, LoadOptions(batch=row.batch, seq_len=row.seq), plugins)
        return TimeloopJob.from_graph(graph, plugins.hardware_entry(row.hardware).spec, plugins.ops)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        accel = sorted(h for h, e in plugins.hardware.items() if e.family == "accel")
        if not accel:
            return None
        a = ArchConfig.from_spec(plugins.hardware_entry(accel[0]).spec)
        return True, f"verified: arch.yaml generated from a graphs spec ({accel[0]}: {a.name})"

    def doctor(self) -> Diagnosis:
        exe, why = resolve_executable(["timeloop-mapper"], ENV_BIN)
        if exe is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, f"Timeloop is not installed: {why}", INSTALL)
        acc, why_acc = resolve_executable(["accelergy"], ENV_ACCELERGY)
        with tempfile.TemporaryDirectory(prefix="graphs-timeloop-doctor-") as tmp:
            probe = run_command([exe], log_dir=tmp, name="probe", timeout_s=30)
            if probe.timed_out:
                return self.diagnosis(DiagnosisStatus.RUNTIME_FAILURE, f"{exe} without arguments did not exit in 30 s",
                                      "check the Timeloop build", binary=str(exe))
            if classify_start_failure(probe) is DiagnosisStatus.BUILD_FAILURE:
                return self.diagnosis(DiagnosisStatus.BUILD_FAILURE, f"{exe} cannot start: {probe.describe()}",
                                      "rebuild Timeloop (scons) and check LD_LIBRARY_PATH for libtimeloop/libconfig++/"
                                      "yaml-cpp", binary=str(exe))
        if acc is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED,
                                  f"Accelergy is not installed ({why_acc}): Timeloop v0.4 calls it for the energy tables",
                                  "pip install accelergy (and its plug-ins) from https://github.com/Accelergy-Project, "
                                  "or set GRAPHS_ACCELERGY_BIN", binary=str(exe))
        return self.diagnosis(DiagnosisStatus.OK, f"timeloop-mapper at {exe}, accelergy at {acc}",
                              binary=str(exe), accelergy=str(acc))

    # --- inputs -----------------------------------------------------------------------------------
    def write_inputs(self, workload: TimeloopJob | TimeloopWorkload, out_dir: str | os.PathLike) -> list[Path]:
        """``arch.yaml``, ``mapper.yaml`` and ``layers/<i>_<name>/prob.yaml`` per unique layer."""
        job = workload if isinstance(workload, TimeloopJob) else TimeloopJob(workload)
        out = Path(out_dir)
        if not job.workload.layers:
            raise ToolInputError(f"{job.workload.name}: no conv/matmul layer for Timeloop "
                                 f"(skipped kinds: {dict(job.workload.skipped) or 'none'})")
        paths = [yamlio.write(out / "arch.yaml", job.arch.document(), "written by graphs-timeloop"),
                 yamlio.write(out / "mapper.yaml", job.mapper.document(), "written by graphs-timeloop")]
        for i, layer in enumerate(job.workload.unique()):
            header = f"graphs-timeloop: {layer.name} ({layer.kind}) x{layer.count}"
            paths.append(yamlio.write(out / "layers" / _dirname(i, layer) / "prob.yaml", layer.problem(), header))
        return paths

    def invocations(self, workload: Any, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis) -> list[Invocation]:
        exe = diagnosis.details["binary"]
        arch, mapper = (out_dir / "arch.yaml").resolve(), (out_dir / "mapper.yaml").resolve()
        env = {}
        if diagnosis.details.get("accelergy"):
            acc_dir = str(Path(diagnosis.details["accelergy"]).parent)
            env["PATH"] = acc_dir + os.pathsep + os.environ.get("PATH", "")
        invs = []
        for prob in sorted(p for p in inputs if p.name == "prob.yaml"):
            invs.append(Invocation((exe, str(arch), str(prob.resolve()), str(mapper)), f"mapper-{prob.parent.name}",
                                   cwd=prob.parent, env=env or None))
        return invs

    # --- outputs ----------------------------------------------------------------------------------
    def collect(self, workload: TimeloopJob | TimeloopWorkload, out_dir: Path, inputs: Sequence[Path]
                ) -> list[EstimationResult]:
        job = workload if isinstance(workload, TimeloopJob) else TimeloopJob(workload)
        per_layer = [(layer, parse_stats(out_dir / "layers" / _dirname(i, layer)))
                     for i, layer in enumerate(job.workload.unique())]
        return [compose(job, per_layer)]

    def parse(self, path: str | os.PathLike) -> EstimationResult:
        """One stats file (or a folder holding ``timeloop-{mapper,model}.stats.txt``)."""
        return parse_stats(path).to_result()


def compose(job: TimeloopJob, per_layer: list[tuple[Layer, TimeloopStats]]) -> EstimationResult:
    """Model result: Σ count·cycles (layers run one after another), Σ count·energy; one kernel per layer."""
    clock = job.arch.clock_hz
    cycles = sum(layer.count * st.cycles for layer, st in per_layer)
    energy = sum(layer.count * st.energy_j for layer, st in per_layer)
    breakdown = []
    for layer, st in per_layer:
        t = layer.count * st.cycles / clock
        breakdown.append(KernelEstimate(
            name=f"{layer.name}x{layer.count}", kind=layer.kind, category="conv" if layer.kind == "conv" else "matmul",
            nodes=layer.nodes, flops=2.0 * layer.macs * layer.count, bytes=0.0, time_s=t, low_s=t, high_s=t,
            bound=st.bound, confidence=ConfidenceLevel.THEORETICAL,
            unit="pe_array", energy_j=layer.count * st.energy_j))
    notes = ("layers run back to back: model cycles are the sum over layers",
             f"non-contraction ops not modelled by Timeloop: {dict(job.workload.skipped) or 'none'}") + job.arch.notes
    metrics = {"cycles": cycles, "clock_hz": clock, "latency_s": cycles / clock, "energy_j": energy,
               "layers": len(job.workload.layers), "unique_layers": len(per_layer), "macs": job.workload.macs,
               "skipped_ops": dict(job.workload.skipped),
               "per_layer": [{"name": layer.name, "count": layer.count, "cycles": st.cycles, "energy_j": st.energy_j,
                              "utilization": st.utilization} for layer, st in per_layer]}
    return point_result(cycles, "cycles", estimator="timeloop", hardware=job.hardware, source="timeloop-mapper",
                        notes=notes, metrics=metrics, breakdown=breakdown)

