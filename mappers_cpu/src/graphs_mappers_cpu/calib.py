"""Calibration files of CPUs: which one applies, and the curve keys of a CPU kernel.

A *prior* (:mod:`graphs_mappers_cpu.priors`) is one measured/roofline ratio per kernel class,
the family's fallback for any CPU; a *calibration* (:class:`graphs.calibration.Calibration`,
fitted by ``graphs calibrate`` from the ``torch-cpu`` runner's measurements) is a curve per kernel
kind over roofline time, with model and dispatch overheads, validated on held-out models. Only a
calibration makes an estimate CALIBRATED.

Shipped calibrations live in ``data/calibration/<cpu-slug>-t<threads>.yaml``: fitted on one
CPU model at one thread count, recorded in the file's ``conditions`` (``cpu_model``,
``signature``, ``threads``, ``torch``). A calibration applies to a CPU only when its CPU model and
thread count are the estimate's; otherwise the shipped one for that thread count is used if
there is one, else none (the priors), and the estimate's provenance says why.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from graphs.calibration import Calibration, load_calibration
from graphs.partition import Kernel


def cpu_slug(model: str, sig: Mapping[str, Any] | None) -> str:
    """``Intel(R) Xeon(R) Processor`` + family 6 model 207 -> ``intel-r-xeon-r-processor-6-207``."""
    s = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    sig = sig or {}
    tail = "-".join(str(sig[k]) for k in ("family", "model", "implementer", "part") if k in sig)
    return f"{s}-{tail}" if tail else s


def calibration_dir() -> Path:
    return Path(str(resources.files("graphs_mappers_cpu") / "data" / "calibration"))


def shipped_path(cpu_model: str, sig: Mapping[str, Any] | None, threads: int) -> Path:
    return calibration_dir() / f"{cpu_slug(cpu_model, sig)}-t{int(threads)}.yaml"


def shipped_calibration(cpu_model: str, sig: Mapping[str, Any] | None, threads: int) -> Calibration | None:
    p = shipped_path(cpu_model, sig, threads)
    return load_calibration(p) if p.is_file() else None


def mismatch(cal: Any, cpu_model: str, threads: int) -> str | None:
    """Why ``cal`` does not apply to this CPU at ``threads`` (None if it does or says nothing)."""
    cond = getattr(cal, "conditions", None) or {}
    if cond.get("cpu_model") and cond["cpu_model"] != cpu_model:
        return f"calibration fitted on {cond['cpu_model']!r}, not {cpu_model!r}"
    if cond.get("threads") and int(cond["threads"]) != int(threads):
        return f"calibration fitted at {cond['threads']} thread(s), estimate assumes {threads}"
    return None


def conv_variant(kernel: Kernel) -> str:
    """``/depthwise`` (one input channel per group), ``/grouped`` (other groups > 1) or ``""``."""
    if kernel.category.value != "conv":
        return ""
    groups = int(kernel.attrs.get("groups", 1) or 1)
    if groups <= 1:
        return ""
    ks = kernel.attrs.get("kernel_shape") or ()
    taps = 1
    for d in ks:
        taps *= int(d)
    if kernel.gemm is not None and ks and kernel.gemm.k == taps:
        return "/depthwise"
    return "/grouped"


def curve_keys(kernel: Kernel, precision: str) -> tuple[str, ...]:
    """``conv/depthwise.fp32`` (no fallback: dense conv curves say nothing about it), else
    ``<kind>.<precision>`` then ``<category>.<precision>``."""
    v = conv_variant(kernel)
    if v:
        return (f"conv{v}.{precision}",)
    return (f"{kernel.kind}.{precision}", f"{kernel.category.value}.{precision}")
