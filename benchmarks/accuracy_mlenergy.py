"""Leave-one-model-out accuracy of LLM serving time, power and energy on the ML.ENERGY Benchmark v3 data.

    .venv/bin/python benchmarks/accuracy_mlenergy.py                  # table (graphs vs baselines) + per model
    .venv/bin/python benchmarks/accuracy_mlenergy.py --write          # also benchmarks/data/mlenergy_lomo.json
    .venv/bin/python benchmarks/accuracy_mlenergy.py --write-power    # also the GPU engine's data/power.json

Data: ``../shared/data/mlenergy`` (vLLM 0.11.1 on H100 SXM and B200; median ITL, output tokens/s,
NVML power summed over the replica, energy per output token). For every LLM/VLM configuration
graphs models, graphs' kernel estimates of the decode step and the prefill (no fitting) feed a
small serving-level fit (:mod:`graphs_llm.mlenergy_fit`); each architecture is predicted by fits on
the *other* architectures only. Baselines in the same run: the roofline decode step (spec peaks, no
efficiency, no overhead) for ITL and throughput; power = TDP x GPUs; energy per token = TDP x GPUs /
roofline throughput.

``--write`` commits the scored rows, the summary and graphs' per-row features (so
``tests/test_mlenergy.py`` re-scores without the data and checks the features are still what the
code computes); ``--write-power`` refits the power model on every row (with bootstrap intervals) for
``graphs analyze`` on every GPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "benchmarks" / "data" / "mlenergy_lomo.json"
POWER_JSON = ROOT / "mappers_gpu" / "src" / "graphs_mappers_gpu" / "data" / "power.json"
METRICS = ("itl_ms", "throughput_tok_s", "avg_power_w", "energy_per_token_j")
TARGETS = {"itl_ms": 10.0, "throughput_tok_s": None, "avg_power_w": 10.0, "energy_per_token_j": 15.0}


def _round(x, digits=6):
    if isinstance(x, float):
        return float(f"{x:.{digits}g}")
    if isinstance(x, dict):
        return {k: _round(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v, digits) for v in x]
    return x


def _by_reason(skipped) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in skipped:
        out[s.reason] = out.get(s.reason, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mlenergy")
    ap.add_argument("--write", action="store_true", help=f"write {COMMITTED.relative_to(ROOT)}")
    ap.add_argument("--write-power", action="store_true", help=f"write {POWER_JSON.relative_to(ROOT)}")
    ap.add_argument("--models", action="store_true", help="print MAPE per model")
    args = ap.parse_args(argv)
    if not (args.data / "index.json").is_file():
        print(f"error: {args.data}: not the ML.ENERGY data folder", file=sys.stderr)
        return 2

    from graphs.errors import GraphsError
    from graphs.plugins import get_plugins
    from graphs_llm.mlenergy import FeatureBuilder, load, pack_features
    from graphs_llm.mlenergy_fit import fit_all, leave_one_model_out, per_model, power_table, summarize

    t0 = time.perf_counter()
    rows, skips = load(args.data)
    fb = FeatureBuilder(get_plugins())
    feats, skipped = [], list(skips)
    from graphs_llm.mlenergy_reader import _skip
    for r in rows:
        try:
            feats.append(fb.features(r))
        except GraphsError as e:
            skipped.append(_skip(r, str(e)))
    t_feat = time.perf_counter() - t0
    scored = leave_one_model_out(feats)
    summary = summarize(scored)
    t_all = time.perf_counter() - t0

    print(f"ML.ENERGY v3: {len(rows)} LLM/VLM configurations, {len(feats)} modelled, {len(skipped)} skipped "
          f"(of which {sum(1 for s in skipped if s.kind == 'diffusion')} diffusion); features {t_feat:.1f} s, "
          f"total {t_all:.1f} s\n")
    print("Leave one model out (an architecture and its variants held out of every fit):\n")
    print("| GPU | metric | rows | graphs MAPE | median APE | P90 APE | interval coverage | baseline | baseline MAPE | "
          "graphs kernels only | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for gpu, per in sorted(summary.items()):
        for m in METRICS:
            s = per[m]
            tgt = TARGETS[m]
            ok = "" if tgt is None else (f"≤ {tgt:g} %: " + ("met" if s["mape"] <= tgt else "**missed**"))
            print(f"| {gpu} | {m} | {s['n']} | **{s['mape']:.1f} %** | {s['median_ape']:.1f} % | {s['p90_ape']:.1f} % | "
                  f"{s['coverage']:.0%} | {s['baseline']} | {s['baseline_mape']:.1f} % | "
                  f"{'–' if s['kernels_only_mape'] is None else format(s['kernels_only_mape'], '.1f') + ' %'} | {ok} |")
    pm = per_model(scored)
    if args.models:
        print("\n| GPU | model | rows | ITL | tokens/s | power | J/token |\n|---|---|---|---|---|---|---|")
        for r in pm:
            print(f"| {r['gpu']} | {r['model']} | {r['n']} | " + " | ".join(f"{r[m]:.1f} %" for m in METRICS) + " |")
    final = fit_all(feats, inner=False)
    print("\nfit on every row (what graphs ships):")
    for gpu, f in final.gpus.items():
        d = f.to_dict()
        print(f"  {gpu}: prompt tokens per task {d['prompts']}")
        print(f"        ITL coefficients {_round(d['itl'], 3)}; step {_round(d['step'], 3)}; power W {_round(d['power_w'], 4)}")

    if args.write:
        COMMITTED.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "dataset": "ML.ENERGY Benchmark v3 (../shared/data/mlenergy, published 2026-02-16)",
            "method": "leave one model out (architecture groups), benchmarks/accuracy_mlenergy.py",
            "summary": _round(summary),
            "per_model": _round(pm),
            "rows": [[s.features.row.gpu, s.features.row.model, s.features.row.task, s.features.row.num_gpus,
                      s.features.row.max_num_seqs, s.features.row.index, s.confidence,
                      *[_round(x[m]) for x in (s.predicted, s.low, s.high) for m in METRICS]] for s in scored],
            "row_columns": ["gpu", "model", "task", "num_gpus", "max_num_seqs", "index", "confidence",
                            *[f"{k}_{m}" for k in ("predicted", "low", "high") for m in METRICS]],
            "skipped_by_reason": _by_reason(skipped),
            **pack_features(feats),
        }
        COMMITTED.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
        print(f"\nwrote {COMMITTED.relative_to(ROOT)} ({COMMITTED.stat().st_size / 1e6:.2f} MB)")
    if args.write_power:
        table = power_table(feats)
        POWER_JSON.write_text(json.dumps(_round(table), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {POWER_JSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
