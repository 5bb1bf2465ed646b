"""Speed targets of the FX frontend (after imports): ResNet-50 <= 1 s, Llama-2-7B <= 3 s for
load + trace + analyze_graph. Timing on a shared machine: run with ``-m slow``."""

from __future__ import annotations

import time

import pytest

from graphs.estimate import analyze_graph
from graphs.frontends import LoadOptions, load_model
from graphs.plugins import GraphsPlugins
from graphs_frontend_fx.zoo._entry import _build_cached


@pytest.mark.slow
@pytest.mark.parametrize("name, limit_s", [("resnet50", 1.0), ("llama2-7b", 3.0)])
def test_trace_and_analyze_speed(name, limit_s):
    gp = GraphsPlugins()
    gp.load_entry_points(["frontend-fx"])
    gp.collect()
    load_model("squeezenet1_1", LoadOptions(), gp)  # first-trace warm-up (lazy torch init), not timed
    best = float("inf")
    for _ in range(2):
        _build_cached.cache_clear()
        t = time.perf_counter()
        analyze_graph(load_model(name, LoadOptions(), gp), gp)
        best = min(best, time.perf_counter() - t)
    assert best <= limit_s, f"{name}: {best:.2f}s > {limit_s}s"
