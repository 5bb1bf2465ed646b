"""The Timeloop adapter: write v4 specifications, run them through timeloopfe per unique layer, parse, diagnose.

Current Timeloop (master, with Accelergy 0.4) takes v4 specifications only through its Python
front end, timeloopfe: the adapter writes ``arch.yaml``, ``components.yaml`` (the compound
components the template uses), ``variables.yaml`` (``technology``, ``global_cycle_seconds``),
``mapper.yaml`` and one ``prob.yaml`` per unique layer, and runs ``timeloop_driver.py`` with the
interpreter that has timeloopfe (``$GRAPHS_TIMELOOP_PYTHON``, else the one running ``accelergy``,
else ``python3``), which calls ``timeloop-mapper`` through ``timeloopfe.v4.call_mapper``.
"""

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
from graphs_timeloop.problem import Layer, TimeloopWorkload, gemm_layer, layers_from_graph
from graphs_timeloop.stats import TimeloopStats, parse_stats

ENV_BIN = "GRAPHS_TIMELOOP_BIN"
ENV_ACCELERGY = "GRAPHS_ACCELERGY_BIN"
ENV_PYTHON = "GRAPHS_TIMELOOP_PYTHON"
SPEC_FILES = ("arch.yaml", "components.yaml", "variables.yaml", "mapper.yaml")
INSTALL = ("build Timeloop and Accelergy from source with the timeloopfe front end "
           "(https://timeloop.csail.mit.edu/v4/installation) or use the timeloop-accelergy Docker image; put "
           "timeloop-mapper and accelergy on PATH (or set GRAPHS_TIMELOOP_BIN / GRAPHS_ACCELERGY_BIN) and, if "
           "timeloopfe lives in another interpreter, GRAPHS_TIMELOOP_PYTHON")
