"""Adapters for tools that are Python packages living in their own environment (:mod:`graphs_tools.envs`).

Such a tool is driven by a small *driver* script the adapter ships beside its code (data, not a
module graphs imports): the tool's own interpreter runs ``python <driver> jobs.json out.json``.
The driver imports the tool, runs every job of ``jobs.json`` and writes one record per job to
``out.json``::

    {"tool": "genz", "version": "0.0.16", "python": "3.11.7", "import_s": 3.4,
     "results": [{"ok": true, ...tool numbers...}, {"ok": false, "error": "ValueError: ..."}]}

A job that fails inside the tool is that job's failure (F2 with the tool's message); the others
still run. Because one process runs many jobs, :meth:`PythonToolAdapter.run_many` pays the
tool's import (GenZ: 3.5 s) once per batch instead of once per row.

Subclasses set ``package`` (a :class:`~graphs_tools.envs.PackageSpec`) and ``driver`` (the
driver's file name next to the subclass's module), and implement :meth:`job_document` (the
workload as the JSON the driver reads) and :meth:`result_from` (one driver record → an
:class:`~graphs.results.EstimationResult`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from graphs.errors import GraphsError
from graphs.results import EstimationResult
from graphs_tools.base import (DEFAULT_TIMEOUT_S, BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, ToolJobFailed,
                               ToolOutputError, ToolRun, classify_start_failure, run_command)
from graphs_tools.envs import PackageSpec, probe_code, run_env, tool_python

JOBS = "jobs.json"
OUT = "out.json"


class PythonToolAdapter(BaseToolAdapter):
    """A tool installed with ``graphs tools install`` (or ``$GRAPHS_<TOOL>_PYTHON``) and run through a driver."""

    package: PackageSpec
    batch_runs: bool = True     # run_many: every job of a batch in one driver process
    max_parallel: int = 1       # separate runs of this tool that may go at once
    driver: str = ""
    run_timeout_s: float = DEFAULT_TIMEOUT_S

    # --- what subclasses provide ---------------------------------------------------------------
    def job_document(self, workload: Any) -> dict[str, Any]:
        raise NotImplementedError

    def result_from(self, workload: Any, record: Mapping[str, Any], source: str) -> EstimationResult:
        raise NotImplementedError

    def install_hint(self) -> str:
        return f"graphs tools install {self.package.package}"

    # --- diagnosis --------------------------------------------------------------------------------
    def driver_path(self) -> Path:
        mod = sys.modules[type(self).__module__]
        p = Path(mod.__file__).with_name(self.driver)
        if not p.is_file():
            raise GraphsError(f"{self.name}: driver {p} is missing from the adapter package")
        return p

    def find_python(self) -> tuple[str | None, str, str]:
        """``(python, where, why_not)``: ``$GRAPHS_<TOOL>_PYTHON``, then the managed environment."""
        return tool_python(self.name, self.package)

    def job_status(self, record: Mapping[str, Any]) -> DiagnosisStatus:
        """How a failed driver record is classified (default: a runtime failure, F2)."""
        return DiagnosisStatus.RUNTIME_FAILURE

    def doctor(self) -> Diagnosis:
        return self.package_doctor(data=True)

    def package_doctor(self, data: bool = True) -> Diagnosis:
        """The interpreter, the package and its version; with ``data``, also :meth:`data_check`."""
        py, where, why = self.find_python()
        if py is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, why,
                                  f"{self.install_hint()} (its own environment; or set "
                                  f"{self.package.env_var(self.name)} to an interpreter that has it)")
        with tempfile.TemporaryDirectory(prefix=f"graphs-{self.name}-doctor-") as tmp:
            probe = run_command([py, "-c", probe_code(self.package)], log_dir=tmp, name="probe", timeout_s=120,
                                env=run_env(self.package))
            if not probe.ok:
                return self.diagnosis(classify_start_failure(probe), f"{py} does not start: {probe.describe()}",
                                      f"reinstall: {self.install_hint()} --force", python=py)
            out = probe.stdout().split()
        if not out or out[0] != "found":
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED,
                                  f"{self.package.module} is not importable by {py} ({where})",
                                  f"{self.install_hint()} --force", python=py)
        version = out[1] if len(out) > 1 else "unknown"
        extra = self.data_check(py) if data else None
        if extra is not None:
            return extra
        return self.diagnosis(DiagnosisStatus.OK, f"{self.package.package} {version} in {where}", python=py,
                              version=version, where=where)

    def data_check(self, python: str) -> Diagnosis | None:
        """Data the tool needs beyond its package (profiles, predictors); None when nothing is missing."""
        return None

    # --- inputs, run, outputs ---------------------------------------------------------------------------
    def write_inputs(self, workload: Any, out_dir: str | os.PathLike) -> list[Path]:
        """``jobs.json``: the driver's input (one job)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        p = out / JOBS
        p.write_text(json.dumps({"tool": self.name, "jobs": [self.job_document(workload)]}, indent=2, sort_keys=True),
                     encoding="utf-8")
        return [p]

    def invocations(self, workload: Any, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        o = out_dir.resolve()
        return [Invocation((diagnosis.details["python"], str(self.driver_path()), str(o / JOBS), str(o / OUT)),
                           self.name, cwd=o, env=run_env(self.package))]

    def collect(self, workload: Any, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        doc = read_driver_output(out_dir / OUT, expected=1)
        rec = doc["results"][0]
        if not rec.get("ok"):
            raise ToolJobFailed(f"the tool failed on this job: {rec.get('error', 'no reason given')}",
                                self.job_status(rec))
        return [self.result_from(workload, {**rec, "_tool_version": doc.get("version")}, str(out_dir / OUT))]

    def parse(self, path: str | os.PathLike) -> list[EstimationResult]:
        """A driver's ``out.json`` with the matching ``jobs.json`` beside it: one result per successful job."""
        p = Path(path)
        doc = read_driver_output(p)
        jobs = json.loads((p.parent / JOBS).read_text(encoding="utf-8"))["jobs"] if (p.parent / JOBS).is_file() else []
        out = []
        for i, rec in enumerate(doc["results"]):
            if rec.get("ok"):
                job = jobs[i] if i < len(jobs) else {}
                out.append(self.result_from(job, {**rec, "_tool_version": doc.get("version")}, str(p)))
        return out

    def run_many(self, workloads: Sequence[Any], out_dirs: Sequence[str | os.PathLike], *,
                 timeout_s: float | None = None) -> list[ToolRun]:
        """Every workload in one driver process (one import of the tool); one :class:`ToolRun` per workload,
        each with its own ``jobs.json``/``out.json`` slice in its own folder."""
        if len(workloads) != len(out_dirs):
            raise ValueError("one output folder per workload")
        t0 = time.monotonic()
        dirs = [Path(d) for d in out_dirs]
        inputs = [tuple(self.write_inputs(w, d)) for w, d in zip(workloads, dirs)]
        if not workloads:
            return []
        diag = self.doctor_for(workloads[0])
        runs: list[ToolRun | None] = [None] * len(workloads)
        if diag.ok:
            for i, (w, d) in enumerate(zip(workloads, dirs)):
                pre = self.preflight(w, d, diag)
                if not pre.ok:
                    runs[i] = self._finish(ToolRun(self.name, pre, d, inputs[i], wall_s=time.monotonic() - t0))
        if not diag.ok:
            return [self._finish(ToolRun(self.name, diag, d, ins, wall_s=time.monotonic() - t0))
                    for d, ins in zip(dirs, inputs)]
        todo = [i for i in range(len(workloads)) if runs[i] is None]
        if todo:
            batch = _batch_dir(dirs[todo[0]])
            batch.mkdir(parents=True, exist_ok=True)
            (batch / JOBS).write_text(json.dumps({"tool": self.name, "jobs": [self.job_document(workloads[i])
                                                                              for i in todo]}, indent=2),
                                      encoding="utf-8")
            limit = (timeout_s or self.run_timeout_s) + 30.0 * len(todo)
            res = run_command([diag.details["python"], str(self.driver_path()), str((batch / JOBS).resolve()),
                               str((batch / OUT).resolve())], log_dir=batch / "logs", name=self.name,
                              timeout_s=limit, cwd=batch, env=run_env(self.package))
            per = (time.monotonic() - t0) / len(todo)
            doc: dict[str, Any] | None = None
            why = ""
            if res.ok:
                try:
                    doc = read_driver_output(batch / OUT, expected=len(todo))
                except ToolOutputError as e:
                    why = str(e)
            else:
                why = res.describe()
            for k, i in enumerate(todo):
                d = dirs[i]
                if doc is None:
                    status = DiagnosisStatus.RUNTIME_FAILURE if res.timed_out or res.ok else classify_start_failure(res)
                    bad = self.diagnosis(status, why, f"see the logs in {batch / 'logs'}")
                    runs[i] = self._finish(ToolRun(self.name, bad, d, inputs[i], (res,), wall_s=per))
                    continue
                rec = doc["results"][k]
                (d / OUT).write_text(json.dumps({**{x: doc.get(x) for x in ("tool", "version", "python", "import_s")},
                                                 "batch": str(batch), "results": [rec]}, indent=2), encoding="utf-8")
                if not rec.get("ok"):
                    bad = self.diagnosis(self.job_status(rec),
                                         f"the tool failed on this job: {rec.get('error', 'no reason given')}",
                                         f"see {d / OUT}")
                    runs[i] = self._finish(ToolRun(self.name, bad, d, inputs[i], (res,), wall_s=per))
                    continue
                try:
                    result = self.result_from(workloads[i], {**rec, "_tool_version": doc.get("version")}, str(d / OUT))
                except GraphsError as e:
                    bad = self.diagnosis(DiagnosisStatus.RUNTIME_FAILURE, f"its output could not be parsed: {e}",
                                         f"see {d / OUT}")
                    runs[i] = self._finish(ToolRun(self.name, bad, d, inputs[i], (res,), wall_s=per))
                    continue
                runs[i] = self._finish(ToolRun(self.name, diag, d, inputs[i], (res,), (result,), per))
        return [r for r in runs if r is not None]


def _batch_dir(first: Path) -> Path:
    return first.parent / f"_batch-{first.name}"


def read_driver_output(path: str | os.PathLike, expected: int | None = None) -> dict[str, Any]:
    """A driver's ``out.json``, checked: a ``results`` list (of ``expected`` records)."""
    p = Path(path)
    if not p.is_file():
        raise ToolOutputError(f"{p}: the driver wrote no output")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ToolOutputError(f"{p}: not JSON ({e})") from None
    res = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(res, list) or not all(isinstance(r, dict) for r in res):
        raise ToolOutputError(f"{p}: no 'results' list of records")
    if expected is not None and len(res) != expected:
        raise ToolOutputError(f"{p}: {len(res)} result records for {expected} jobs")
    return doc
