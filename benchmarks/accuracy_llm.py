"""Accuracy of the LLM and distributed models on ../shared/data, with baselines in the same run.

    .venv/bin/python benchmarks/accuracy_llm.py [--data ../shared/data] [--quick] [--json out.json]
                                                [--write-calibrations]

1. VIDUR per-operator times (A100 80GB, A40; fp16): every op built as IR by the iteration builder,
   leave-one-model-out (a calibration fitted on the other models predicts the held-out one), MAPE per
   operator kind over every num_tokens and TP degree; roofline (spec peaks) and the family prior
   (uncalibrated) as baselines. ``--quick``: every 8th num_tokens value.
2. Collectives (sizes >= 1 MB): α–β fitted per configuration on half the sizes (VIDUR: alternate
   sizes; DeepBench: leave one size out) scores the rest; worker-count transfer on VIDUR's a100_dgx;
   the same single-node rows predicted from the hgx-a100-8gpu spec alone.
3. NeuSight training steps (GPT-2 large, FP32): dp4 / tp4 / pp4_1 on 4x A100-SXM4-40GB and the
   single-GPU rows of the same model, from specs and the GPU engine (nothing fitted on them).

``--write-calibrations`` also writes the kernel-time calibrations the serving model uses under the
``graph`` runtime (services/llm/src/graphs_llm/calibrations/<device>.yaml), fitted on every VIDUR model.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _f(x: float, d: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def table(title: str, header: list[str], rows: list[list]) -> str:
    w = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda r: "| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |"  # noqa: E731
    out = [f"\n### {title}", line(header), "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def vidur_section(data: Path, gp, quick: bool, report: dict) -> None:
    from graphs_llm.accuracy import vidur_op_accuracy
    for gpu in ("a100", "a40"):
        t0 = time.perf_counter()
        acc = vidur_op_accuracy(data, gpu, gp, tokens_every=8 if quick else 1)
        rows = acc.table()
        report[f"vidur_{gpu}"] = {"rows": rows, "by_model": {m: 100 * sum(v) / len(v) for m, v in acc.by_model.items()},
                                  "n": acc.rows, "seconds": time.perf_counter() - t0}
        print(table(f"VIDUR {gpu} ({acc.hardware}) per-operator MAPE %, leave-one-model-out, {acc.rows} op rows "
                    f"({time.perf_counter() - t0:.0f} s)",
                    ["op kind", "n", "graphs", "graphs P90 APE", "roofline", "prior (uncalibrated)"],
                    [[r["kind"], r["n"], _f(r["graphs_mape"]), _f(r["graphs_p90_ape"]), _f(r["roofline_mape"]),
                      _f(r["prior_mape"])] for r in rows]))
        print(table(f"VIDUR {gpu}: MAPE % per held-out model (all ops)", ["held-out model", "MAPE"],
                    [[m, _f(v)] for m, v in sorted(report[f"vidur_{gpu}"]["by_model"].items())]))


def collectives_section(data: Path, report: dict) -> None:
    from graphs_distributed.accuracy import (deepbench_allreduce, size_holdout, spec_only, vidur_collectives,
                                             worker_transfer)
    from graphs_distributed.system import system_for
    v, d = vidur_collectives(data), deepbench_allreduce(data)
    for name, acc, note in (("VIDUR collectives, alpha-beta fitted on alternate sizes, scored on the others",
                             size_holdout(v, "alternate"), "vidur_size_holdout"),
                            ("DeepBench all-reduce, leave-one-size-out", size_holdout(d, "loo"), "deepbench_loo")):
        rows = [[r["source"], r["collective"], r["workers"], r["per_node"], r["n"], _f(r["mape"]), _f(r["alpha_us"]),
                 _f(r["busbw_gbs"])] for r in acc.rows]
        print(table(f"{name}: MAPE {acc.mape():.1f} % over {acc.n()} held-out sizes >= 1 MB",
                    ["cluster", "collective", "GPUs", "per node", "n", "MAPE %", "alpha us/step", "busbw GB/s"], rows))
        report[note] = {"mape": acc.mape(), "n": acc.n(), "rows": [{k: x for k, x in r.items() if k != "apes"}
                                                                    for r in acc.rows]}
    w = worker_transfer(v)
    print(table("VIDUR a100_dgx all-reduce, worker-count transfer (links fitted on 2x2, 8x8 and 2x1 GPUs)",
                ["cluster", "what", "GPUs", "per node", "n", "MAPE %", "alpha us/step", "busbw GB/s"],
                [[r["source"], r["collective"], r["workers"], r["per_node"], r["n"], _f(r["mape"]), _f(r["alpha_us"]),
                  _f(r["busbw_gbs"])] for r in w.rows]))
    report["vidur_worker_transfer"] = [{k: x for k, x in r.items() if k != "apes"} for r in w.rows]
    s = spec_only(v, system_for("hgx-a100-8gpu"))
    print(table(f"VIDUR a100_dgx single-node rows from the hgx-a100-8gpu spec only (nothing fitted): "
                f"MAPE {s.mape():.1f} %", ["cluster", "collective", "GPUs", "n", "MAPE %"],
                [[r["source"], r["collective"], r["workers"], r["n"], _f(r["mape"])] for r in s.rows]))
    report["vidur_spec_only"] = {"mape": s.mape(), "rows": [{k: x for k, x in r.items() if k != "apes"} for r in s.rows]}


def training_section(data: Path, gp, report: dict) -> None:
    from graphs_llm.training_accuracy import neusight_training_accuracy
    rows = neusight_training_accuracy(data, gp)
    report["neusight_training"] = rows
    print(table("NeuSight GPT-2 large training steps (FP32, fwd+bwd), predicted from specs (nothing fitted on these rows)",
                ["GPU", "parallelism", "batch x seq", "measured ms", "graphs ms", "APE %", "90 % interval", "roofline ms",
                 "roofline APE %"],
                [[r["gpu"], r["option"], f"{r['batch']}x{r['seq']}", _f(r["measured_ms"]), _f(r["graphs_ms"]),
                  _f(100 * r["ape"]), f"{r['interval_ms'][0]:.0f}-{r['interval_ms'][1]:.0f}", _f(r["roofline_ms"]),
                  _f(100 * r["roofline_ape"])] for r in rows]))
    par = [r for r in rows if r["option"] != "1 GPU"]
    if par:
        print(f"dp/tp/pp rows: MAPE {100 * sum(r['ape'] for r in par) / len(par):.1f} % "
              f"(roofline {100 * sum(r['roofline_ape'] for r in par) / len(par):.1f} %); NeuSight's published "
              "errors on the same rows (peer_summary/distributed.csv): dp 12.9 %, tp 8.4 %, pp 10.3 %")


def write_calibrations(data: Path, gp) -> None:
    import yaml
    from graphs_llm.accuracy import fit_vidur_calibration
    from graphs_llm.vidur import GPU_HARDWARE
    out = ROOT / "services" / "llm" / "src" / "graphs_llm" / "calibrations"
    out.mkdir(parents=True, exist_ok=True)
    for gpu, hw in GPU_HARDWARE.items():
        cal = fit_vidur_calibration(data, gpu, gp)
        cal = cal.model_copy(update={"runtime": "cuda-graph (kernel times)"})
        p = out / f"{hw}.yaml"
        p.write_text("# Written by benchmarks/accuracy_llm.py --write-calibrations (do not edit by hand): kernel-time\n"
                     "# curves from VIDUR's fp16 profiles, used by graphs_llm under the `graph` runtime.\n"
                     + yaml.safe_dump(cal.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
        print(f"wrote {p} ({len(cal.curves)} curves)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--quick", action="store_true", help="VIDUR: every 8th num_tokens value")
    ap.add_argument("--json", type=Path, help="write every number to this file")
    ap.add_argument("--write-calibrations", action="store_true")
    ap.add_argument("--only", choices=("vidur", "collectives", "training"))
    a = ap.parse_args(argv)
    if not (a.data / "vidur").is_dir():
        print(f"no data at {a.data}", file=sys.stderr)
        return 2
    from graphs.plugins import get_plugins
    gp = get_plugins()
    report: dict = {}
    t0 = time.perf_counter()
    if a.only in (None, "vidur"):
        vidur_section(a.data, gp, a.quick, report)
    if a.only in (None, "collectives"):
        collectives_section(a.data, report)
    if a.only in (None, "training"):
        training_section(a.data, gp, report)
    if a.write_calibrations:
        write_calibrations(a.data, gp)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    if a.json:
        a.json.write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
