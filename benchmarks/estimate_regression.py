"""Regression check for speed work on the estimators: every estimate, before and after.

Dumps the full ``EstimationResult.to_dict()`` (value, low, high, confidence, energy, per-kernel
breakdown, notes ...) of several models x every installed device (the host CPU included) x the
precisions each device computes x batch 1 and 8 x the runtimes its family models (plus the
int8 post-training quantization where the device has int8 units), then compares a later dump with it:

    .venv/bin/python benchmarks/estimate_regression.py dump  /tmp/before.json   # with the original code
    .venv/bin/python benchmarks/estimate_regression.py check /tmp/before.json   # after a change: exit 1 on any difference

Each point is what ``graphs.estimate.estimate()`` computes (``analyze_graph`` + ``compose``; the
analysis of a (model, batch, precision, fusion) is built once and shared, as estimate() would build
it identically each time), plus ``compose(..., breakdown=False)`` (the sweep's path) whose totals
must equal the breakdown run's. A refused point (GraphsError) is recorded as its message, and a point that raises ValueError
(an inconsistent result refused by EstimationResult) as its error.

Floats compare equal when bit-identical or within ``--rtol`` (default 1e-12) relative, for the
summations whose order may legitimately change; everything else must be identical. Slow (a few
minutes on 2 cores), so it is a script, not part of the default test run; ``tests/test_estimate_regression.py``
runs it (marked slow) against a dump given in ``GRAPHS_REGRESSION_DUMP``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

MODELS = (("resnet50", None), ("mobilenet_v2", None), ("bert-base", 128), ("lstm-lm", None), ("opt-125m", 128))
BATCHES = (1, 8)
FLOAT_PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8")


def collect(models: Any = MODELS, batches: Any = BATCHES) -> dict[str, Any]:
    from graphs.errors import GraphsError
    from graphs.estimate import analyze_graph, check_device_precision, compose
    from graphs.frontends import LoadOptions, load_model
    from graphs.plugins import get_plugins
    from graphs_sweep.spec import resolve_hardware

    gp = get_plugins()
    devices = resolve_hardware(["all", "host"], gp)
    out: dict[str, Any] = {}
    for model, seq in models:
        for batch in batches:
            graph = load_model(model, LoadOptions(batch=batch, seq_len=seq), gp)
            analyses: dict[tuple, Any] = {}
            for dev in devices:
                mapper = gp.mapper_for(dev)      # a fresh engine per device and model, as estimate() gets
                have = mapper.supported_precisions()
                variants = [(p, None) for p in FLOAT_PRECISIONS if p in have]
                if "int8" in have:
                    variants.append((None, "int8"))
                for prec, quant in variants:
                    for runtime in mapper.runtimes:
                        key = f"{model}|b{batch}|{dev}|{prec or 'q-' + str(quant)}|{runtime}"
                        try:
                            check_device_precision(mapper, prec, quant)
                            pol = mapper.default_fusion
                            a = analyses.get((pol, prec, quant))
                            if a is None:
                                a = analyses[(pol, prec, quant)] = analyze_graph(graph, gp, fusion=pol,
                                                                                 precision=prec, quantize=quant)
                            full = compose(a, mapper, fusion=pol, runtime=runtime)
                            totals = compose(a, mapper, fusion=pol, runtime=runtime, breakdown=False)
                            out[key] = {"full": full.to_dict(), "totals": totals.to_dict(breakdown=False)}
                        except GraphsError as e:
                            out[key] = {"refused": str(e)}
                        except ValueError as e:      # a bug below (kept so a change in it shows)
                            out[key] = {"error": f"{type(e).__name__}: {e}"}
    return out


def diff(a: Any, b: Any, path: str, rtol: float, errors: list[str]) -> None:
    if len(errors) > 50:
        return
    if isinstance(a, float) and isinstance(b, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return
        if math.isfinite(a) and math.isfinite(b) and abs(a - b) <= rtol * max(abs(a), abs(b)):
            return
        errors.append(f"{path}: {a!r} != {b!r}")
    elif type(a) is not type(b):
        errors.append(f"{path}: type {type(a).__name__} != {type(b).__name__} ({a!r} vs {b!r})")
    elif isinstance(a, dict):
        if list(a) != list(b):
            errors.append(f"{path}: keys {sorted(set(a) ^ set(b))} differ or are reordered")
            return
        for k in a:
            diff(a[k], b[k], f"{path}.{k}", rtol, errors)
    elif isinstance(a, list):
        if len(a) != len(b):
            errors.append(f"{path}: length {len(a)} != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", rtol, errors)
    elif a != b:
        errors.append(f"{path}: {a!r} != {b!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=("dump", "check"))
    ap.add_argument("path")
    ap.add_argument("--rtol", type=float, default=1e-12)
    args = ap.parse_args()
    t0 = time.perf_counter()
    now = json.loads(json.dumps(collect()))          # as the file holds it (tuples -> lists)
    took = time.perf_counter() - t0
    if args.action == "dump":
        with open(args.path, "w") as f:
            json.dump(now, f)
        bad = [k for k, v in now.items() if "error" in v]
        print(f"{len(now)} points written to {args.path} ({took:.0f} s); {len(bad)} raised an error"
              + (f" (e.g. {bad[0]}: {now[bad[0]]['error']})" if bad else ""))
        return 0
    try:
        with open(args.path) as f:
            before = json.load(f)
    except (OSError, ValueError) as e:
        print(f"error: cannot read {args.path}: {e}", file=sys.stderr)
        return 2
    errors: list[str] = []
    diff(before, now, "", args.rtol, errors)
    exact = json.dumps(before, sort_keys=False) == json.dumps(now, sort_keys=False)
    if errors:
        print(f"{len(errors)}{'+' if len(errors) > 50 else ''} difference(s) over {len(now)} points:")
        for e in errors[:50]:
            print("  " + e)
        return 1
    print(f"{len(now)} points identical to {args.path} ({'bit-for-bit' if exact else f'within rtol {args.rtol:g}'}; "
          f"{took:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
