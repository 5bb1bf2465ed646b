"""Speed work must not change estimates: the per-engine memos (Mapper.derived) and the regression check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_derived_memo_dropped_when_state_is_replaced():
    from graphs.plugins import get_plugins
    m = get_plugins().mapper_for("h100")
    memo = m.derived()
    memo["x"] = 1
    assert m.derived() is memo
    m.priors = m.priors                       # a state attribute set (even to the same object): memo gone
    assert "x" not in m.derived()
    m.derived()["y"] = 2
    m.something_else = 3                      # not state: memo kept
    assert m.derived()["y"] == 2


def test_gpu_unit_memo_follows_options():
    """The memoized unit choice follows an engine whose options are replaced (TF32 off -> on)."""
    from dataclasses import replace

    from graphs.ops.registry import Category
    from graphs.partition import GemmShape, Kernel
    from graphs.plugins import get_plugins
    m = get_plugins().mapper_for("a100-sxm4-80gb")
    g = GemmShape(m=512, n=512, k=512)
    k = Kernel("mm", ("mm",), "matmul", Category.MATMUL, g.flops, g.flops, 3 * 512 * 512 * 4, 512 * 512 * 4,
               "float32", g)
    m.options = replace(m.options, tf32_matmul=False)
    before = m.unit(k, "fp32")
    m.options = replace(m.options, tf32_matmul=True, tf32_conv=True)
    after = m.unit(k, "fp32")
    assert (before.name, before.precision) == ("cuda_core", "fp32")
    assert (after.name, after.precision) == ("tensor_core", "tf32")
    fresh = get_plugins().mapper_for("a100-sxm4-80gb")
    fresh.options = m.options
    assert m.estimate_kernel(k) == fresh.estimate_kernel(k)          # as an engine built with those options


@pytest.mark.slow
def test_estimates_unchanged_against_a_dump():
    """Every estimate equals a dump made before a change (GRAPHS_REGRESSION_DUMP; make it with
    ``benchmarks/estimate_regression.py dump PATH`` on the code before the change)."""
    dump = os.environ.get("GRAPHS_REGRESSION_DUMP")
    if not dump:
        pytest.skip("set GRAPHS_REGRESSION_DUMP to a dump of benchmarks/estimate_regression.py")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "estimate_regression.py"), "check", dump],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
