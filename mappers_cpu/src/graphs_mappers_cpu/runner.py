"""The ``torch-cpu`` benchmark runner: eager PyTorch on the host CPU (device id ``host``).

Suites (``graphs benchmark --runner torch-cpu --suite S``):

* ``quick`` — ≈ 30 microbenchmarks, one or two per op kind (well under a minute);
* ``full`` — ≈ 300: GEMM/linear/bmm over sizes in fp32 and bf16 (when oneDNN supports bf16
  on this CPU), conv2d (3×3, 1×1, 7×7 stem, strided, depthwise 3/5/7, grouped) at batch 1 and 8,
  SDPA over sequence lengths (causal too), elementwise over sizes, layer/RMS/batch norm,
  softmax, pooling, reductions, embedding, copies, and tiny ops (dispatch overhead);
* ``models`` — whole zoo models at batch 1 and 8 (level ``model``), each followed by every
  kernel of that forward pass timed in isolation (level ``kernel``, ``params.in_model``): the
  PyTorch runners' shared list plus :data:`HOST_EXTRA_MODELS` (more held-out models for the
  host-CPU accuracy claim, ``benchmarks/measure_host.py``).

Cases are defined once for every PyTorch runner in :mod:`graphs_frontend_fx.measure`; each
measurement stores the IR of the ATen calls that ran (``shapes.builder == "graph"``).

Threads: ``GRAPHS_CPU_THREADS`` if set, else one per usable physical core — the same rule
as the host spec, so an estimate and a measurement assume the same count; each measurement
records it. Timing: :func:`graphs.bench.measure` (wall clock, median until stable).
"""

from __future__ import annotations

import importlib.util
import os
import platform
from typing import Any, Mapping


# Models measured on the host in addition to the shared list, chosen for diversity before any of them was
# measured: a small CNN with channel split/shuffle, a transformer decoder other than GPT-2, an
# EfficientNet variant at another resolution, and an encoder with T5's norm and relative position bias.
HOST_EXTRA_MODELS: tuple[tuple[str, int | None], ...] = (
    ("shufflenet_v2_x1_0", None), ("opt-125m", 128), ("efficientnet_b1", None), ("t5-small-encoder", None),
)


class TorchCPURunner:
    """Eager PyTorch on this machine's CPU."""

    name = "torch-cpu"

    def __init__(self) -> None:
        self._impl = None

    def unavailable(self) -> str | None:
        for mod, dist in (("torch", "torch"), ("graphs_frontend_fx", "graphs-frontend-fx")):
            if importlib.util.find_spec(mod) is None:
                return f"{dist} is not installed (pip install {dist})"
        return None

    def device(self) -> str:
        return "host"

    def _runner(self):
        if self._impl is None:
            from graphs_frontend_fx.measure import DEFAULT_MODELS, TorchRunner

            threads = self.threads()

            class _CPU(TorchRunner):
                name = "torch-cpu"
                device_type = "cpu"
                models = tuple(DEFAULT_MODELS) + tuple(m for m in HOST_EXTRA_MODELS if m not in DEFAULT_MODELS)

                def precisions(self) -> list[str]:
                    import torch
                    try:
                        bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
                    except Exception:
                        bf16 = False
                    return ["fp32", "bf16"] if bf16 else ["fp32"]

                def threads(self) -> int:
                    return threads

                def setup(self) -> None:
                    import torch
                    if torch.get_num_threads() != threads:
                        torch.set_num_threads(threads)

            self._impl = _CPU()
        return self._impl

    def threads(self) -> int:
        from graphs_mappers_cpu.host import detect
        from graphs_mappers_cpu.spec import default_threads

        return default_threads(detect())[0]

    def environment(self) -> Mapping[str, Any]:
        import torch
        from graphs_frontend_fx.measure import torch_environment
        from graphs_mappers_cpu.host import detect

        h = detect()
        sw = torch_environment()
        threads = self.threads()
        sw["torch_threads"] = threads
        sig = h.signature.value or {}
        host = {"cpu_model": h.model_name.value, "vendor": h.vendor.value, "signature": dict(sig),
                "microarch": h.microarch.value, "isa": h.isa.value, "logical_cpus": h.logical_cpus.value,
                "physical_cores": h.physical_cores.value, "threads": threads, "machine": platform.machine(),
                "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                "interop_threads": torch.get_num_interop_threads()}
        return {"software": sw, "host": host,
                "notes": f"torch-cpu: {threads} thread(s), wall clock, median until stable"}

    def suite(self, name: str):
        return self._runner().suite(name)

    def run(self, case):
        return self._runner().run(case)
