"""How fast graphs sweeps: estimates per second per core once a model is traced, against calling
``graphs.estimate.estimate()`` per point (the baseline, measured in the same run), and points per
second of the local process pool with 1 and 2 workers (parallel efficiency).

    .venv/bin/python benchmarks/sweep_speed.py [--model resnet50] [--batch 1,8] [--precision fp32,fp16,bf16]
                                               [--pool-models resnet50,resnet18,mobilenet_v2] [--skip-pool]

Part 1 — one model, every installed device (the host CPU excepted) × batch × precision, in this
process, after tracing (each batch traced once before the timer starts):

* ``estimate() per point`` — the baseline: what `graphs analyze` does per device (analysis + compose);
* ``sweep engine`` — graphs_sweep.engine.run_task: one analysis per (batch, precision, fusion policy),
  then one compose per device (totals only, distinct kernels once);
* ``compose only`` — the per-device part alone (analyses done beforehand): the rate a sweep
  approaches as devices per analysis grow.

Rates are per core (one process, one thread). Target (issue 17): >= 1,000 (device, batch, precision)
estimates per second per core for a ResNet-50-sized graph once traced — not met: measured 2026-12-02
(2 shared CPUs, load 1.3-1.6) 661-728/s through the sweep engine, 604-657/s compose only (docs/sweep.md).

Part 2 — `graphs sweep` on the local process pool with 1 and 2 workers on a larger sweep (fresh
output each time; worker start-up included, traces from the disk cache): points/s and parallel
efficiency = rate(2) / (2 x rate(1)).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--precision", default="fp32,fp16,bf16")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each timed part (the best is reported)")
    ap.add_argument("--pool-models", default="resnet50,resnet18,mobilenet_v2")
    ap.add_argument("--pool-batch", default="1,4,16")
    ap.add_argument("--skip-pool", action="store_true")
    args = ap.parse_args()

    from rich.console import Console
    from rich.table import Table

    from graphs.estimate import analyze_graph, compose, estimate
    from graphs.plugins import get_plugins
    from graphs_sweep import engine
    from graphs_sweep.runner import keyed_points, run_sweep
    from graphs_sweep.spec import SweepSpec, resolve_hardware

    con = Console(width=150)
    gp = get_plugins()
    devices = resolve_hardware(["all"], gp)
    batches = [int(b) for b in args.batch.split(",")]
    precs = args.precision.split(",")
    spec = SweepSpec(models=[args.model], hardware=devices, batch=batches, precision=precs)
    spec.check()
    pts = keyed_points(spec, gp)
    ctx = engine.Context(gp)
    for b in batches:
        ctx.graph(args.model, b, None)           # traced (or read from the trace cache) before any timer
    for d in devices:
        ctx.mapper(d)                            # engines built once, as a sweep worker does
    n = len(pts)

    def timed(fn):
        """(wall seconds, CPU seconds of this process): on a shared machine the CPU time is what one core spent."""
        w, c = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - w, time.process_time() - c

    def baseline() -> tuple[float, float]:
        def run():
            for p, _ in pts:
                try:
                    estimate(ctx.graph(p.model, p.batch, None), p.hardware, gp, precision=p.precision)
                except Exception:
                    pass
        return timed(run)

    def sweep_engine() -> tuple[float, float]:
        engine._CONTEXT = engine.Context(gp)     # fresh engines: no tiling remembered from an earlier run
        c = engine._CONTEXT
        c.graphs.update(ctx.graphs)
        for d in devices:
            c.mapper(d)
        groups: dict[tuple, list] = {}
        for p, k in pts:
            groups.setdefault(p.group(), []).append((p, k))
        return timed(lambda: [engine.run_task([p for p, _ in g], [k for _, k in g]) for g in groups.values()])

    def compose_only() -> tuple[tuple[float, float], int]:
        mappers = {d: gp.mapper_for(d) for d in devices}     # fresh engines
        analyses = {}
        for b in batches:
            for pr in precs:
                for pol in {m.default_fusion for m in mappers.values()}:
                    analyses[(b, pr, pol)] = analyze_graph(ctx.graph(args.model, b, None), gp, fusion=pol, precision=pr)
        count = [0]

        def run():
            for b in batches:
                for pr in precs:
                    for d, m in mappers.items():
                        try:
                            compose(analyses[(b, pr, m.default_fusion)], m, m.default_fusion, breakdown=False)
                            count[0] += 1
                        except Exception:
                            pass
        return timed(run), count[0]

    t_base = min(baseline() for _ in range(max(1, args.repeat - 1)))
    t_sweep = min(sweep_engine() for _ in range(args.repeat))
    t_comp, n_comp = min(compose_only() for _ in range(args.repeat))
    g = ctx.graph(args.model, batches[0], None)
    tab = Table(title=f"{args.model} ({len(g.nodes)} nodes), {len(devices)} devices x batch {args.batch} x "
                      f"precision {args.precision} = {n} estimates, one process (per core); best of {args.repeat}",
                title_justify="left")
    for c in ("path", "wall s", "CPU s", "estimates/s (wall)", "estimates/s per CPU-second", "ratio to estimate()",
              "target >= 1,000/s per core"):
        tab.add_column(c, justify="left" if c == "path" else "right")
    rows = [("estimate() per point (baseline)", t_base, n), ("sweep engine (analysis once, compose per device)", t_sweep, n),
            ("compose only (after the analyses)", t_comp, n_comp)]
    for name, (wall, cpu), k in rows:
        rate = k / cpu
        tab.add_row(name, f"{wall:.3f}", f"{cpu:.3f}", f"{k / wall:,.0f}", f"{rate:,.0f}",
                    f"{rate / (n / t_base[1]):.1f}x",
                    "" if name.startswith("estimate()") else ("met" if rate >= 1000 else "NOT met"))
    con.print(tab)

    if args.skip_pool:
        return 0
    pool_spec = dict(models=args.pool_models.split(","), hardware=devices,
                     batch=[int(b) for b in args.pool_batch.split(",")], precision=precs)
    for m in pool_spec["models"]:             # fill the trace cache so workers read traces from disk
        for b in pool_spec["batch"]:
            ctx.graph(m, b, None)
    tab = Table(title=f"graphs sweep on the local process pool: {len(pool_spec['models'])} models x {len(devices)} "
                      f"devices x batch {args.pool_batch} x precision {args.precision} (worker start-up included; "
                      f"{os.cpu_count()} CPUs on this machine)", title_justify="left")
    for c in ("workers", "points", "tasks", "seconds", "points/s", "speed-up", "parallel efficiency"):
        tab.add_column(c, justify="right")
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for w in (1, 2):
            times = []
            for i in range(max(1, args.repeat - 1)):
                out = Path(tmp) / f"w{w}-{i}.parquet"
                res = run_sweep(SweepSpec(**pool_spec), out, gp, workers=w, fresh=True, progress=False,
                                pool=True)
                times.append((res.elapsed_s, res.computed, res.tasks))
            t, k, tasks = min(times)
            rates[w] = k / t
            tab.add_row(str(w), str(k), str(tasks), f"{t:.2f}", f"{k / t:,.0f}", f"{rates[w] / rates[1]:.2f}x",
                        f"{rates[w] / (w * rates[1]):.0%}")
    con.print(tab)
    con.print(f"load average during the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (a shared machine "
              "lowers the 2-worker figure)")
    _ = statistics
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