FRONTEND_PROBE = ("import sys\ntry:\n    import pytimeloop.timeloopfe.v4 as tl\n    print('pytimeloop.timeloopfe.v4')\n"
                  "except ImportError:\n    import timeloopfe.v4 as tl\n    print('timeloopfe.v4')\n")


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
    description = "Timeloop + Accelergy (v4 specs via timeloopfe): loop-nest mapping search for conv/matmul layers"
    homepage = "https://timeloop.csail.mit.edu"

    # --- diagnosis --------------------------------------------------------------------------------
    compare_facts = {
        "fitted": False,
        "install": "build Timeloop + Accelergy from source (or their Docker image); not on a package registry",
        "one_step": False, "formats": "Timeloop problem YAML (conv/matmul loop nests; graphs writes it from the IR)",
        "standard_formats": False, "scope": "conv/matmul layers on a spatial accelerator, layers summed",
        "levels": ("kernel", "model"), "source": "timeloop.csail.mit.edu; docs/tools/timeloop.md"}

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        spec = plugins.hardware_entry(row.hardware).spec
        if spec.family != "accel":
            return (f"Timeloop models spatial accelerators (PE array, explicit buffers); {row.hardware} is a "
                    f"{spec.family.upper()}: SIMT cores, caches and kernel launches are outside its model")
        if "layer" in row.extra:
            return None
        if row.family != "cnn":
            return "a transformer's softmax, layer norm and elementwise ops are outside Timeloop's conv/matmul problems"
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> "TimeloopJob":
        spec = plugins.hardware_entry(row.hardware).spec
        if "layer" in row.extra:      # one conv/GEMM layer (accel suite): its problem on one array of the device
            lay = row.extra["layer"]
            if lay["kind"] == "conv":
                s, p = int(lay.get("stride", 1)), int(lay.get("pad", 0))
                q = (int(lay["h"]) + 2 * p - int(lay["kh"])) // s + 1
                pw = (int(lay["w"]) + 2 * p - int(lay["kw"])) // s + 1
                layer = Layer(name=lay["name"], kind="conv", N=1, C=int(lay["c_in"]), M=int(lay["c_out"]),
                              R=int(lay["kw"]), S=int(lay["kh"]), P=pw, Q=q, H=int(lay["h"]), W=int(lay["w"]),
                              Hstride=s, Wstride=s, Hpad=p, Wpad=p)
            else:
                layer = gemm_layer(lay["name"], int(lay["m"]), int(lay["n"]), int(lay["k"]))
            arr = row.extra.get("array", {})
            over = {"pe_rows": int(arr["rows"]), "pe_cols": int(arr["cols"])} if arr else {}
            return TimeloopJob(TimeloopWorkload(lay["name"], (layer,)), ArchConfig.from_spec(spec, **over),
                               hardware=spec.id)
        from graphs.frontends import LoadOptions, load_model
        graph = load_model(row.model, LoadOptions(batch=row.batch, seq_len=row.seq), plugins)
        return TimeloopJob.from_graph(graph, spec, plugins.ops)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        accel = sorted(h for h, e in plugins.hardware.items() if e.family == "accel")
        if not accel:
            return None
        a = ArchConfig.from_spec(plugins.hardware_entry(accel[0]).spec)
        return True, f"verified: arch.yaml generated from a graphs spec ({accel[0]}: {a.name})"

    def _frontend_python(self, accelergy: Path | None) -> tuple[list[str], str]:
        """Interpreters to try for timeloopfe, and where the first came from."""
        import shutil
        raw = os.environ.get(ENV_PYTHON, "").strip()
        if raw:
            return [raw], f"${ENV_PYTHON}"
        cands = []
        if accelergy is not None:
            try:
                first = accelergy.read_bytes()[:256].split(b"\n", 1)[0].decode("utf-8", "replace")
            except OSError:
                first = ""
            if first.startswith("#!") and "python" in first:
                parts = first[2:].split()
                cands.append(parts[-1] if parts and parts[0].endswith("env") else parts[0])
        py3 = shutil.which("python3")
        if py3:
            cands.append(py3)
        return cands, "the interpreter running accelergy, then python3 on PATH"

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
                                      f"Accelergy is not installed ({why_acc}): Timeloop calls it for the energy tables",
                                      "pip install accelergy (and its plug-ins) from https://github.com/Accelergy-Project,"
                                      " or set GRAPHS_ACCELERGY_BIN", binary=str(exe))
            pys, where = self._frontend_python(acc)
            for i, py in enumerate(pys):
                fe = run_command([py, "-c", FRONTEND_PROBE], log_dir=tmp, name=f"frontend{i}", timeout_s=120)
                if fe.ok:
                    return self.diagnosis(DiagnosisStatus.OK, f"timeloop-mapper at {exe}, accelergy at {acc}, "
                                          f"{fe.stdout().strip()} in {py}", binary=str(exe), accelergy=str(acc),
                                          python=py, frontend=fe.stdout().strip())
        return self.diagnosis(DiagnosisStatus.NOT_INSTALLED,
                              f"the timeloopfe front end is not importable ({where}: {', '.join(pys) or 'none'}); "
                              "current Timeloop reads v4 specifications only through it",
                              f"pip install timeloopfe (or timeloop-python) into the interpreter that runs accelergy, "
                              f"or set {ENV_PYTHON}", binary=str(exe), accelergy=str(acc))

    # --- inputs -----------------------------------------------------------------------------------
    def write_inputs(self, workload: TimeloopJob | TimeloopWorkload, out_dir: str | os.PathLike) -> list[Path]:
        """``arch.yaml``, ``components.yaml``, ``variables.yaml``, ``mapper.yaml`` (timeloopfe v4) and
        ``layers/<i>_<name>/prob.yaml`` per unique layer."""
        job = workload if isinstance(workload, TimeloopJob) else TimeloopJob(workload)
        out = Path(out_dir)
        if not job.workload.layers:
            raise ToolInputError(f"{job.workload.name}: no conv/matmul layer for Timeloop "
                                 f"(skipped kinds: {dict(job.workload.skipped) or 'none'})")
        paths = [yamlio.write(out / "arch.yaml", job.arch.document(), "written by graphs-timeloop (timeloopfe v4)"),
                 yamlio.write(out / "components.yaml", job.arch.components_document(), "written by graphs-timeloop"),
                 yamlio.write(out / "variables.yaml", job.arch.variables_document(), "written by graphs-timeloop"),
                 yamlio.write(out / "mapper.yaml", job.mapper.document(), "written by graphs-timeloop")]
        for i, layer in enumerate(job.workload.unique()):
            header = f"graphs-timeloop: {layer.name} ({layer.kind}) x{layer.count}"
            paths.append(yamlio.write(out / "layers" / _dirname(i, layer) / "prob.yaml", layer.problem(), header))
        return paths

    def invocations(self, workload: Any, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis) -> list[Invocation]:
        """One timeloopfe run per unique layer: ``python timeloop_driver.py <layer dir> <spec files> prob.yaml``."""
        exe = Path(diagnosis.details["binary"])
        dirs = [str(exe.parent)]
        if diagnosis.details.get("accelergy"):
            dirs.append(str(Path(diagnosis.details["accelergy"]).parent))
        env = {"PATH": os.pathsep.join(dirs + [os.environ.get("PATH", "")])}
        driver = str(Path(__file__).with_name("timeloop_driver.py"))
        spec = [str((out_dir / f).resolve()) for f in SPEC_FILES]
        invs = []
        for prob in sorted(p for p in inputs if p.name == "prob.yaml"):
            invs.append(Invocation((diagnosis.details["python"], driver, str(prob.parent.resolve()), *spec,
                                    str(prob.resolve())), f"mapper-{prob.parent.name}", cwd=prob.parent, env=env))
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

