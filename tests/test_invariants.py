"""Physics invariants of every estimate, as property-based tests (hypothesis, with shrinking).

Over every installed device x a sample of zoo models (CNN, depthwise CNN, transformer encoder, LLM,
RNN) x the device's precisions x batch sizes:

* per kernel — time >= FLOPs / peak of the unit it ran on, and >= bytes / bandwidth of the level it
  streams from (where that bandwidth is published); low <= time <= high; all finite;
* per model — latency = kernels + per-run overhead >= 0; memory = parameters + activations (no
  workspace is modelled, and the result says so by its fields); energy > 0 and average power <= TDP
  (and >= idle where idle is known) whenever energy is known;
* monotonicity — a larger batch is not faster; throughput does not fall by more than wave
  quantization allows (5 %) except on CPUs, where a working set that leaves the caches costs more per
  byte (eager PyTorch runs the whole batch per op); a lower float precision on the same device is not
  slower unless the result names measured data that says so; a device that dominates another of its
  family and architecture on every spec (including the power limit) is not slower;
* calibration sanity — a thin calibration far from the prior widens the interval to include the prior.

The default run tries a bounded number of examples (``INVARIANT_EXAMPLES``, default 40 per property);
``pytest -m slow tests/test_invariants.py`` runs thousands (``benchmarks`` note the count).
"""

from __future__ import annotations

import functools
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.estimate import estimate
from graphs.results import ConfidenceLevel
from graphs.frontends import LoadOptions, load_model
from graphs.plugins import get_plugins

MODELS = ["resnet18", "mobilenet_v2", "distilbert-base", "opt-125m", "lstm-lm"]
BATCHES = [1, 2, 4, 8]
FLOATS = ("fp32", "fp16", "bf16")
EXAMPLES = int(os.environ.get("INVARIANT_EXAMPLES", "40"))
SLOW_EXAMPLES = 2500
REL = 1e-9


@functools.lru_cache(maxsize=None)
def devices() -> tuple[str, ...]:
    gp = get_plugins()
    return tuple(sorted(h for h, e in gp.hardware.items() if e.loaded and e.family in gp.mappers))


@functools.lru_cache(maxsize=None)
def graph(model: str, batch: int):
    return load_model(model, LoadOptions(batch=batch, seq_len=32 if model != "resnet18" else None), get_plugins())


@functools.lru_cache(maxsize=None)
def result(model: str, batch: int, hw: str, precision: str | None):
    return estimate(graph(model, batch), hw, get_plugins(), precision=precision)


def precisions(hw: str) -> list[str | None]:
    have = get_plugins().mapper_for(hw).supported_precisions()
    return [None] + [p for p in FLOATS if p in have]


points = st.tuples(st.sampled_from(MODELS), st.sampled_from(BATCHES), st.integers(0, 10**6), st.integers(0, 3))


def pick(point):
    model, batch, d, p = point
    hw = devices()[d % len(devices())]
    ps = precisions(hw)
    return model, batch, hw, ps[p % len(ps)]


def check_result(r, hw: str) -> None:
    assert all(math.isfinite(x) for x in (r.value, r.low, r.high)), r
    assert 0 < r.value and r.low <= r.value <= r.high
    kernels = 0.0
    for p in r.breakdown:
        assert math.isfinite(p.time_s) and p.time_s >= 0, p
        assert p.low_s <= p.time_s * (1 + REL) and p.time_s <= p.high_s * (1 + REL), p
        if p.peak_flops and p.flops:
            assert p.time_s >= p.flops / p.peak_flops * (1 - 1e-6), \
                f"{hw} {p.name}: {p.flops:.3g} FLOP in {p.time_s:.3g} s beats the {p.unit} peak {p.peak_flops:.3g}"
        if p.level_bandwidth and p.bytes:
            assert p.time_s >= p.bytes / p.level_bandwidth * (1 - 1e-6), \
                f"{hw} {p.name}: {p.bytes:.3g} B in {p.time_s:.3g} s beats {p.level} at {p.level_bandwidth:.3g} B/s"
        kernels += p.time_s
    m = r.metrics
    assert r.value >= kernels * (1 - 1e-9) - 1e-15, (r.value, kernels)      # overhead is never negative
    assert m["memory_bytes"] == pytest.approx(m["parameter_bytes"] + m["peak_activation_bytes"])
    e, power = m.get("energy_j"), m.get("avg_power_w")
    if e is not None:
        assert e > 0, m
        coeff = m.get("energy_coefficients") or {}
        tdp, idle = coeff.get("tdp_w"), coeff.get("idle_w")
        if power is not None and tdp:
            assert power <= tdp * (1 + 1e-9), f"{hw}: {power:.3g} W above its {tdp} W TDP"
        if power is not None and idle:
            assert power >= idle * (1 - 1e-9), f"{hw}: {power:.3g} W below its {idle} W idle power"


