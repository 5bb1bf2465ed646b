"""Every installed tool adapter on a suite: scope, inputs, cache, runs (batched or in parallel), outcomes.

For each adapter (the harness names none; it iterates over whatever is installed):

1. ``doctor()`` once; each row: ``compare_scope`` (F4 with the tool's reason) and ``compare_job``
   (F4 when the workload cannot be written); the inputs are always written to
   ``<work>/<tool>/<row>/`` so a manual run can use them;
2. not runnable here → every in-scope row gets the diagnosis (F1 install/build/data, F2 runtime);
3. the input files' hash (with the tool's version and the adapter's own code) is looked up in the
   tool-run cache (:class:`graphs_tools.ToolRunCache`); hits are replayed;
4. the rest run: in one driver process when the adapter batches (``run_many``, e.g. GenZ,
   llm-analysis), else ``max_parallel`` runs at a time (SCALE-Sim); successes go to the cache.

Adapters run concurrently with each other (``jobs`` threads; the tools are subprocesses).
"""

from __future__ import annotations

import hashlib
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Sequence

from graphs.errors import GraphsError
from graphs_compare.estimators import _label_gpus, held_out_evidence, training_gpus
from graphs_compare.facts import facts_for
from graphs_compare.model import EstimatorRun, Outcome
from graphs_compare.progress import NullProgress
from graphs_compare.scope import make_job, out_of_scope
from graphs_compare.suites import Suite

METRIC_KEYS = ("cycles", "cycles_incl_prefetch", "utilization", "clock_hz", "exposed_comm_cycles", "phase")


