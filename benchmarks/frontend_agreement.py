"""FX vs ONNX agreement on zoo models: the same model through both frontends.

    .venv/bin/python benchmarks/frontend_agreement.py [--models resnet50 mobilenet_v2 bert-base vit-b16]
                                                     [--batch 1] [--out agreement.json]

Each zoo model (built on the meta device by the FX frontend's zoo) is materialised on the
CPU with random weights (distinct values everywhere, so no exporter can share tensors),
exported with ``torch.onnx.export(dynamo=True, optimize=False)`` to a temporary folder and
loaded back through the ONNX frontend. Printed per model: total FLOPs of both and their
relative difference, matrix FLOPs, parameter bytes, and the fused op-kind histograms
(``partition(graph, registry, "default")``) with whether they are equal.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

from graphs.estimate import analyze_graph
from graphs.frontends import LoadOptions, load_model
from graphs.plugins import get_plugins

DEFAULT_MODELS = ["resnet50", "mobilenet_v2", "bert-base", "vit-b16"]


def _spec(name: str):
    from graphs_frontend_fx.zoo.catalog import SPECS

    for s in SPECS:
        if s.name == name or name in s.aliases:
            return s
    raise SystemExit(f"unknown zoo model {name!r}")


def _real(t):
    if not isinstance(t, torch.Tensor):
        return t
    if t.is_floating_point():
        return torch.randn(t.shape, dtype=t.dtype)
    return torch.randint(0, 100, t.shape, dtype=t.dtype)


def materialise(module: torch.nn.Module) -> torch.nn.Module:
    """Meta module -> CPU module with random values; tied parameters stay tied (to_empty unties them)."""
    groups: dict[int, list[str]] = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        groups.setdefault(id(p), []).append(name)
    module = module.to_empty(device="cpu")
    for names in groups.values():
        first = module.get_parameter(names[0])
        for other in names[1:]:
            owner, _, attr = other.rpartition(".")
            setattr(module.get_submodule(owner) if owner else module, attr, first)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _, t in list(module.named_parameters()) + list(module.named_buffers()):
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) * 0.5 + 0.25)
            else:
                t.zero_()
    return module.eval()


def export(module, args, kwargs, path: Path) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, tuple(args), str(path), kwargs=kwargs or None, dynamo=True, optimize=False)
    return time.perf_counter() - t0


def agree(name: str, batch: int, workdir: Path) -> dict:
    gp = get_plugins()
    opts = LoadOptions(batch=batch)
    spec = _spec(name)
    t0 = time.perf_counter()
    fx = load_model(spec.name, opts, gp)
    t_fx = time.perf_counter() - t0
    args, kwargs = spec.example_inputs(opts)
    module = materialise(spec.model())
    args = [_real(a) for a in args]
    kwargs = {k: _real(v) for k, v in (kwargs or {}).items()}
    path = workdir / f"{spec.name}.onnx"
    t_export = export(module, args, kwargs, path)
    t0 = time.perf_counter()
    ox = load_model(str(path), LoadOptions(), gp)
    t_onnx = time.perf_counter() - t0
    ax, ao = analyze_graph(fx, gp), analyze_graph(ox, gp)
    return {
        "model": spec.name, "batch": batch,
        "fx_flops": ax.flops, "onnx_flops": ao.flops, "flops_rel_diff": (ao.flops - ax.flops) / ax.flops,
        "fx_matrix_flops": ax.matrix_flops, "onnx_matrix_flops": ao.matrix_flops,
        "fx_bytes": ax.bytes, "onnx_bytes": ao.bytes, "bytes_rel_diff": (ao.bytes - ax.bytes) / ax.bytes,
        "fx_param_bytes": fx.parameter_bytes, "onnx_param_bytes": ox.parameter_bytes,
        "params_equal": fx.parameter_bytes == ox.parameter_bytes,
        "fx_kernels": ax.kernel_kinds, "onnx_kernels": ao.kernel_kinds, "kinds_equal": ax.kernel_kinds == ao.kernel_kinds,
        "onnx_nodes": len(ox.nodes), "fx_nodes": len(fx.nodes),
        "seconds": {"fx_trace": round(t_fx, 2), "onnx_export": round(t_export, 2), "onnx_load": round(t_onnx, 2)},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=DEFAULT_MODELS)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = ap.parse_args()
    rows = []
    print(f"{'model':14s} {'FX GFLOP':>10s} {'ONNX GFLOP':>11s} {'diff':>8s} {'FX MB':>9s} {'ONNX MB':>9s} "
          f"{'diff':>8s} {'param MB FX/ONNX':>20s} {'params':>7s} {'kinds':>6s}")
    for name in args.models:
        with tempfile.TemporaryDirectory() as d:
            r = agree(name, args.batch, Path(d))
        rows.append(r)
        print(f"{r['model']:14s} {r['fx_flops'] / 1e9:10.3f} {r['onnx_flops'] / 1e9:11.3f} "
              f"{r['flops_rel_diff'] * 100:7.3f}% {r['fx_bytes'] / 1e6:9.2f} {r['onnx_bytes'] / 1e6:9.2f} "
              f"{r['bytes_rel_diff'] * 100:7.2f}% "
              f"{r['fx_param_bytes'] / 1e6:9.3f}/{r['onnx_param_bytes'] / 1e6:9.3f} "
              f"{'equal' if r['params_equal'] else 'DIFF':>7s} {'equal' if r['kinds_equal'] else 'DIFF':>6s}")
        if not r["kinds_equal"]:
            print(f"   FX   kernels {r['fx_kernels']}\n   ONNX kernels {r['onnx_kernels']}")
        sys.stdout.flush()
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")
    ok = all(abs(r["flops_rel_diff"]) < 0.01 and abs(r["bytes_rel_diff"]) < 0.05 and r["params_equal"]
             and r["kinds_equal"] for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