def run_kernel_and_model(point) -> None:
    model, batch, hw, prec = pick(point)
    check_result(result(model, batch, hw, prec), hw)


def run_batch_monotonic(point) -> None:
    model, batch, hw, prec = pick(point)
    if batch == BATCHES[-1]:
        return
    b2 = BATCHES[BATCHES.index(batch) + 1]
    r1, r2 = result(model, batch, hw, prec), result(model, b2, hw, prec)
    assert r2.value >= r1.value * (1 - 1e-9), f"{hw} {model} {prec}: batch {b2} ({r2.value:.4g} s) faster than {batch}"
    t1, t2 = batch / r1.value, b2 / r2.value
    # throughput: on CPUs a batch whose working set leaves the caches costs more per byte (measured priors
    # by size class), which eager execution does pay; elsewhere it may dip only by wave quantization
    if get_plugins().hardware_entry(hw).family != "cpu":
        assert t2 >= t1 * 0.95, f"{hw} {model} {prec}: throughput fell from {t1:.4g} to {t2:.4g} /s at batch {b2}"


def run_precision_monotonic(point) -> None:
    model, batch, hw, _ = pick(point)
    have = get_plugins().mapper_for(hw).supported_precisions()
    for lo in ("fp16", "bf16"):
        if lo in have and "fp32" in have:
            r16, r32 = result(model, batch, hw, lo), result(model, batch, hw, "fp32")
            explained = any("slower than the" in p.unit for p in r16.breakdown)   # measured data the output names
            assert r16.value <= r32.value * (1 + 1e-9) or explained, \
                f"{hw} {model} b{batch}: {lo} ({r16.value:.4g} s) slower than fp32 ({r32.value:.4g} s), unexplained"


SLOW = settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(points)
def test_kernel_and_model_invariants(point):
    run_kernel_and_model(point)


@FAST
@given(points)
def test_batch_is_monotonic(point):
    run_batch_monotonic(point)


@FAST
@given(points)
def test_lower_precision_is_not_slower(point):
    run_precision_monotonic(point)


@pytest.mark.slow
@SLOW
@given(points)
def test_kernel_and_model_invariants_thousands(point):
    run_kernel_and_model(point)


@pytest.mark.slow
@SLOW
@given(points)
def test_batch_is_monotonic_thousands(point):
    run_batch_monotonic(point)


@pytest.mark.slow
@SLOW
@given(points)
def test_lower_precision_is_not_slower_thousands(point):
    run_precision_monotonic(point)


def dominates(a, b) -> bool:
    """Spec ``a`` is at least ``b`` on every number that sets speed (peaks of every unit and precision,
    main-memory bandwidth and size, and the power limit the clocks live under) and both are the same
    architecture (GPU: compute capability)."""
    if a.family != b.family or a.vendor != b.vendor:
        return False
    ca, cb = a.family_params.get("compute_capability"), b.family_params.get("compute_capability")
    if ca is None or ca != cb:
        return False
    for name, unit in b.compute.items():
        if name not in a.compute:
            return False
        for p, q in unit.peaks.items():
            if a.compute[name].peaks.get(p) is None or a.compute[name].peaks[p].si < q.si:
                return False
    tdp_a = a.power.tdp.si if a.power else None
    tdp_b = b.power.tdp.si if b.power else None
    if tdp_b is not None and (tdp_a is None or tdp_a < tdp_b):
        return False
    return a.memory_bandwidth >= b.memory_bandwidth and (a.memory_bytes or 0) >= (b.memory_bytes or 0)


def dominance_pairs():
    gp = get_plugins()
    specs = {h: e.spec for h, e in gp.hardware.items() if e.loaded and e.family == "gpu"}
    return [(a, b) for a in sorted(specs) for b in sorted(specs) if a != b and dominates(specs[a], specs[b])]


def test_dominance_pairs_exist():
    pairs = dominance_pairs()
    assert ("a100-sxm4-80gb", "a100-pcie-40gb") in pairs, pairs


