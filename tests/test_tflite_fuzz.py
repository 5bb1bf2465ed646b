"""Fuzz: mutated and truncated TFLite files end in a Graph or a GraphsError, nothing else."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("graphs_frontend_tflite")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from frontend_fuzz import KINDS, mutate, tflite_seeds, run_case  # noqa: E402
from graphs.plugins import get_plugins  # noqa: E402

SEEDS = tflite_seeds()


def test_seeds_are_valid(tmp_path):
    got = [run_case(s, tmp_path / "seed.tflite", get_plugins()) for s in SEEDS]
    assert got[:3] == ["graph", "graph", "error:UnsupportedOpError"]  # the third has a custom op
    assert all(r == "graph" for r in got[3:])


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, len(SEEDS) - 1), kind=st.sampled_from(KINDS), rnd=st.integers(0, 2**32 - 1))
def test_mutated_tflite_never_crashes(tmp_path, seed, kind, rnd):
    run_case(mutate(SEEDS[seed], kind, random.Random(rnd)), tmp_path / "case.tflite", get_plugins())
