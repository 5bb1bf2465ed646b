"""Entry point ``llm``: ``graphs serve``, ``graphs train`` and ``graphs serving simulate``, and the
ML.ENERGY data layout for ``graphs validate --data``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Register the LLM commands (their module imports nothing heavy)."""
    from graphs_llm import cli

    register(cli.serve)
    register(cli.train)
    register(cli.serving_app)


@hookimpl
def graphs_register_datasets(register: Callable[..., None]) -> None:
    """Register the ML.ENERGY Benchmark v3 layout (vLLM serving measurements on H100/B200)."""
    from graphs_llm.mlenergy_reader import MLEnergyLabels

    register(MLEnergyLabels())
