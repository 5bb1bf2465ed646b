"""The ``torch-cuda`` benchmark runner: eager PyTorch on an NVIDIA GPU.

The same suites as ``torch-cpu`` (``quick``, ``full``, ``models``; cases defined once in
:mod:`graphs_frontend_fx.measure`), with

* **timing** by CUDA events: :func:`graphs.bench.measure` with a clock whose readings are
  recorded events (their difference synchronises and is ``elapsed_time``) and
  ``torch.cuda.synchronize`` after each sample — so a sample is the GPU time of ``inner``
  back-to-back calls, launch gaps included, as eager PyTorch runs them;
* **energy** from NVML (``nvidia-ml-py``/``pynvml``, when importable): the board's total
  energy counter (``nvmlDeviceGetTotalEnergyConsumption``, Volta and later) read around ≥ 1 s of
  repeated calls, else the mean of ``nvmlDeviceGetPowerUsage`` sampled every 10 ms over the
  same window; stored as joules per call and average watts;
* **device** — ``torch.cuda.get_device_name`` mapped to an installed catalog id (the rules of
  :meth:`graphs.plugins.GraphsPlugins.find_hardware_by_name`: ``NVIDIA H100 80GB HBM3`` → ``h100``);
* **environment** — GPU name, compute capability, driver, CUDA, cuDNN and torch versions, and
  the TF32 switches (matmul and cuDNN) the measurements ran under.

Precisions: fp32 (PyTorch defaults: no TF32 for matmul, TF32 allowed for cuDNN convolutions,
both recorded), fp16, and bf16 where ``torch.cuda.is_bf16_supported()``.

This runner has not been exercised on a GPU in this repository's CI (no GPU there);
``unavailable()`` says why it cannot run on a given machine.
"""

from __future__ import annotations

import importlib.util
import math
import platform
import threading
import time
from typing import Any, Mapping


class _Event:
    def __init__(self, ev: Any) -> None:
        self.ev = ev

    def __sub__(self, other: "_Event") -> float:
        self.ev.synchronize()
        return other.ev.elapsed_time(self.ev) / 1e3


class EventClock:
    """A :func:`graphs.bench.measure` clock reading CUDA events (differences are GPU seconds)."""

    def __call__(self) -> _Event:
        import torch

        e = torch.cuda.Event(enable_timing=True)
        e.record()
        return _Event(e)


def _nvml_handle() -> Any:
    try:
        import pynvml
    except ImportError:
        return None
    try:
        import torch

        pynvml.nvmlInit()
        uuid = getattr(torch.cuda.get_device_properties(torch.cuda.current_device()), "uuid", None)
        if uuid is not None:
            try:
                return pynvml.nvmlDeviceGetHandleByUUID(f"GPU-{uuid}")
            except Exception:
                pass
        return pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
    except Exception:
        return None


class TorchCUDARunner:
    """Eager PyTorch on the current CUDA device."""

    name = "torch-cuda"

    def __init__(self) -> None:
        self._impl = None
        self._device: str | None = None

    def unavailable(self) -> str | None:
        for mod, dist in (("torch", "torch"), ("graphs_frontend_fx", "graphs-frontend-fx")):
            if importlib.util.find_spec(mod) is None:
                return f"{dist} is not installed (pip install {dist})"
        import torch

        if torch.version.cuda is None:
            return f"torch {torch.__version__} is a CPU-only build (install a CUDA build of torch)"
        if not torch.cuda.is_available():
            return f"no CUDA device visible to torch {torch.__version__} (CUDA {torch.version.cuda}): no GPU or driver"
        try:
            self.device()
        except Exception as e:
            return " ".join(str(e).split())
        return None

    def device(self) -> str:
        if self._device is None:
            import torch
            from graphs.errors import GraphsError
            from graphs.plugins import get_plugins

            name = torch.cuda.get_device_name(torch.cuda.current_device())
            hw = get_plugins().find_hardware_by_name(name)
            if hw is None:
                raise GraphsError(f"GPU {name!r} is not in the installed hardware catalog "
                                  "(install its device package or add its name as an alias)")
            self._device = hw
        return self._device

    def environment(self) -> Mapping[str, Any]:
        import torch
        from graphs_frontend_fx.measure import torch_environment

        sw = torch_environment()
        idx = torch.cuda.current_device()
        props = torch.cuda.get_device_properties(idx)
        sw.update({"cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                   "tf32_matmul": bool(torch.backends.cuda.matmul.allow_tf32),
                   "tf32_cudnn": bool(torch.backends.cudnn.allow_tf32)})
        h = _nvml_handle()
        if h is not None:
            import pynvml
            try:
                v = pynvml.nvmlSystemGetDriverVersion()
                sw["driver"] = v.decode() if isinstance(v, bytes) else str(v)
            except Exception:
                pass
        host = {"gpu_name": torch.cuda.get_device_name(idx), "compute_capability": f"{props.major}.{props.minor}",
                "gpu_memory_bytes": int(props.total_memory), "multiprocessors": int(props.multi_processor_count),
                "machine": platform.machine(), "nvml": h is not None}
        return {"software": sw, "host": host, "notes": "torch-cuda: CUDA events, synchronize per sample"
                + (", NVML energy" if h is not None else "")}

    def _runner(self):
        if self._impl is None:
            import torch
            from graphs.bench import measure
            from graphs_frontend_fx.measure import TorchRunner

            clock = EventClock()
            handle = _nvml_handle()

            class _CUDA(TorchRunner):
                name = "torch-cuda"
                device_type = "cuda"

                def precisions(self) -> list[str]:
                    return ["fp32", "fp16"] + (["bf16"] if torch.cuda.is_bf16_supported() else [])

                def measure(self, fn, **kw):
                    return measure(fn, sync=torch.cuda.synchronize, clock=clock, **kw)

                def energy(self, fn, seconds):
                    return nvml_energy(handle, fn, seconds) if handle is not None else None

            self._impl = _CUDA()
        return self._impl

    def suite(self, name: str):
        return self._runner().suite(name)

    def run(self, case):
        return self._runner().run(case)


def nvml_energy(handle: Any, fn, seconds: float, window_s: float = 1.0) -> tuple[float, float] | None:
    """(joules per call, average watts) over ≥ ``window_s`` of back-to-back calls, or None."""
    import pynvml
    import torch

    n = int(min(100_000, max(10, math.ceil(window_s / max(seconds, 1e-7)))))
    torch.cuda.synchronize()
    try:
        e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)   # mJ
        counter = True
    except Exception:
        counter = False
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                samples.append(pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3)   # mW -> W
            except Exception:
                return
            time.sleep(0.01)

    th = None if counter else threading.Thread(target=sample, daemon=True)
    if th is not None:
        th.start()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    if th is not None:
        stop.set()
        th.join()
        if not samples:
            return None
        watts = sum(samples) / len(samples)
        return watts * dt / n, watts
    joules = (pynvml.nvmlDeviceGetTotalEnergyConsumption(handle) - e0) / 1e3
    if joules <= 0:
        return None
    return joules / n, joules / dt
