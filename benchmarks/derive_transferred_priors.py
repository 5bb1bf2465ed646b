"""Write the accelerator and edge families' efficiency priors, transferred from the GPU family.

There is no public measurement of any accelerator (TPU, Gaudi, Trainium/Inferentia, Cloud
AI 100) or edge NPU in ``../shared/data``. The only measured ratios of a tile-level model
to real kernel time are the GPU family's (``graphs_mappers_gpu/data/priors.json``, derived by
``benchmarks/derive_gpu_priors.py`` from NeuSight, VIDUR and LLMCompass measurements). This
script carries them over, group by group, and **widens** every interval by
``WIDENING`` each way (low / W, high · W): a judgement, not a measurement, standing for the
unknown error of moving a prior across hardware families. The median is kept: it is the
best available guess of how far a shape-aware model sits from a vendor-tuned library.

    .venv/bin/python benchmarks/derive_transferred_priors.py          # rewrite both files
    .venv/bin/python benchmarks/derive_transferred_priors.py --check  # exit 1 if they differ

The test suite runs the ``--check`` logic (``tests/test_accel_priors.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPU_PRIORS = ROOT / "mappers_gpu/src/graphs_mappers_gpu/data/priors.json"
WIDENING = 2.0

# family -> (output file, {group: GPU group}, {kernel class: group})
FAMILIES = {
    "accel": (
        ROOT / "mappers_accel/src/graphs_mappers_accel/data/priors.json",
        {"matrix": "matmul.tensor_core", "elementwise": "elementwise", "norm": "norm", "softmax": "softmax"},
        {"matmul": "matrix", "conv": "matrix", "attention": "matrix", "recurrent": "matrix",
         "reduction": "norm", "pool": "elementwise", "embedding": "elementwise",
         "data_movement": "elementwise", "other": "elementwise", "collective": "elementwise",
         "view": "elementwise"},
    ),
    "edge": (
        ROOT / "mappers_edge/src/graphs_mappers_edge/data/priors.json",
        {"npu.matrix": "matmul.tensor_core", "npu.vector": "elementwise",
         "cpu.matrix": "matmul.cuda_core@low_power", "cpu.vector": "elementwise@low_power"},
        {},
    ),
}


def derive(family: str, gpu: dict) -> dict:
    out_path, mapping, aliases = FAMILIES[family]
    groups = {}
    for name, src in mapping.items():
        g = gpu["groups"][src]
        groups[name] = {
            "median": g["median"],
            "low": round(g["low"] / WIDENING, 4),
            "high": round(g["high"] * WIDENING, 4),
            "n": g["n"],
            "from": f"gpu:{src} (p05 {g['low']}, p95 {g['high']})",
        }
    return {
        "version": 1,
        "family": family,
        "source": (f"transferred from the GPU family's measured priors ({GPU_PRIORS.relative_to(ROOT)}: "
                   f"{gpu['source']}); intervals widened x{WIDENING:g} each way because no measurement "
                   "of this family exists in ../shared/data"),
        "script": "benchmarks/derive_transferred_priors.py",
        "widening": WIDENING,
        "groups": groups,
        "aliases": aliases,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    gpu = json.loads(GPU_PRIORS.read_text())
    status = 0
    for family, (path, _, _) in FAMILIES.items():
        text = json.dumps(derive(family, gpu), indent=1) + "\n"
        if args.check:
            if not path.exists() or path.read_text() != text:
                print(f"{path.relative_to(ROOT)} is out of date; rerun {Path(__file__).name}")
                status = 1
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
