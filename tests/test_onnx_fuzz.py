"""Fuzz: mutated and truncated ONNX files end in a Graph or a GraphsError, nothing else."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("graphs_frontend_onnx")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from frontend_fuzz import KINDS, mutate, onnx_seeds, run_case  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402

SEEDS = onnx_seeds()


def test_seeds_are_valid(tmp_path):
    for s in SEEDS:
        assert run_case(s, tmp_path / "seed.onnx", get_plugins()) == "graph"


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, len(SEEDS) - 1), kind=st.sampled_from(KINDS), rnd=st.integers(0, 2**32 - 1))
def test_mutated_onnx_never_crashes(tmp_path, seed, kind, rnd):
    run_case(mutate(SEEDS[seed], kind, random.Random(rnd)), tmp_path / "case.onnx", get_plugins())
