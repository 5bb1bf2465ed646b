"""Entry point ``mappers-gpu``: registers the ``gpu`` family engine."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`~graphs_mappers_gpu.mapper.GPUMapper` for family ``gpu``."""
    register("gpu", "graphs_mappers_gpu.mapper:GPUMapper")     # imported (and checked) on first use


@hookimpl
def graphs_register_runners(register: Callable[..., None]) -> None:
    """Register the ``torch-cuda`` benchmark runner (eager PyTorch on a GPU; see runner.py)."""
    from graphs_mappers_gpu.runner import TorchCUDARunner

    register(TorchCUDARunner())
