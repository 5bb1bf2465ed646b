"""The request-level serving simulator: arrivals and lengths, schedulers, metrics, interpolation, speed."""

import random
import time
from dataclasses import replace

import numpy as np
import pytest

from graphs.errors import GraphsError
from graphs_llm.builder import Chunk
from graphs_llm.config import LLMConfig
from graphs_llm.cost import LLMCostModel
from graphs_llm.scenario import Lengths, ServingScenario
from graphs_llm.serving import IterationModel, kv_block_capacity, simulate
from graphs.plugins import get_plugins

TINY = LLMConfig("tinyllama-1.1b", 32000, 2048, 22, 32, 4, 64, 5632, max_pos=2048)
LLAMA = LLMConfig("llama2-7b", 32000, 4096, 32, 32, 32, 128, 11008)


@pytest.fixture(scope="module")
def model():
    return IterationModel(LLMCostModel(TINY, get_plugins().mapper_for("h100")))


@pytest.fixture(scope="module")
def llama():
    return IterationModel(LLMCostModel(LLAMA, get_plugins().mapper_for("a100")))


def scen(**kw):
    return ServingScenario(**{"model": "tinyllama-1.1b", "hardware": "h100", "num_requests": 200, "qps": 20.0,
                              "lengths": Lengths("fixed", 256, 32), **kw})


def test_requests_are_deterministic_per_seed_and_poisson():
    a, b, c = scen().requests(), scen().requests(), scen(seed=7).requests()
    assert a == b and a != c
    arr = [r.arrival for r in ServingScenario(num_requests=20000, qps=5.0).requests()]
    gaps = np.diff([0.0] + arr)
    assert gaps.mean() == pytest.approx(1 / 5.0, rel=0.03)
    assert gaps.std() == pytest.approx(1 / 5.0, rel=0.05)           # exponential: std == mean
    assert all(r.arrival == 0 for r in scen(qps=None).requests())


def test_length_distributions():
    rng = np.random.default_rng(0)
    u = Lengths("uniform", min_tokens=100, max_tokens=1000, prefill_to_decode_ratio=3).sample(5000, rng)
    tot = np.array([p + d for p, d in u])
    assert tot.min() >= 100 and tot.max() <= 1000
    assert np.median([p / d for p, d in u]) == pytest.approx(3, rel=0.05)
    z = Lengths("zipf", theta=1.0, min_tokens=100, max_tokens=1000).sample(5000, rng)
    assert np.median([p + d for p, d in z]) < np.median(tot)             # zipf: mass on the short end
    t = Lengths("trace", trace=((10, 2), (20, 3))).sample(5, rng)
    assert t == [(10, 2), (20, 3), (10, 2), (20, 3), (10, 2)]
    with pytest.raises(GraphsError, match="num_prefill_tokens"):
        bad = __import__("tempfile").NamedTemporaryFile("w", suffix=".csv", delete=False)
        bad.write("a,b\n1,2\n")
        bad.close()
        Lengths.from_csv(bad.name)
    with pytest.raises(GraphsError):
        Lengths("gamma")


def test_one_request_alone_gets_the_cost_models_times(model):
    r = simulate(scen(num_requests=1, qps=None), model, record=True)
    pre = model.time(256, 1, [(256, 0)], 0, 0)
    assert r.ttft[0] == pytest.approx(pre)
    steps = [model.time(1, 1, [], 1, 256 + i) for i in range(31)]
    assert r.tpot[0] == pytest.approx(sum(steps) / 31)
    assert r.e2e[0] == pytest.approx(pre + sum(steps))
    assert r.iterations == 32 and [x[2] for x in r.log] == [1] + [0] * 31


