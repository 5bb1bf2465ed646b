"""Fuzz the ONNX and TFLite frontends: mutated/truncated files must end in a Graph or a GraphsError.

    .venv/bin/python benchmarks/fuzz_frontends.py [--cases 2000] [--seed 0]

Prints, per format, how many cases loaded (and were analysed), how many ended in each
GraphsError subclass, and how many raised anything else (bugs, listed with their first
traceback line). Exit code 1 if any bug was found.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from frontend_fuzz import KINDS, mutate, onnx_seeds, run_case, tflite_seeds  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402


def fuzz(fmt: str, seeds: list[bytes], cases: int, rng: random.Random, workdir: Path) -> tuple[collections.Counter, list]:
    plugins = get_plugins()
    counts: collections.Counter = collections.Counter()
    bugs: list[str] = []
    path = workdir / f"case.{fmt}"
    for i in range(cases):
        seed = rng.randrange(len(seeds))
        kind = rng.choice(KINDS)
        data = mutate(seeds[seed], kind, random.Random(rng.getrandbits(32)))
        try:
            counts[run_case(data, path, plugins)] += 1
        except Exception as e:  # a bug: neither a Graph nor a GraphsError
            counts["BUG"] += 1
            bugs.append(f"{fmt} case {i} (seed {seed}, {kind}): {type(e).__name__}: {e} "
                        f"@ {traceback.extract_tb(e.__traceback__)[-1].filename}:"
                        f"{traceback.extract_tb(e.__traceback__)[-1].lineno}")
    return counts, bugs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000, help="cases per format")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    all_bugs = []
    with tempfile.TemporaryDirectory() as d:
        for fmt, seeds in (("onnx", onnx_seeds()), ("tflite", tflite_seeds())):
            t0 = time.perf_counter()
            counts, bugs = fuzz(fmt, seeds, args.cases, rng, Path(d))
            dt = time.perf_counter() - t0
            detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            print(f"{fmt:6s} {args.cases} cases from {len(seeds)} seeds in {dt:.1f}s: {detail}")
            all_bugs += bugs
    for b in all_bugs[:20]:
        print("BUG", b)
    print(f"total: {2 * args.cases} cases, {len(all_bugs)} bugs")
    return 1 if all_bugs else 0


if __name__ == "__main__":
    sys.exit(main())
