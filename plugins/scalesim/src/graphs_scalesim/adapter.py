"""The SCALE-Sim adapter: layers on one systolic array → ``.cfg`` + topology + layout → cycles, utilization.

SCALE-Sim (``scalesim`` 3.0.0 on PyPI; Samajdar et al., ISPASS'20; v3 2025) is a cycle-level
simulator of one systolic array: it generates every operand's SRAM/DRAM address trace fold by
fold, so its time grows with the cycles it simulates (minutes per large layer; graphs caches its
runs by input hash). It needs numpy < 2, hence its own environment
(``graphs tools install scalesim``). The adapter writes the three native input files (runnable
by hand: ``python -m scalesim.scale -c scale.cfg -t topology.csv -l layout.csv -p out``) and runs
them through ``scalesim_driver.py`` (the API with ``save_disk_space=True``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from graphs.results import EstimationResult
from graphs_tools import Diagnosis, Invocation, PackageSpec, PythonToolAdapter, ToolInputError
from graphs_tools.envs import run_env
from graphs_scalesim.config import ScaleSimJob, ScaleSimLayer
from graphs_scalesim.output import read_reports, report_dir, to_result

PACKAGE = PackageSpec("scalesim", ("scalesim==3.0.0", "numpy<2"), module="scalesim", constraints=("numpy<2",))
RUN_DIR = "scalesim_out"


class ScaleSimAdapter(PythonToolAdapter):
    name = "scalesim"
    description = "SCALE-Sim v3: cycle-level simulator of a systolic array (conv/GEMM layers, ws/os/is dataflows)"
    homepage = "https://github.com/scalesim-project/scale-sim-v3"
    package = PACKAGE
    driver = "scalesim_driver.py"
    batch_runs = False          # one process per job; jobs run in parallel instead
    max_parallel = 2

    compare_facts = {
        "fitted": False,
        "install": "pip install scalesim numpy<2 (`graphs tools install scalesim`: its own environment)",
        "one_step": True,
        "formats": "topology CSV of conv/GEMM layers (graphs writes it from the IR)", "standard_formats": False,
        "scope": "one systolic array, layer by layer: compute cycles, utilization, SRAM/DRAM traffic",
        "levels": ("kernel", "model"), "hw_by_config": True,
        "hw_how": "a .cfg of array height/width, SRAM sizes, bandwidth and dataflow",
        "source": "pypi.org/project/scalesim; docs/tools/scalesim.md"}

    def job_document(self, workload: ScaleSimJob) -> dict[str, Any]:   # used only for cache keys by callers
        return {"cfg": workload.cfg_text(), "topology": workload.topology_text()}

    def write_inputs(self, workload: ScaleSimJob, out_dir: str | os.PathLike) -> list[Path]:
        """``scale.cfg``, ``topology.csv``, ``layout.csv``."""
        return workload.write(out_dir)

    def invocations(self, workload: ScaleSimJob, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        o = out_dir.resolve()
        return [Invocation((diagnosis.details["python"], str(self.driver_path()), str(o / "scale.cfg"),
                            str(o / "topology.csv"), str(o / "layout.csv"), str(o / RUN_DIR), "conv"),
                           self.name, cwd=o, env=run_env(self.package))]

    def collect(self, workload: ScaleSimJob, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        d = out_dir / RUN_DIR / workload.run_name
        return [to_result(read_reports(d), names=[layer.name for layer in workload.layers],
                          macs=[layer.macs for layer in workload.layers], array=(workload.rows, workload.cols),
                          clock_hz=workload.clock_hz, hardware=workload.hardware, source=str(d),
                          notes=workload.notes + (f"{workload.rows}x{workload.cols} array, {workload.dataflow}",))]

    def parse(self, path: str | os.PathLike) -> EstimationResult:
        """A SCALE-Sim run folder (or its ``COMPUTE_REPORT.csv``)."""
        d = report_dir(path)
        return to_result(read_reports(d), source=str(d))

    # --- what graphs compare asks -----------------------------------------------------------------
    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        if "layer" not in row.extra:
            spec = plugins.hardware_entry(row.hardware).spec
            return (f"SCALE-Sim simulates conv/GEMM layers on one systolic array; this row is a whole model on "
                    f"{row.hardware} (a {spec.family}), with its non-matrix ops and memory system")
        if row.extra.get("dataflow", "ws") not in ("ws", "os", "is"):
            return f"dataflow {row.extra['dataflow']} is not one of SCALE-Sim's"
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> ScaleSimJob:
        lay = dict(row.extra["layer"])
        kind = lay.pop("kind")
        if kind == "conv":
            layer = ScaleSimLayer.conv(lay["name"], lay["h"], lay["w"], lay["kh"], lay["kw"], lay["c_in"], lay["c_out"],
                                       lay.get("stride", 1), lay.get("pad", 0))
        elif kind == "gemm":
            layer = ScaleSimLayer.gemm(lay["name"], lay["m"], lay["n"], lay["k"])
        else:
            raise ToolInputError(f"{row.key}: layer kind {kind!r} is neither conv nor gemm")
        arr = row.extra.get("array", {})
        spec = plugins.hardware_entry(row.hardware).spec
        job = ScaleSimJob.from_spec([layer], spec, dataflow=row.extra.get("dataflow", "ws"))
        if arr and (arr.get("rows"), arr.get("cols")) != (job.rows, job.cols):
            from dataclasses import replace
            job = replace(job, rows=int(arr["rows"]), cols=int(arr["cols"]))
        return job

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        accel = sorted(h for h, e in plugins.hardware.items() if e.family == "accel"
                       and "array_rows" in (e.spec.family_params or {}))
        if not accel:
            return None
        job = ScaleSimJob.from_spec([ScaleSimLayer.gemm("probe", 8, 8, 8)], plugins.hardware_entry(accel[0]).spec)
        return True, f"verified: scale.cfg written from a graphs accel spec ({accel[0]}: {job.rows}x{job.cols} array)"
