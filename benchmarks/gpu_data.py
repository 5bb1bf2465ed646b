"""Measured GPU kernels from ``../shared/data`` as graphs Kernels on GPUDevices.

Used by ``derive_gpu_priors.py``. Each measurement becomes a :class:`graphs.partition.Kernel`
built with core's own op formulas (so FLOPs and bytes count exactly as for a traced model)
and the GPU it ran on becomes a :class:`graphs_mappers_gpu.GPUDevice` built from the device
configuration that came with the data plus per-architecture facts with their sources.

Sources of the measurements:
* NeuSight (``neusight/kernels/{train,test}``): FP32 with TF32 disabled, PyTorch 2.1 eager,
  ``torch.cuda.Event`` around one op — times include the host dispatch of that op.
* VIDUR (``vidur/compute/a100/*/mlp.csv``): fp16 linear layers of LLM decoder layers on an
  A100 80GB, GPU kernel times (kineto), median of repeats.
* LLMCompass (``llmcompass/ae__figure5__ab__real_hardware__matmul_A100.csv``): fp16 GEMMs on A100,
  timed around ``torch.matmul`` (its small GEMMs show the same ~30 us host floor as NeuSight's).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from graphs.kernels import conv_kernel, gemm_kernel  # noqa: F401  (the builders live in core)
from graphs.kernels import vector_kernel as _vector_kernel
from graphs.ops.registry import Category
from graphs.partition import Kernel

from graphs_mappers_gpu.device import CUDA_CORE, TENSOR_CORE, GPUDevice

CUDA_GUIDE = ("CUDA C++ Programming Guide, Technical Specifications per Compute Capability, "
              "https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#features-and-technical-specifications")
L2_BW_TABLE = ("Hardware features of different Nvidia GPU architectures, Table 3 (L2 cache bandwidth), "
               "https://pmc.ncbi.nlm.nih.gov/articles/PMC10448217/table/t0015")

TDP_SOURCES = ("NVIDIA datasheets: Tesla P4 (75 W), Tesla P100 PCIe (250 W), Tesla V100 PCIe (250 W), "
               "Tesla T4 (70 W), A100 PCIe 40GB (250 W), A100 80GB PCIe (300 W)")
# Per-GPU facts not in NeuSight's device configs: (compute capability [CUDA_GUIDE], max CTAs/SM
# [CUDA_GUIDE], L2 partitions [A100 whitepaper: two partitions], L2 bandwidth GB/s [L2_BW_TABLE]
# or None, board power W [TDP_SOURCES]). Registers per SM are 64 K 32-bit on all of them [CUDA_GUIDE].
ARCH = {
    "Tesla P4": ("6.1", 32, 1, None, 75.0),
    "Tesla P100-PCIE-16GB": ("6.0", 32, 1, None, 250.0),
    "Tesla V100-PCIE-32GB": ("7.0", 32, 1, 3133.0, 250.0),
    "Tesla T4": ("7.5", 16, 1, None, 70.0),
    "NVIDIA A100-PCIE-40GB": ("8.0", 32, 2, 7219.0, 250.0),
    "NVIDIA A100 80GB PCIe": ("8.0", 32, 2, 7219.0, 300.0),
}
# Global-memory latency in core cycles: 400 for Volta/Ampere/Hopper [L2_BW_TABLE, same table];
# assumed the same for Pascal and Turing, for which that table has no entry.
MEMORY_LATENCY_CYCLES = 400
# A100 dense tensor-core peaks (NVIDIA A100 Tensor Core GPU datasheet, dense = sparse / 2)
A100_TENSOR = {"fp16": 312e12, "bf16": 312e12, "tf32": 156e12, "int8": 624e12, "fp64": 19.5e12}

A100_FP16 = "NVIDIA A100 80GB (VIDUR, LLMCompass fp16)"
GEMM_OPS = {"bmm", "linear"}


@dataclass(frozen=True)
class Measurement:
    """One measured kernel: where it ran, what it was, how long it took (seconds)."""

    device: str
    op: str
    group: str
    kernel: Kernel
    seconds: float
    source: str
    timing: str            # "eager-event" (includes host dispatch) or "kernel" (GPU only)
    tag: str = ""          # model name or file, for hold-outs
    cublas_tile: str = ""  # tile of the cuBLAS kernel that ran, when the name says it


def neusight_device(data: Path, device_name: str) -> GPUDevice:
    """GPUDevice from ``neusight/device_configs/<name>.json`` plus :data:`ARCH`."""
    cfg = json.loads((data / "neusight" / "device_configs" / f"{device_name.replace(' ', '_')}.json").read_text())
    cc, ctas, parts, l2bw, tdp = ARCH[device_name]
    peaks = {CUDA_CORE: {"fp32": cfg["SingleFLOPs"] * 1e9}}
    if cc == "8.0":
        peaks[TENSOR_CORE] = dict(A100_TENSOR)
    return GPUDevice(
        id=device_name, sm_count=int(cfg["Num_Sm"]), peaks=peaks, hbm_bandwidth=cfg["Mem_Bw"] * 1e9,
        l2_bytes=cfg["L2Cache"] * 1e6, l2_bandwidth=(l2bw or 0.0) * 1e9, l2_partitions=parts,
        registers_per_sm=65536, max_ctas_per_sm=ctas,
        memory_latency_s=MEMORY_LATENCY_CYCLES / (cfg["Freq"] * 1e6), tdp_w=tdp,
    )


def a100_80gb(data: Path) -> GPUDevice:
    """The A100 80GB of the fp16 sets (VIDUR, LLMCompass), assumed to be the PCIe 80GB part."""
    return neusight_device(data, "NVIDIA A100 80GB PCIe")


def vector_kernel(op: str, b: int, h: int) -> tuple[str, Kernel]:
    """(prior group, kernel) of a NeuSight vector op on a ``(B, H)`` tensor."""
    k = _vector_kernel(op, b, h)
    return ("elementwise" if k.category is Category.ELEMENTWISE else "norm" if k.category is Category.NORM
            else "softmax"), k


def _tile_from_name(name: str) -> str:
    import re
    m = re.search(r"sgemm_(\d+)x(\d+)", name)
    return f"{m.group(1)}x{m.group(2)}" if m else ""


def neusight_files(data: Path) -> list[Path]:
    base = data / "neusight" / "kernels"
    files = sorted((base / "train").glob("*/*.csv"))
    files += [base / "test" / f for f in ("bmm.csv", "linear.csv", "elem.csv", "ln.csv", "softmax.csv")]
    return [f for f in files if f.exists()]


def neusight_measurements(data: Path, limit: int | None = None) -> Iterator[Measurement]:
    """Every NeuSight kernel row (deduplicated by device, op and shape); ``limit`` rows per file."""
    seen: set[tuple] = set()
    for f in neusight_files(data):
        rel = str(f.relative_to(data))
        with f.open(newline="") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                if limit is not None and i >= limit:
                    break
                dev, op = r["Device"], r["OPName"]
                if dev not in ARCH:
                    continue
                try:
                    if op in GEMM_OPS:
                        shape = (int(r["B"]), int(r["M"]), int(r["N"]), int(r["K"]))
                        kern, group = gemm_kernel(*shape, linear=op == "linear"), "matmul.cuda_core"
                    elif op == "conv":
                        shape = tuple(int(r[c]) for c in ("B", "Input_Channel", "Output_Channel", "Kernel_Szie",
                                                          "Input_Size", "Stride", "Padding"))
                        if (shape[4] + 2 * shape[6] - shape[3]) < 0:
                            continue
                        kern, group = conv_kernel(*shape), "conv.cuda_core"
                    else:
                        shape = (int(r["B"]), int(r["H"]))
                        group, kern = vector_kernel(op, *shape)
                except (KeyError, ValueError):
                    continue
                key = (dev, op, shape)
                if key in seen:
                    continue
                seen.add(key)
                lat = float(r["Latency"]) * 1e-3
                if not (lat > 0 and math.isfinite(lat)):
                    continue
                yield Measurement(dev, op, group, kern, lat, rel, "eager-event", tag=rel,
                                  cublas_tile=_tile_from_name(r.get("Kernel Name", "")))


def vidur_measurements(data: Path, limit: int | None = None) -> Iterator[Measurement]:
    """fp16 linear layers (QKV, output, MLP up/down projections) from VIDUR's A100 profiles."""
    for f in sorted((data / "vidur" / "compute" / "a100").glob("*/*/mlp.csv")):
        rel = str(f.relative_to(data))
        model = f.parent.name
        with f.open(newline="") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                if limit is not None and i >= limit:
                    break
                t, e, h = int(r["num_tokens"]), int(r["n_embd"]), int(r["n_head"])
                kv, ff, p = int(r["n_kv_head"]), int(r["n_expanded_embd"]), int(r["num_tensor_parallel_workers"])
                gated = r["use_gated_mlp"].strip().lower() == "true"
                d = e // h
                shapes = {
                    "attn_pre_proj": (t, (h + 2 * kv) * d // p, e),
                    "attn_post_proj": (t, e, h * d // p),
                    "mlp_up_proj": (t, ff * (2 if gated else 1) // p, e),
                    "mlp_down_proj": (t, e, ff // p),
                }
                for op, (m, n, k) in shapes.items():
                    v = r.get(f"time_stats.{op}.median", "")
                    if not v:
                        continue
                    kern = gemm_kernel(1, m, n, k, "float16", linear=True)
                    yield Measurement(A100_FP16, op, "matmul.tensor_core", kern, float(v) * 1e-3, rel,
                                      "kernel", tag=model)


def llmcompass_measurements(data: Path) -> Iterator[Measurement]:
    """fp16 GEMMs ``M, K, N, ms`` measured on A100 by LLMCompass."""
    f = data / "llmcompass" / "ae__figure5__ab__real_hardware__matmul_A100.csv"
    if not f.exists():
        return
    rel = str(f.relative_to(data))
    for line in f.read_text().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        m, k, n = int(parts[0]), int(parts[1]), int(parts[2])
        ms = float(parts[3].removesuffix("ms"))
        yield Measurement(A100_FP16, "matmul", "matmul.tensor_core",
                          gemm_kernel(1, m, n, k, "float16"), ms * 1e-3, rel, "eager-event", tag="llmcompass")
