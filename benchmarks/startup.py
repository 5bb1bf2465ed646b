"""How long the ``graphs`` command takes as a whole process, against baselines measured in the same run.

    .venv/bin/python benchmarks/startup.py [--runs 7] [--json FILE]

Each command is run ``--runs`` times after one warm-up (so the OS page cache is warm, as it is for
a user's second command), as a fresh process, in alternation with the others; the table gives the
median and minimum wall time. Baselines in the same run:

* ``python -c pass`` — the interpreter alone;
* ``python -c "import torch"`` — what any PyTorch-based tool pays before doing anything;
* FlopCounterMode — ``torch.utils.flop_counter`` counting ResNet-50's FLOPs on the meta device
  (the same zoo module graphs traces): the cheapest independent way to get even just a count.

``analyze`` is timed twice: as a user's second command (the zoo model's traced graph comes from
the trace cache, ``graphs_frontend_fx.zoo.trace_cache``: no torch import at all) and with
``GRAPHS_TRACE_CACHE=0`` (torch imported and the model traced, every time). ``.pyc`` files are
written and kept, as in a normal install.

Targets (issue 11): ``--help`` and ``--version`` ≤ 0.3 s; ``hardware list`` ≤ 1 s; a cold
``analyze resnet50 --hardware h100`` within 1 s of ``import torch``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
GRAPHS = str(BIN / "graphs")
PY = sys.executable
FLOP_COUNTER = ("import torch\n"
                "from torch.utils.flop_counter import FlopCounterMode\n"
                "from graphs_frontend_fx.zoo.resnet import build\n"
                "with torch.device('meta'):\n"
                "    m = build('resnet50').eval()\n"
                "    x = torch.randn(1, 3, 224, 224)\n"
                "with FlopCounterMode(display=False) as c:\n"
                "    m(x)\n"
                "print(c.get_total_flops())\n")

TORCH = "python -c 'import torch'"
COMMANDS = {
    "python -c pass": [PY, "-c", "pass"],
    TORCH: [PY, "-c", "import torch"],
    "FlopCounterMode resnet50 (count only)": [PY, "-c", FLOP_COUNTER],
    "graphs --version": [GRAPHS, "--version"],
    "graphs --help": [GRAPHS, "--help"],
    "graphs --help (no plugins)": [GRAPHS, "--help"],
    "graphs hardware list": [GRAPHS, "hardware", "list"],
    "graphs analyze resnet50 -H h100": [GRAPHS, "analyze", "resnet50", "--hardware", "h100", "--kernels", "0"],
    "graphs analyze resnet50 -H h100 (no trace cache)": [GRAPHS, "analyze", "resnet50", "--hardware", "h100",
                                                         "--kernels", "0"],
}
ENV = {"graphs --help (no plugins)": {"GRAPHS_LOAD_PLUGINS": ""},
       "graphs analyze resnet50 -H h100 (no trace cache)": {"GRAPHS_TRACE_CACHE": "0"}}
TARGETS = {  # name -> (limit in s, baseline to subtract or None)
    "graphs --version": (0.3, None),
    "graphs --help": (0.3, None),
    "graphs hardware list": (1.0, None),
    "graphs analyze resnet50 -H h100": (1.0, TORCH),
}


def run_once(argv: list[str], env: dict[str, str]) -> float:
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}   # as users run: .pyc kept
    t0 = time.perf_counter()
    r = subprocess.run(argv, env={**base, "COLUMNS": "80", **env}, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for name, cmd in COMMANDS.items():       # warm-up
        run_once(cmd, ENV.get(name, {}))
    for _ in range(a.runs):                  # interleaved, so drift hits every command alike
        for name, cmd in COMMANDS.items():
            times[name].append(run_once(cmd, ENV.get(name, {})))
    med = {k: statistics.median(v) for k, v in times.items()}
    from rich.console import Console
    from rich.table import Table
    t = Table(title=f"whole-process wall time, {a.runs} runs after a warm-up (median, min); "
                    f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", title_justify="left")
    for c in ("command", "median", "min", "vs python", "vs import torch", "target", "met"):
        t.add_column(c, justify="left" if c in ("command", "target") else "right")
    rows = []
    for name, v in times.items():
        target = TARGETS.get(name)
        met = ""
        tgt = ""
        if target:
            limit, base = target
            value = med[name] - (med[base] if base else 0.0)
            met = "yes" if value <= limit else "NO"
            tgt = f"≤ {limit:g} s" + (f" over {base}" if base else "")
        rows.append({"command": name, "median_s": med[name], "min_s": min(v), "runs": v,
                     "target": tgt, "met": met})
        t.add_row(name, f"{med[name]:.3f} s", f"{min(v):.3f} s", f"{med[name] / med['python -c pass']:.1f}x",
                  f"{med[name] / med[TORCH]:.2f}x", tgt, met)
    Console(width=160).print(t)
    if a.json:
        a.json.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