@pytest.mark.parametrize("model", ["resnet50", "bert-base"])
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_a_dominating_device_is_not_slower(model, precision):
    bad = []
    for a, b in dominance_pairs():
        ra = estimate(graph(model, 1), a, get_plugins(), precision=precision)
        rb = estimate(graph(model, 1), b, get_plugins(), precision=precision)
        # like with like: measured data of the dominating device (kernels of higher confidence than the other
        # device's estimates of the same kernels) may show it slower; that is evidence, not a physics error
        excess = ra.value - rb.value
        measured = sum(x.time_s - y.time_s for x, y in zip(ra.breakdown, rb.breakdown)
                       if x.time_s > y.time_s and x.confidence >= max(y.confidence, ConfidenceLevel.INTERPOLATED))
        # and where only the dominated device has data (its kernels of higher confidence), the dominating
        # device's prior may be pessimistic, but the data must lie inside the interval that prior states
        evidence_on_b = any(y.confidence > x.confidence for x, y in zip(ra.breakdown, rb.breakdown))
        explained = measured >= excess or (evidence_on_b and ra.interval[0] <= rb.value)
        if excess > rb.value * 1e-9 and not explained:
            bad.append(f"{a} {ra.value * 1e3:.3f} ms ({ra.confidence.name}) > {b} {rb.value * 1e3:.3f} ms "
                       f"({rb.confidence.name})")
    assert not bad, bad


def test_thin_calibration_far_from_the_prior_widens_the_interval():
    """A 3-point curve that says elementwise kernels run 40x slower than the prior does not narrow the
    interval around itself: the interval reaches back to the prior's median."""
    from graphs.calibration import Calibration, Curve, Residuals
    from graphs.kernels import vector_kernel
    gp = get_plugins()
    k = vector_kernel("add", 64, 1 << 20)
    base = gp.mapper_for("h100")
    t = base.timing(k)
    prior = base.prior(k)
    curve = Curve(points=((t.seconds / 10, 40.0), (t.seconds * 10, 40.0)), residuals=Residuals(q05=0.9, q50=1.0, q95=1.1),
                  n=3, x_min=t.seconds / 10, x_max=t.seconds * 10)
    keys = base.calibration_keys(k) if hasattr(base, "calibration_keys") else ()
    from graphs_mappers_gpu.calibrate import curve_keys
    cal = Calibration(device="h100", source="test: 3 points", curves={key: curve for key in curve_keys(k, "fp32")})
    e = gp.mapper_for("h100", cal).estimate_kernel(k)
    launch = base.kernel_overhead(k)
    assert e.time_s > t.seconds * 30                                  # the calibration's median stands ...
    assert e.low_s <= launch + t.seconds * prior.median * 1.0001      # ... but its interval reaches the prior
    assert keys is not None


def test_requested_precision_is_honoured_or_refused():
    from graphs.errors import GraphsError
    gp = get_plugins()
    g = graph("resnet18", 1)
    with pytest.raises(GraphsError, match="t4 has no fp64 units"):
        estimate(g, "t4", gp, precision="fp64")
    with pytest.raises(GraphsError, match="t4 has no tf32 units"):
        estimate(g, "t4", gp, precision="tf32")
    with pytest.raises(GraphsError, match="--quantize int8"):
        estimate(g, "t4", gp, precision="int8")
    r = estimate(g, "t4", gp, quantize="int8")
    assert "int8" in r.metrics["precision"].split(",") and r.metrics["quantization"].startswith("int8")
    assert r.metrics["bytes"] < estimate(g, "t4", gp).metrics["bytes"] / 3
    tf = estimate(g, "a100-sxm4-80gb", gp, precision="tf32")
    assert "tf32" in tf.metrics["precision"]
    assert any("tensor_core:tf32" in p.unit for p in tf.breakdown)


def test_runtime_is_stated_and_applies_to_every_family():
    gp = get_plugins()
    g = graph("resnet18", 1)
    for hw in ("h100", "xeon-8480", "tpu-v5e", "coral-edge-tpu"):
        r = estimate(g, hw, gp)
        assert r.metrics["runtime"] in ("eager", "graph") and r.metrics["runtime_description"]
        roof = estimate(g, hw, gp, runtime="roofline")
        assert roof.metrics["runtime"] == "roofline" and roof.value <= r.value * (1 + 1e-9)
    eager, graph_rt = estimate(g, "h100", gp), estimate(g, "h100", gp, runtime="graph")
    assert graph_rt.value < eager.value                       # no host gaps between kernels
