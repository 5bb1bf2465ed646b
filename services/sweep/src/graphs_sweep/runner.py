"""Running a sweep: keys, resumption, tasks, and the executor that runs them.

Executors (same task function, same rows):

* ``workers=1`` — in this process;
* ``workers=N`` — a local process pool (``concurrent.futures``), each worker with its own plugin
  registry, family engines, traced graphs and analyses (:mod:`graphs_sweep.engine`);
* ``ray`` — tasks on a Ray cluster: ``ray=True`` starts a local one for the run, ``ray="auto"``
  or ``"ray://host:port"`` connects to an existing one (graphs and the same plugins must be
  installed on its nodes).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from graphs.errors import GraphsError

from graphs_sweep import table
from graphs_sweep.spec import Point, SweepSpec, device_fingerprint, group_points

DONE = ("ok", "refused")      # statuses a re-run skips; "error" rows are retried


@dataclass
class SweepResult:
    rows: list[dict[str, Any]]
    computed: int
    skipped: int
    elapsed_s: float
    tasks: int
    executor: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def points_per_s(self) -> float:
        return self.computed / self.elapsed_s if self.elapsed_s > 0 else 0.0


def keyed_points(spec: SweepSpec, plugins: Any) -> list[tuple[Point, str]]:
    import graphs
    fps: dict[str, str] = {}
    out = []
    for p in spec.points():
        fp = fps.get(p.hardware)
        if fp is None:
            fp = fps[p.hardware] = device_fingerprint(p.hardware, plugins)
        out.append((p, p.key(graphs.__version__, fp)))
    return out


def make_tasks(todo: Sequence[tuple[Point, str]], workers: int) -> list[tuple[list[Point], list[str]]]:
    """Groups of points sharing a trace; large groups are split so every worker has several tasks
    (each chunk then analyses its graph once itself)."""
    keys = {id(p): k for p, k in todo}
    groups = group_points([p for p, _ in todo])
    target = 4 * workers if workers > 1 else 1
    per = math.ceil(target / max(1, len(groups)))
    tasks = []
    for g in groups:
        n = min(per, len(g))
        size = math.ceil(len(g) / n)
        for i in range(0, len(g), size):
            chunk = g[i:i + size]
            tasks.append((chunk, [keys[id(p)] for p in chunk]))
    return tasks


def _graphs_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("GRAPHS_")}


# --- executors ----------------------------------------------------------------------------------
def _in_process(tasks: Sequence[tuple[list[Point], list[str]]]) -> Iterator[list[dict[str, Any]]]:
    from graphs_sweep.engine import run_task
    for pts, keys in tasks:
        yield run_task(pts, keys)


def _pool(tasks: Sequence[tuple[list[Point], list[str]]], workers: int) -> Iterator[list[dict[str, Any]]]:
    import concurrent.futures as cf
    import multiprocessing as mp

    from graphs_sweep.engine import init_worker, run_task
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method),
                                initializer=init_worker, initargs=(_graphs_env(),))
    try:
        futures = [ex.submit(run_task, pts, keys) for pts, keys in tasks]
        for f in cf.as_completed(futures):
            yield f.result()
    except BaseException:
        ex.shutdown(wait=False, cancel_futures=True)    # Ctrl-C: no new task starts; the parts are kept
        raise
    ex.shutdown(wait=True)


def ray_tasks(tasks: Sequence[tuple[list[Point], list[str]]], address: str | None,
              workers: int | None) -> Iterator[list[dict[str, Any]]]:
    host = (address or "").split("://")[-1].rsplit(":", 1)[0]
    if address is None or host in ("127.0.0.1", "localhost", "::1", "[::1]"):
        # a cluster on this machine: Ray's node address on the loopback interface, not the host's
        # network address (Ray's own switch for single-machine clusters; read when ray is imported)
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise GraphsError("--ray: Ray is not installed (pip install 'ray>=2.9')") from None
    if address and address != "auto":
        _probe(address)
    started = False
    if not ray.is_initialized():
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        env = _graphs_env()
        if address:
            kw["address"] = address
            if env:
                kw["runtime_env"] = {"env_vars": env}
        else:
            kw["num_cpus"] = workers or os.cpu_count() or 1
        try:
            ray.init(**kw)
        except Exception as e:
            raise GraphsError(f"--ray{' ' + address if address else ''}: cannot start or reach a Ray cluster "
                              f"({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
        started = True
    try:
        from graphs_sweep.engine import run_task
        remote = ray.remote(num_cpus=1, max_retries=1)(run_task)
        pending = [remote.remote(pts, keys) for pts, keys in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def _probe(address: str, timeout_s: float = 3.0) -> None:
    """Fail in one line, at once, when nothing listens at a Ray address (ray.init would wait minutes)."""
    import socket
    hostport = address.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise GraphsError(f"--ray-address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise GraphsError(f"--ray-address {address}: no Ray cluster answers there ({e.strerror or e})") from None


# --- the sweep ----------------------------------------------------------------------------------
def run_sweep(spec: SweepSpec, output: Path | None, plugins: Any, *, workers: int = 1, ray: bool | str = False,
              fresh: bool = False, progress: bool | None = None, meta: dict[str, Any] | None = None,
              pool: bool = False,
              on_rows: Callable[[list[dict[str, Any]]], None] | None = None) -> SweepResult:
    """Run the points of ``spec`` not already in ``output`` and write the whole table there (``pool``:
    use worker processes even for ``workers=1``, as the benchmark does to measure the pool itself)."""
    t0 = time.perf_counter()
    spec.check()
    pts = keyed_points(spec, plugins)
    old = table.existing_rows(output) if output is not None and not fresh else []
    done = {r["key"]: r for r in old if r.get("status") in DONE}
    todo = [(p, k) for p, k in pts if k not in done]
    seen: set[str] = set()
    todo = [(p, k) for p, k in todo if not (k in seen or seen.add(k))]
    tasks = make_tasks(todo, workers if not ray else max(2, workers))
    if ray:
        executor = f"ray ({ray})" if isinstance(ray, str) else "ray (local)"
        stream = ray_tasks(tasks, ray if isinstance(ray, str) else None, workers if workers > 1 else None)
    elif pool or (workers > 1 and len(tasks) > 1):
        executor = f"process pool ({workers} workers)"
        stream = _pool(tasks, workers)
    else:
        executor = "in process"
        stream = _in_process(tasks)
    writer = table.PartsWriter(output) if output is not None else None
    new: dict[str, dict[str, Any]] = {}
    show = sys.stderr.isatty() if progress is None else progress
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeRemainingColumn(), console=Console(stderr=True), disable=not show, transient=False)
    try:
        with bar:
            tid = bar.add_task("sweep", total=len(todo), rate="")
            for rows in stream:
                for r in rows:
                    new[r["key"]] = r
                if writer is not None:
                    writer.add(rows)
                if on_rows is not None:
                    on_rows(rows)
                el = time.perf_counter() - t0
                bar.update(tid, advance=len(rows), rate=f"{len(new) / el:,.0f} points/s" if el > 0 else "")
    except BaseException:
        if writer is not None:
            writer.flush()      # an interrupted sweep keeps what it finished: the next run resumes there
        raise
    order = [k for _, k in pts]
    merged = {**{r["key"]: r for r in old}, **done, **new}
    in_spec = set(order)
    rows = [merged[k] for k in dict.fromkeys(order) if k in merged] + [r for k, r in merged.items() if k not in in_spec]
    if output is not None:
        import graphs
        m = {"graphs_version": graphs.__version__, "spec": spec.to_dict(), **(meta or {})}
        table.write_atomic(table.to_table(rows, m), output)
        assert writer is not None
        writer.remove()
    counts: dict[str, int] = {}
    for r in rows:
        if r["key"] in in_spec:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
    return SweepResult(rows=rows, computed=len(new), skipped=len(pts) - len(todo), elapsed_s=time.perf_counter() - t0,
                       tasks=len(tasks), executor=executor, counts=counts)