def test_interpolated_iterations_stay_close_to_the_cost_model(model):
    """Grid interpolation vs the cost model's parts at the exact sizes, and that per-part sum vs one exact
    iteration (prefill chunks as one varlen kernel, decodes at the mean context)."""
    rnd = random.Random(1)
    c, L = model.cost, TINY.layers
    interp, decomp = [], []
    for _ in range(300):
        pre = [(rnd.randint(1, 700), rnd.choice([0, rnd.randint(1, 900)])) for _ in range(rnd.randint(0, 3))]
        dec = [rnd.randint(1, 1500) for _ in range(rnd.randint(0 if pre else 1, 40))]
        t, s = sum(q for q, _ in pre) + len(dec), len(pre) + len(dec)
        mean = sum(dec) / len(dec) if dec else 0
        approx = model.time(t, s, pre, len(dec), mean)
        parts = (c.embedding(t).value + L * c.layer_linear(t).value + c.head_tokens(t).value + c.head_rows(s).value
                 + sum(L * c.prefill_attention(q, x).value for q, x in pre)
                 + (L * c.decode_attention(len(dec), round(mean)).value if dec else 0.0))
        exact = c.iteration([Chunk(q, x) for q, x in pre], [round(mean)] * len(dec)).value
        interp.append(abs(approx / parts - 1))
        decomp.append(abs(parts / exact - 1))
    assert np.median(interp) < 0.01 and np.percentile(interp, 95) < 0.08
    assert np.median(decomp) < 0.01 and np.percentile(decomp, 95) < 0.06


def test_sarathi_chunks_and_vllm_prefill_priority(model):
    s = simulate(scen(scheduler="sarathi", chunk_size=256, num_requests=100), model, record=True)
    assert max(tok for _, tok, _, _, _ in s.log) <= 256
    assert any(p and d for _, _, p, d, _ in s.log)                    # prefill chunks ride with decodes
    v = simulate(scen(scheduler="vllm", num_requests=100), model, record=True)
    assert not any(p and d for _, _, p, d, _ in v.log)                # vLLM: prefill-only or decode-only
    assert max(p + d for _, _, p, d, _ in v.log) <= 128                 # batch_size_cap
    for r in (s, v):
        assert len(r.e2e) == 100 and np.all(r.e2e >= r.ttft) and np.all(r.ttft > 0)


def test_chunked_prefill_cuts_decode_stalls_under_load(llama):
    """Sarathi-Serve's point: decode steps no longer wait behind whole prefills, so the tail of the time
    between tokens shrinks (per-request mean TPOT much less: every chunked iteration is a bit slower)."""
    base = dict(model="llama2-7b", hardware="a100", num_requests=300, qps=3.0,
                lengths=Lengths("uniform", min_tokens=512, max_tokens=3072, prefill_to_decode_ratio=4))
    v = simulate(ServingScenario(scheduler="vllm", **base), llama).summary()
    s = simulate(ServingScenario(scheduler="sarathi", chunk_size=512, **base), llama).summary()
    assert s["tbt_s"]["p99"] < 0.5 * v["tbt_s"]["p99"]
    assert s["tpot_s"]["p99"] < v["tpot_s"]["p99"]


def test_small_kv_cache_preempts_and_still_finishes(model):
    r = simulate(scen(qps=None, num_requests=64), model, kv_blocks=400)
    assert r.preemptions > 0 and len(r.e2e) == 64 and np.isfinite(r.e2e).all()
    with pytest.raises(GraphsError, match="more KV blocks"):
        simulate(scen(lengths=Lengths("fixed", 4000, 10)), model, kv_blocks=100)


def test_kv_capacity_from_memory(llama):
    sc = ServingScenario(model="llama2-7b", hardware="a100")
    blocks = kv_block_capacity(llama.cost, sc)
    per_block = 16 * 2 * 32 * 32 * 128 * 2
    free = 80e9 * 0.9 - llama.cost.builder.weight_bytes()
    assert 0.9 * free / per_block < blocks < free / per_block


def test_summary_has_vidur_metrics(model):
    s = simulate(scen(), model).summary()
    for k in ("ttft_s", "tpot_s", "e2e_s"):
        assert s[k]["p50"] <= s[k]["p99"]
    assert s["requests"] == 200 and s["output_tokens_per_s"] > 0


def test_simulates_over_a_thousand_requests_per_second(model):
    sc = scen(num_requests=2000, qps=30.0, lengths=Lengths("zipf", min_tokens=64, max_tokens=1024))
    simulate(sc, model)                                            # grid points estimated (warm-up)
    best = 0.0
    for seed in (1, 2):
        t = time.perf_counter()
        simulate(replace(sc, seed=seed), model)
        best = max(best, 2000 / (time.perf_counter() - t))
    assert best >= 1000, f"{best:.0f} requests/s"
