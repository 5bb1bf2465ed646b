"""FX frontend speed: import cost, then load (trace) + analyze_graph per zoo model, best of N.

    .venv/bin/python benchmarks/fx_trace_speed.py [--models resnet50 llama2-7b] [--repeat 3]

Targets (docs/frontends/fx.md): ResNet-50 <= 1 s and Llama-2-7B <= 3 s after imports.
"""

from __future__ import annotations

import argparse
import time

T0 = time.perf_counter()
from graphs.estimate import analyze_graph  # noqa: E402
from graphs.frontends import LoadOptions, load_model  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402

T_PLUGINS = time.perf_counter()
import graphs_frontend_fx.recorder  # noqa: E402,F401  (torch and the fake-tensor machinery)
from graphs_frontend_fx.zoo._entry import _build_cached  # noqa: E402

T_TORCH = time.perf_counter()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=["resnet50", "llama2-7b"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    gp = get_plugins()
    print(f"import graphs + plugins {T_PLUGINS - T0:.2f}s; torch + tracer {T_TORCH - T_PLUGINS:.2f}s")
    for name in args.models:
        runs = []
        for _ in range(args.repeat):
            _build_cached.cache_clear()
            t = time.perf_counter()
            g = load_model(name, LoadOptions(), gp)
            t_load = time.perf_counter() - t
            a = analyze_graph(g, gp)
            runs.append((time.perf_counter() - t, t_load))
        total, load = min(runs)
        first = runs[0][0]
        print(f"{name:14s} nodes {len(g.nodes):5d}  load+trace {load:.2f}s  +analyze {total:.2f}s (best of "
              f"{args.repeat}; first {first:.2f}s)  GFLOP {a.flops / 1e9:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
