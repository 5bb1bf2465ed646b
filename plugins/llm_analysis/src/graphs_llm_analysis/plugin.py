"""Entry point: registers the llm-analysis adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the llm-analysis adapter."""
    from graphs_llm_analysis.adapter import LLMAnalysisAdapter

    register(LLMAnalysisAdapter())