def adapter_fingerprint(adapter: Any) -> str:
    """Hash of the adapter package's code and data files (a changed parser or driver invalidates cached runs)."""
    mod = sys.modules.get(type(adapter).__module__)
    f = getattr(mod, "__file__", None)
    if not f:
        return ""
    h = hashlib.sha256()
    for p in sorted(Path(f).parent.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def _row_dir(work: Path, name: str, key: str) -> Path:
    return work / name / re.sub(r"[^\w.-]+", "_", key)


def _outcome_from_run(key: str, tr: Any) -> Outcome:
    if not tr.ok:
        return Outcome(key, failure=tr.diagnosis.failure_class or "F2", reason=tr.diagnosis.reason or "no result")
    return _outcome_from_results(key, list(tr.results))


def _outcome_from_results(key: str, results: Sequence[Any], cached: bool = False) -> Outcome:
    from graphs_tools import to_seconds
    try:
        value = to_seconds(results[0])
    except GraphsError as e:
        return Outcome(key, failure="F2", reason=str(e))
    m = results[0].metrics
    metrics = {k: m[k] for k in METRIC_KEYS if k in m}
    lay = m.get("layers")
    if isinstance(lay, list) and len(lay) == 1 and isinstance(lay[0], dict):
        for k in ("mapping_efficiency_pct", "compute_util_pct", "overall_util_pct"):
            if k in lay[0]:
                metrics[k] = lay[0][k]
    return Outcome(key, value, metrics=metrics, cached=cached)


def run_adapter(name: str, adapter: Any, suite: Suite, plugins: Any, work: Path, *, timeout_s: float,
                cache: Any, progress: Any) -> EstimatorRun:
    import time

    from graphs_tools import doctor, input_key

    t_start = time.monotonic()
    diag = doctor(adapter)
    run = EstimatorRun(name, "tool", getattr(adapter, "description", name), status=diag.status.value,
                       status_reason=diag.reason, fix=diag.fix)
    task = progress.task(name, len(suite.rows))
    fp = adapter_fingerprint(adapter)
    version = str(diag.details.get("version", "")) if diag.ok else ""
    todo: list[tuple[Any, Any, Path, str]] = []
    for row in suite.rows:
        why = out_of_scope(name, row, plugins, adapter)
        if why:
            run.outcomes[row.key] = Outcome(row.key, failure="F4", reason=why)
            progress.advance(task)
            continue
        out = _row_dir(work, name, row.key)
        try:
            job = make_job(name, row, suite, plugins, adapter)
            files = adapter.write_inputs(job, out)       # the inputs a manual run would use
        except GraphsError as e:
            run.outcomes[row.key] = Outcome(row.key, failure="F4", reason=f"cannot write its input: {e}")
            progress.advance(task)
            continue
        if not diag.ok:
            run.outcomes[row.key] = Outcome(row.key, failure=diag.failure_class, reason=diag.reason)
            progress.advance(task)
            continue
        key = input_key(name, files, out, tool_version=version, adapter_version=fp)
        hit = cache.get(name, key) if cache is not None else None
        if hit:
            run.outcomes[row.key] = _outcome_from_results(row.key, hit, cached=True)
            progress.advance(task, note="cached")
            continue
        todo.append((row, job, out, key))
    first_wall = None
    if todo:
        if getattr(adapter, "batch_runs", False) and callable(getattr(adapter, "run_many", None)):
            progress.advance(task, 0, note=f"{len(todo)} job(s) in one process")
            truns = adapter.run_many([j for _, j, _, _ in todo], [o for _, _, o, _ in todo], timeout_s=timeout_s)
            pairs = list(zip(todo, truns))
            for (row, _, _, key), tr in pairs:
                _record(run, row, key, tr, cache, name)
                progress.advance(task)
            if truns:   # one process ran them all: the first prediction came with the whole batch
                first_wall = sum(tr.wall_s for tr in truns)
        else:
            par = max(1, int(getattr(adapter, "max_parallel", 1) or 1))
            with ThreadPoolExecutor(max_workers=par) as ex:
                futs = {ex.submit(adapter.run, job, out, timeout_s=timeout_s): (row, key) for row, job, out, key in todo}
                for fut in as_completed(futs):
                    row, key = futs[fut]
                    tr = fut.result()
                    _record(run, row, key, tr, cache, name)
                    if tr.ok and (first_wall is None or tr.wall_s < first_wall):
                        first_wall = tr.wall_s
                    progress.advance(task, note=f"{row.key} {tr.wall_s:.0f} s")
    if first_wall is not None:
        run.ttfp_s, run.ttfp_how = first_wall, "tool run(s) here: inputs, doctor, the tool's process(es), parse"
    elif any(o.cached for o in run.outcomes.values()):
        run.ttfp_how = "every row replayed from the tool-run cache (no run in this comparison)"
    progress.finish(task)
    f = facts_for(name, adapter)
    run.composition = {"levels": f.get("levels", ()), "rows": 0, "scope": f.get("scope", ""),
                       "source": f.get("source", "")}
    if run.predictions() and name == "neusight" and suite.data_root is not None:
        root = suite.data_root
        run.held_out.update(held_out_evidence(run, suite, fitted=True, train=training_gpus(root),
                                              published={}, label_gpus=_label_gpus(root), method=name))
    elif run.predictions() and f.get("fitted") is False:
        run.held_out.update(analytical_held_out(run, suite))
    elif run.predictions():
        unknown = {"why": "the tool's training set is not known to the harness"}
        run.held_out.update(workload=unknown, hardware=unknown)
    cached = sum(o.cached for o in run.outcomes.values())
    if cached:
        run.notes.append(f"{cached} row(s) replayed from the tool-run cache ({cache.root})")
    run.wall_s = time.monotonic() - t_start
    return run


def _record(run: EstimatorRun, row: Any, key: str, tr: Any, cache: Any, name: str) -> None:
    o = _outcome_from_run(row.key, tr)
    run.outcomes[row.key] = o
    if o.ok and cache is not None:
        cache.put(name, key, list(tr.results), {"row": row.key, "wall_s": tr.wall_s, "output_dir": str(tr.output_dir)})


def tool_runs(suite: Suite, plugins: Any, *, work_dir: str | Path | None = None, timeout_s: float = 600.0,
              cache: Any = None, progress: Any = None, jobs: int = 4, only: Any = None) -> list[EstimatorRun]:
    """An :class:`EstimatorRun` per installed adapter (``only(name)`` filters), adapters in parallel."""
    progress = progress or NullProgress()
    names = [n for n in sorted(plugins.tools) if only is None or only(n)]
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="graphs-compare-tools-")
        work_dir = tmp.name
    work = Path(work_dir)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            futs = {n: ex.submit(run_adapter, n, plugins.tools[n][0], suite, plugins, work, timeout_s=timeout_s,
                                 cache=cache, progress=progress) for n in names}
            return [futs[n].result() for n in names]
    finally:
        if tmp is not None:
            tmp.cleanup()


def analytical_held_out(run: EstimatorRun, suite: Suite) -> dict[str, Any]:
    """D3 evidence of an estimator that fits nothing: every row with ground truth is held out (workload),
    and so is every device (hardware) when the suite has more than one."""
    from graphs import metrics
    pairs = [(o.predicted_s, suite.row(k).measured_s) for k, o in run.outcomes.items()
             if o.ok and suite.row(k).measured_s]
    if not pairs:
        return {"workload": {"why": "no rows with ground truth"}, "hardware": {"why": "no rows with ground truth"}}
    mape = metrics.mape([p for p, _ in pairs], [m for _, m in pairs])
    models = {suite.row(k).model for k in run.predictions() if suite.row(k).measured_s}
    devs = {suite.row(k).hardware for k in run.predictions() if suite.row(k).measured_s}
    w = {"mape": mape, "n": len(pairs), "what": f"{len(models)} workload(s)", "how": "nothing is fitted: every row "
         "is held out"}
    h = dict(w, what=f"{len(devs)} devices") if len(devs) > 1 else {"why": f"one device ({', '.join(sorted(devs))})"}
    return {"workload": w, "hardware": h}
