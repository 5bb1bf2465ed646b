"""How long graphs takes to answer: trace + estimate for zoo models on every installed device.

    .venv/bin/python benchmarks/analysis_speed.py [--models resnet50 llama2-7b ...] [--all] [--repeat 3]

Times are after imports (torch, the tracer and every plugin are imported first, and their
cost is printed separately). For each model: the first trace in the process ("cold", what a
CLI user waits for), the best of ``--repeat`` traces with the build cache cleared, and the
estimate on each installed device. The baseline, measured in the same run, is
``torch.utils.flop_counter.FlopCounterMode`` running the same model on the meta device —
the cheapest independent way to get even just a FLOP count — so ``ratio`` says what a full
estimate costs relative to counting FLOPs.

Targets (issue 2): ResNet-50 ≤ 1 s and Llama-2-7B ≤ 3 s (trace + estimate, after imports).
"""

from __future__ import annotations

import argparse
import statistics
import time

T0 = time.perf_counter()
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

T_TORCH = time.perf_counter()
from graphs.estimate import estimate  # noqa: E402
from graphs.frontends import LoadOptions, load_model  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402
from graphs_frontend_fx import zoo  # noqa: E402
import graphs_frontend_fx.recorder  # noqa: E402,F401  (the fake-tensor machinery)
from graphs_frontend_fx.zoo._entry import _build_cached  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

REQUIRED = ["resnet50", "mobilenet_v2", "bert-base", "gpt2", "vit-b16", "llama2-7b"]
TARGETS = {"resnet50": 1.0, "llama2-7b": 3.0}


def flop_counter_baseline(name: str) -> float:
    """Seconds for FlopCounterMode over one meta-device forward pass (model built outside the timer)."""
    s = zoo.spec(name)
    model = s.model()
    args, kwargs = s.example_inputs(LoadOptions())
    t = time.perf_counter()
    with torch.no_grad(), FlopCounterMode(display=False):
        model(*args, **kwargs)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=REQUIRED)
    ap.add_argument("--all", action="store_true", help="every zoo model")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t = time.perf_counter()
    gp = get_plugins()
    devices = sorted(h for h, e in gp.hardware.items() if e.spec.family in gp.mappers)
    for d in devices:
        gp.mapper_for(d)  # load each engine's data once, outside the timed region
    t_plugins = time.perf_counter() - t
    names = [s.name for s in zoo.SPECS] if args.all else args.models
    con = Console(width=140)
    con.print(f"imports: torch {T_TORCH - T0:.2f} s, graphs + tracer {t - T_TORCH:.2f} s; "
              f"plugins + {len(devices)} device engines {t_plugins:.2f} s")

    table = Table(title=f"trace + estimate, after imports ({len(devices)} devices: {', '.join(devices)})",
                  title_justify="left")
    for c in ("model", "nodes", "trace cold", "trace best", "estimate/device (median)", "estimate all",
              "cold total (1 device)", "FlopCounterMode", "ratio", "target"):
        table.add_column(c, justify="left" if c == "model" else "right")
    failed = False
    for name in names:
        _build_cached.cache_clear()
        t = time.perf_counter()
        g = load_model(name, LoadOptions(), gp)
        cold = time.perf_counter() - t
        best = cold
        for _ in range(max(0, args.repeat - 1)):
            _build_cached.cache_clear()
            t = time.perf_counter()
            load_model(name, LoadOptions(), gp)
            best = min(best, time.perf_counter() - t)
        per_device = []
        for d in devices:
            t = time.perf_counter()
            estimate(g, d, gp)
            per_device.append(time.perf_counter() - t)
        est_med = statistics.median(per_device)
        baseline = flop_counter_baseline(name)
        total = cold + est_med
        target = TARGETS.get(name)
        ok = "" if target is None else ("ok" if total <= target else "MISSED")
        failed |= ok == "MISSED"
        table.add_row(name, str(len(g.nodes)), f"{cold:.3f} s", f"{best:.3f} s", f"{est_med * 1e3:.1f} ms",
                      f"{sum(per_device):.2f} s", f"{total:.3f} s", f"{baseline:.3f} s",
                      f"{(best + est_med) / baseline:.1f}×", f"≤ {target:g} s {ok}" if target else "")
    con.print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
