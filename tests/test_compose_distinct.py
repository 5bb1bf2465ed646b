"""graphs.estimate.compose estimates each distinct kernel once (kernels equal but for name and nodes) and
can leave the per-kernel breakdown out: the answer is the one the engine gives kernel by kernel."""

from __future__ import annotations

import pytest

from graphs.estimate import analyze_graph, compose, estimate
from graphs.frontends import LoadOptions, load_model
from graphs.mapper import Mapper
from graphs.plugins import get_plugins


def _close(a, b):
    return a == pytest.approx(b, rel=1e-12, abs=1e-300)


def _same_tree(a, b) -> bool:
    """Equal, floats to 1e-12 (a weighted sum adds in another order than a kernel-by-kernel one)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return _close(a, b)
    return a == b


@pytest.mark.parametrize("model", ["resnet18", "bert-base"])
def test_distinct_kernels_give_the_kernel_by_kernel_answer(model, monkeypatch):
    gp = get_plugins()
    g = load_model(model, LoadOptions(batch=2, seq_len=32 if "bert" in model else None), gp)
    devices = sorted(h for h, e in gp.hardware.items() if h != "host" and e.family in gp.mappers)
    analyses = {}
    for hw in devices:
        m = gp.mapper_for(hw)
        a = analyses.get(m.default_fusion) or analyses.setdefault(
            m.default_fusion, analyze_graph(g, gp, fusion=m.default_fusion, precision="fp16"))
        unique, index, counts = a.distinct_kernels
        assert sum(counts) == len(a.kernels) and len(index) == len(a.kernels)
        assert len(unique) < len(a.kernels)
        fast = compose(a, m, m.default_fusion)
        totals = compose(a, m, m.default_fusion, breakdown=False)
        monkeypatch.setattr(type(m), "shape_only", False)        # the engine sees every kernel
        slow = compose(a, gp.mapper_for(hw), m.default_fusion)
        monkeypatch.undo()
        for r in (fast, totals):
            assert _close(r.value, slow.value) and _close(r.low, slow.low) and _close(r.high, slow.high), hw
            assert r.confidence == slow.confidence
            for k in ("time_by_bound_s", "energy_dynamic_min_j", "energy_j", "precision", "fits", "memory_bytes"):
                x, y = r.metrics[k], slow.metrics[k]
                if isinstance(x, dict):
                    assert x.keys() == y.keys() and all(_close(x[i], y[i]) for i in x), (hw, k)
                elif isinstance(x, float):
                    assert _close(x, y), (hw, k)
                else:
                    assert x == y, (hw, k)
            assert _same_tree(r.metrics["energy_coefficients"], slow.metrics["energy_coefficients"]), hw
        assert totals.breakdown == ()
        assert len(fast.breakdown) == len(slow.breakdown)
        for p, q in zip(fast.breakdown, slow.breakdown):
            assert (p.name, p.nodes, p.kind, p.bound, p.confidence, p.unit) == (q.name, q.nodes, q.kind, q.bound,
                                                                                q.confidence, q.unit)
            assert _close(p.time_s, q.time_s) and (p.energy_j is None) == (q.energy_j is None)
            if p.energy_j is not None:
                assert _close(p.energy_j, q.energy_j)


def test_estimate_is_unchanged_by_a_reused_engine():
    """A sweep reuses one engine per device across many composes: the answer does not depend on history."""
    gp = get_plugins()
    g1 = load_model("resnet18", LoadOptions(batch=1), gp)
    g8 = load_model("resnet18", LoadOptions(batch=8), gp)
    for hw in ("h100", "xeon-8480", "tpu-v5e", "coral-edge-tpu"):
        m = gp.mapper_for(hw)
        pol = m.default_fusion
        have = m.supported_precisions()
        # what the device computes: bf16 where it has it, else int8 after quantizing (the Edge TPU)
        opts = dict(precision="bf16") if "bf16" in have else dict(quantize="int8")
        a8 = analyze_graph(g8, gp, fusion=pol, **opts)
        compose(analyze_graph(g1, gp, fusion=pol, precision="fp32"), m, pol)
        compose(analyze_graph(g1, gp, fusion=pol, **opts), m, pol)
        again = compose(a8, m, pol)
        fresh = estimate(g8, hw, gp, **opts)
        assert (again.value, again.low, again.high, again.confidence) == (fresh.value, fresh.low, fresh.high,
                                                                          fresh.confidence)
        assert again.metrics["energy_coefficients"] == fresh.metrics["energy_coefficients"]


def test_shape_only_is_part_of_the_contract():
    assert Mapper.shape_only is True
