#!/usr/bin/env python
"""Derive the CPU family's efficiency priors from PyTorch kernels timed on this host.

For each case of :func:`graphs_mappers_cpu.bench.default_cases` (GEMMs over sizes, linear,
conv2d incl. 1×1 and depthwise, elementwise, layer/batch norm, softmax, reductions, pooling,
copies, embedding, attention — all fp32, ``torch.no_grad()``), it

1. times the eager PyTorch call (warm-up, then the median of repeats). A case is *disturbed*
   when its repeats show stalls (75th percentile > 2× minimum) or, with N > 1 threads, when it
   runs > 1.5× slower than a 1-thread reference timed just before (on a quiet machine more
   threads are never that much slower; on a loaded one an OpenMP team waits ~8 ms for a
   descheduled thread). A disturbed case is re-timed up to twice (lowest median kept); if
   still disturbed it is recorded but not used,
2. builds the same op as a one-node graphs IR graph and asks the host's CPUMapper for its
   roofline time ``t_roof`` (so FLOPs, bytes, peaks and bandwidth are exactly the estimator's),
3. records ``ratio = (t_measured − o) / t_roof`` where ``o`` is the measured functional
   dispatch overhead plus, for outputs ≥ 32 MiB, the mapper's page-fault time for a freshly
   mapped output (the mapper adds both separately).

Per key (``<category>``, ``conv/depthwise``, and ``<key>@small|large`` by roofline time,
see graphs_mappers_cpu.priors.SIZE_CLASSES) it writes median, 5th and 95th percentile of the
ratio (a size class only with at least 3 cases). Cases whose time is mostly dispatch
(t − o < 20 % of t) are recorded but not used: their ratio is noise over a tiny remainder.

Output: ``mappers_cpu/src/graphs_mappers_cpu/data/priors/<cpu-slug>.json`` with CPU model and
signature, and one *run* per thread count (re-running replaces that thread count's run): torch
version, date, threads, load average before/after, the host numbers used, the priors and every
raw measurement. Multi-threaded timings are badly disturbed by other processes on a small
machine (an OpenMP team waits for a descheduled thread: ~8 ms stalls); the script warns when
the load average is high. Re-run on a quiet machine for better numbers:

    .venv/bin/python benchmarks/derive_cpu_priors.py --remeasure [--threads N] [--wait-quiet 600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

MIN_PER_CLASS = 3


def slug(model: str, sig: dict) -> str:
    from graphs_mappers_cpu.calib import cpu_slug  # one slug for priors, calibrations and measurements
    return cpu_slug(model, sig)


def _cpu_times() -> tuple[float, float]:
    with open("/proc/stat") as fh:
        v = [float(x) for x in fh.readline().split()[1:]]
    return v[3] + v[4], sum(v)   # idle + iowait, total


def wait_quiet(timeout_s: float, need_s: int = 3) -> float:
    """Wait (up to ``timeout_s``) until the CPUs were >= 90 % idle for ``need_s`` consecutive seconds."""
    deadline, quiet, frac = time.time() + timeout_s, 0, 0.0
    while time.time() < deadline:
        i0, t0 = _cpu_times()
        time.sleep(1.0)
        i1, t1 = _cpu_times()
        frac = (i1 - i0) / max(t1 - t0, 1e-9)
        quiet = quiet + 1 if frac >= 0.9 else 0
        if quiet >= need_s:
            return frac
    print(f"warning: the machine did not become quiet within {timeout_s:g} s", file=sys.stderr)
    return frac


def stalled(tm: dict, t_one: float | None) -> bool:
    """Repeats show stalls (75th percentile > 2× minimum), or N threads ran > 1.5× slower than one."""
    return tm["p75_s"] > 2 * tm["min_s"] or (t_one is not None and tm["median_s"] > 1.5 * t_one)


def summarize(rows: list[dict]) -> dict:
    r = np.array([x["ratio"] for x in rows])
    lo, med, hi = np.percentile(r, [5, 50, 95])
    return {"median": float(med), "low": float(min(lo, med)), "high": float(max(hi, med)), "n": len(rows),
            "flops_range": [min(x["flops"] for x in rows), max(x["flops"] for x in rows)],
            "bytes_range": [min(x["bytes"] for x in rows), max(x["bytes"] for x in rows)],
            "geo_mean": float(math.exp(np.mean(np.log(r))))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: usable physical cores)")
    ap.add_argument("--budget", type=float, default=0.25, help="seconds of repeats per case (default 0.25)")
    ap.add_argument("--out", type=Path, default=None, help="output file (default: the package's priors folder)")
    ap.add_argument("--only", default=None, help="regex: time only matching cases (for a quick look; not written)")
    ap.add_argument("--retries", type=int, default=2,
                    help="re-time a case whose 75th percentile is > 2x its minimum (stalls from other processes) "
                         "up to N times, keeping the attempt with the lowest median (default 2)")
    ap.add_argument("--remeasure", action="store_true", help="measure the host's bandwidth and overhead anew first")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                    help="wait up to S seconds for the CPUs to be >= 90%% idle for 3 s before starting")
    a = ap.parse_args(argv)
    if a.wait_quiet:
        idle = wait_quiet(a.wait_quiet)
        print(f"CPU idle before start: {idle:.0%}", file=sys.stderr)

    import torch
    from graphs.hardware import parse_spec
    from graphs_mappers_cpu import bench, host as host_mod
    from graphs_mappers_cpu.mapper import CPUMapper
    from graphs_mappers_cpu.plugin import host_spec_dict
    from graphs_mappers_cpu.priors import kernel_key, priors_dir, size_class

    h = host_mod.detect()
    spec = parse_spec(host_spec_dict(force=True if a.remeasure else None), "host")
    threads = a.threads or int(h.physical_cores.value)
    torch.set_num_threads(threads)
    mapper = CPUMapper(spec, threads=threads, priors=None)
    mapper.priors = None  # the roofline only; never the priors being derived
    o = spec.overhead("functional_dispatch")
    reg = bench.registry()
    cases = bench.default_cases()
    if a.only:
        cases = [c for c in cases if re.search(a.only, c.name)]
    load0 = os.getloadavg()
    ncpu = int(h.logical_cpus.value)
    if load0[0] > 0.3 * ncpu:
        print(f"warning: load average {load0[0]:.2f} on {ncpu} usable CPUs: timings will be disturbed", file=sys.stderr)
    t_start = time.perf_counter()
    rows = []
    with torch.no_grad():
        for c in cases:
            k = c.kernel(reg)
            t_roof, bound, unit = mapper.roofline(k, "fp32")
            fn = c.make()
            t_one = None
            if threads > 1:   # 1-thread reference: on a quiet machine N threads are never much slower
                torch.set_num_threads(1)
                t_one = bench.time_callable(fn, budget_s=a.budget / 2)["median_s"]
                torch.set_num_threads(threads)
            tm = None
            for attempt in range(1 + a.retries):
                got = bench.time_callable(fn, budget_s=a.budget)
                if tm is None or got["median_s"] < tm["median_s"]:
                    tm = {**got, "attempts": attempt + 1}
                if not stalled(got, t_one):
                    break
            tm["disturbed"] = stalled(tm, t_one)
            t = tm["median_s"]
            fixed = o + mapper.alloc_time(k)   # dispatch + page faults of a freshly mapped output
            overhead_dominated = (t - fixed) <= 0.2 * t
            used = not overhead_dominated and not tm["disturbed"] and t_roof > 0
            ratio = max(t - fixed, 1e-12) / t_roof if t_roof > 0 else float("nan")
            row = {"case": c.name, "kind": c.kind, "category": k.category.value, "key": kernel_key(k),
                   "size_class": size_class(t_roof), "flops": k.flops, "bytes": k.bytes,
                   "t_roofline_s": t_roof, "bound": bound, "unit": unit, "overhead_s": fixed, **tm,
                   "median_1thread_s": t_one, "ratio": ratio, "used": bool(used),
                   "achieved_flops_per_s": k.flops / t if t else 0.0, "achieved_bytes_per_s": k.bytes / t if t else 0.0}
            rows.append(row)
            why = "  (overhead-dominated, not used)" if overhead_dominated else \
                ("  (disturbed by other processes, not used)" if tm["disturbed"] else "")
            print(f"{c.name:42s} {t * 1e6:10.1f} us  roof {t_roof * 1e6:9.1f} us ({bound:7s})  ratio {ratio:7.2f}"
                  f"{why}", flush=True)
    wall = time.perf_counter() - t_start
    load1 = os.getloadavg()

    groups: dict[str, list[dict]] = {}
    for r in rows:
        if not r["used"]:
            continue
        for key in (r["key"], f"{r['key']}@{r['size_class']}", r["category"]):
            groups.setdefault(key, [])
            if r not in groups[key]:
                groups[key].append(r)
    # a size class gets its own entry only with enough cases to say something (else the category's)
    priors = {k: summarize(v) for k, v in sorted(groups.items()) if "@" not in k or len(v) >= MIN_PER_CLASS}
    print(f"\n{'key':28s} {'n':>3s} {'median':>8s} {'p5':>8s} {'p95':>8s}")
    for k, p in priors.items():
        print(f"{k:28s} {p['n']:3d} {p['median']:8.2f} {p['low']:8.2f} {p['high']:8.2f}")
    print(f"\n{len(rows)} cases in {wall:.1f} s, {threads} threads, load average {load0[0]:.2f} -> {load1[0]:.2f}, "
          f"{sum(r['disturbed'] for r in rows)} disturbed (not used), {sum(r['attempts'] > 1 for r in rows)} retried")
    if a.only:
        return 0

    p = spec.family_params
    run = {
        "threads": threads, "torch": torch.__version__, "python": sys.version.split()[0],
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "script": "benchmarks/derive_cpu_priors.py",
        "method": "ratio = (median eager time - functional dispatch overhead - fresh-output page faults) / "
                  "CPUMapper roofline; "
                  "cases with (t - o) <= 0.2 t or disturbed (p75 > 2 min, or N threads > 1.5x the 1-thread "
                  "median) not used; percentiles 5/50/95 (numpy linear)",
        "load_average_before": list(load0), "load_average_after": list(load1), "wall_s": round(wall, 1),
        "disturbed_cases": sum(1 for r in rows if r["disturbed"]),
        "retried_cases": sum(1 for r in rows if r["attempts"] > 1),
        "host": {"bandwidth_source": spec.main_memory.bandwidth.source, "fp32_peak_flops": spec.peak("fp32"),
                 "clock": spec.clock.model_dump() if spec.clock else None,
                 "bandwidth_curve": p.get("bandwidth_curve"),
                 "overheads": {k: v.model_dump() for k, v in spec.overheads.items()}},
        "priors": priors,
        "measurements": rows,
    }
    out = a.out or priors_dir() / f"{slug(p['cpu_model'], p.get('signature') or {})}.json"
    data = {"schema": 1, "cpu_model": p["cpu_model"], "signature": p.get("signature"),
            "microarch": p.get("microarch"), "vendor": spec.vendor, "isa": p["isa"],
            "simd_bits": int(p["simd_bits"]["value"]), "cores": int(p["cores"]["value"]), "runs": {}}
    if out.exists():  # keep the other thread counts' runs of the same CPU
        import json
        old = json.loads(out.read_text(encoding="utf-8"))
        if old.get("cpu_model") == data["cpu_model"] and old.get("signature") == data["signature"]:
            data["runs"] = dict(old.get("runs") or {})
    data["runs"][str(threads)] = run
    from graphs_mappers_cpu.measure import write_json_atomic
    write_json_atomic(out, data)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
