"""Entry point ``mappers-gpu``: registers the ``gpu`` family engine."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl

from graphs_mappers_gpu.mapper import GPUMapper


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`GPUMapper` for family ``gpu``."""
    register("gpu", GPUMapper)
