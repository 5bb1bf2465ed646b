"""Request-level simulation of one serving replica (continuous batching), VIDUR's metrics.

**Iteration latency** comes from :class:`graphs_llm.cost.LLMCostModel` (operator-level kernel
estimates), split into parts that depend on few numbers and cached on grids, linear
interpolation between grid points (exact up to 256, then steps of 2^(1/16) ≈ 4.4 %; the family engine's
wave quantisation makes the exact times step-wise, so an interpolated iteration can miss a step: see
docs/llm_serving.md for the measured error):

    t = A(T) + R(S) + L·Σ_prefill P(q, ctx) + L·D(n_decode, mean decode ctx)

``A`` = embedding + layers without attention + final norm over the T tokens (TP all-reduces
included), ``R`` = LM head and sampling for the S sampled rows, ``P`` = one layer's prefill
attention for a chunk of q tokens after ctx cached ones, ``D`` = one layer's decode attention.

**Schedulers** (preemption by recomputation of the most recently admitted request when KV blocks
run out, as vLLM v0 does):

* ``vllm`` — continuous batching with prefill priority: when requests wait and their prompts fit
  (``max_tokens_in_batch``, ``batch_size_cap``, free KV blocks), run a prefill-only iteration of
  them (FCFS); otherwise one decode step for every running request.
* ``sarathi`` — chunked prefill (Sarathi-Serve): every iteration runs every decode plus prefill
  chunks filling the ``chunk_size`` token budget (ongoing prefills first, then new requests).

KV capacity: ``(gpu_memory_utilization × memory − weights − activation peak at the largest
iteration) / (block_size × KV bytes per token)`` blocks. A request's first output token comes out
of its prefill (so it needs ``decode − 1`` decode steps, as in VIDUR).

**Metrics** (per request, VIDUR's names in brackets): TTFT = first token − arrival
(``prefill_e2e_time``), TPOT = (completion − first token) / (decode − 1)
(``decode_time_execution_plus_preemption_normalized``), E2E = completion − arrival
(``request_e2e_time``), TBT = every gap between two successive output tokens of a request
(``decode_token_execution_plus_preemption_time``: where prefill stalls show), scheduling delay = first
scheduled − arrival; mean, P50, P90, P99.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphs.errors import GraphsError
from graphs_llm.builder import Chunk
from graphs_llm.cost import LLMCostModel
from graphs_llm.scenario import ServingScenario

EXACT = 256
RATIO = 2 ** (1 / 16)


def _grid(limit: int = 1 << 22) -> list[int]:
    g = list(range(0, EXACT + 1))
    x = float(EXACT)
    while x < limit:
        x *= RATIO
        v = int(round(x))
        if v > g[-1]:
            g.append(v)
    return g


GRID = _grid()


def _bracket(x: float) -> tuple[int, int, float]:
    """Grid neighbours (lo, hi) of x and the weight of hi."""
    if x <= EXACT:
        xi = int(x)
        return xi, xi, 0.0
    i = bisect.bisect_left(GRID, x)
    hi = GRID[i]
    if hi == x:
        return hi, hi, 0.0
    lo = GRID[i - 1]
    return lo, hi, (x - lo) / (hi - lo)


class IterationModel:
    """Cached, interpolated iteration latency of one replica (see module docstring)."""

    def __init__(self, cost: LLMCostModel) -> None:
        self.cost = cost
        self.L = cost.cfg.layers
        self._a: dict[int, float] = {}
        self._r: dict[int, float] = {}
        self._p: dict[tuple[int, int], float] = {}
        self._d: dict[tuple[int, int], float] = {}

    def _A(self, t: int) -> float:
        v = self._a.get(t)
        if v is None:
            c = self.cost
            v = c.embedding(t).value + self.L * c.layer_linear(t).value + c.head_tokens(t).value
            self._a[t] = v
        return v

    def _R(self, s: int) -> float:
        v = self._r.get(s)
        if v is None:
            v = self.cost.head_rows(s).value
            self._r[s] = v
        return v

    def _P(self, q: int, ctx: int) -> float:
        v = self._p.get((q, ctx))
        if v is None:
            v = self.L * self.cost.prefill_attention(q, ctx).value
            self._p[(q, ctx)] = v
        return v

    def _D(self, n: int, ctx: int) -> float:
        v = self._d.get((n, ctx))
        if v is None:
            v = self.L * self.cost.decode_attention(n, ctx).value
            self._d[(n, ctx)] = v
        return v

    @staticmethod
    def _lin1(f, x: float) -> float:
        lo, hi, w = _bracket(x)
        return f(lo) if w == 0.0 else (1 - w) * f(lo) + w * f(hi)

    @staticmethod
    def _lin2(f, x: float, y: float) -> float:
        xl, xh, wx = _bracket(x)
        yl, yh, wy = _bracket(y)
        v = (1 - wx) * ((1 - wy) * f(xl, yl) + (wy * f(xl, yh) if wy else 0.0))
        if wx:
            v += wx * ((1 - wy) * f(xh, yl) + (wy * f(xh, yh) if wy else 0.0))
        return v

    def time(self, tokens: int, sampled: int, prefill: list[tuple[int, int]], n_decode: int, decode_ctx: float) -> float:
        t = self._lin1(self._A, tokens) + self._lin1(self._R, max(1, sampled))
        for q, ctx in prefill:
            t += self._lin2(self._P, q, ctx)
        if n_decode:
            t += self._lin2(self._D, n_decode, decode_ctx)
        return t

    def exact(self, prefill: list[tuple[int, int]], decode: list[int], sampled: int) -> float:
        """The cost model's iteration time without the grids (for checking the interpolation)."""
        return self.cost.iteration([Chunk(q, c) for q, c in prefill], decode, sampled).value


TBT_SAMPLE = 200_000     # gaps between tokens kept for percentiles (memory stays bounded at any request count)


class Reservoir:
    """A uniform random sample of at most ``capacity`` values of a stream (Vitter's algorithm R)."""

    def __init__(self, capacity: int, seed: int = 0) -> None:
        self.capacity, self.count = capacity, 0
        self.values: list[float] = []
        self._rng = np.random.default_rng(seed + 7919)

    def add(self, x: float) -> None:
        self.count += 1
        if len(self.values) < self.capacity:
            self.values.append(x)
        else:
            j = int(self._rng.integers(0, self.count))
            if j < self.capacity:
                self.values[j] = x

    def array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float)


@dataclass
class ServingResult:
    scenario: ServingScenario
    ttft: np.ndarray
    tpot: np.ndarray
    e2e: np.ndarray
    sched_delay: np.ndarray
    iterations: int
    makespan_s: float
    preemptions: int
    kv_blocks: int
    sim_wall_s: float
    output_tokens: int
    notes: list[str] = field(default_factory=list)
    tbt: np.ndarray = field(default_factory=lambda: np.zeros(0))       # every gap between two output tokens
    log: list[tuple[float, int, int, int, float]] = field(default_factory=list)   # (start, tokens, prefills, decodes, dt)

    def summary(self) -> dict[str, Any]:
        def stats(a: np.ndarray) -> dict[str, float]:
            if not len(a):
                return {k: float("nan") for k in ("mean", "p50", "p90", "p99")}
            return {"mean": float(a.mean()), "p50": float(np.percentile(a, 50)), "p90": float(np.percentile(a, 90)),
                    "p99": float(np.percentile(a, 99))}
        n = len(self.e2e)
        return {"requests": n, "ttft_s": stats(self.ttft), "tpot_s": stats(self.tpot), "e2e_s": stats(self.e2e),
                "tbt_s": stats(self.tbt),
                "scheduling_delay_s": stats(self.sched_delay), "iterations": self.iterations,
                "makespan_s": self.makespan_s, "throughput_req_s": n / self.makespan_s if self.makespan_s else 0.0,
                "output_tokens_per_s": self.output_tokens / self.makespan_s if self.makespan_s else 0.0,
                "preemptions": self.preemptions, "kv_blocks": self.kv_blocks, "sim_wall_s": self.sim_wall_s,
                "simulated_requests_per_wall_s": n / self.sim_wall_s if self.sim_wall_s else float("inf")}


def kv_block_capacity(cost: LLMCostModel, scenario: ServingScenario) -> int:
    """KV blocks that fit next to the weights and the largest iteration's activations."""
    from graphs_llm.ops import REGISTRY
    from graphs.passes import peak_activation_bytes
    cap = cost.mapper.spec.memory_bytes
    if not cap:
        raise GraphsError(f"{cost.mapper.spec.id}: the spec has no memory size; KV capacity is unknown")
    b = cost.builder
    t = scenario.chunk_size if scenario.scheduler == "sarathi" else scenario.max_tokens_in_batch
    act = max(peak_activation_bytes(b.layer([Chunk(t, 0)]), REGISTRY), peak_activation_bytes(b.head(t, 1), REGISTRY))
    free = cap * scenario.gpu_memory_utilization - b.weight_bytes() - act
    per_block = b.kv_bytes_per_token() * scenario.block_size
    blocks = int(free // per_block)
    if blocks < 1:
        raise GraphsError(f"{cost.cfg.name} does not fit on {cost.mapper.spec.id}: weights {b.weight_bytes() / 1e9:.1f} GB "
                          f"+ activations {act / 1e9:.2f} GB leave no room for a KV cache "
                          f"(usable {cap * scenario.gpu_memory_utilization / 1e9:.1f} GB)")
    return blocks


def simulate(scenario: ServingScenario, model: IterationModel, kv_blocks: int | None = None,
             record: bool = False) -> ServingResult:
    """Run the request stream through the scheduler; returns per-request metrics (``record``: and every
    iteration as (start, tokens, prefill chunks, decodes, duration))."""
    t_wall = time.perf_counter()
    reqs = scenario.requests()
    n = len(reqs)
    B = scenario.block_size
    blocks_total = kv_blocks if kv_blocks is not None else kv_block_capacity(model.cost, scenario)
    watermark = max(1, int(0.01 * blocks_total))         # vLLM's watermark_blocks (1 %)
    arrival = [r.arrival for r in reqs]
    prefill = [r.prefill for r in reqs]
    decode = [r.decode for r in reqs]
    for i in range(n):
        if math.ceil((prefill[i] + decode[i]) / B) > blocks_total - watermark:
            raise GraphsError(f"request {i} ({prefill[i]}+{decode[i]} tokens) needs more KV blocks than the replica "
                              f"has ({blocks_total})")
    proc = [0] * n          # prompt (+ recomputed) tokens in the cache
    target = list(prefill)  # tokens the current prefill must process (prompt, or prompt + generated after preemption)
    gen = [0] * n           # output tokens so far
    blocks = [0] * n
    first = [math.nan] * n
    done = [math.nan] * n
    sched = [math.nan] * n
    free = blocks_total
    waiting: deque[int] = deque()
    running: list[int] = []        # admitted, in admission order
    nxt = 0
    now = 0.0
    iters = preempt = 0
    cap = scenario.batch_size_cap
    finished = 0
    log: list[tuple[float, int, int, int, float]] = []
    gaps = Reservoir(TBT_SAMPLE, seed=scenario.seed)
    last_tok = [0.0] * n
    sarathi = scenario.scheduler == "sarathi"
    chunk = scenario.chunk_size
    max_tok = scenario.max_tokens_in_batch

    def preempt_last() -> None:
        nonlocal free, preempt
        v = running.pop()
        free += blocks[v]
        blocks[v] = 0
        proc[v] = 0
        target[v] = prefill[v] + gen[v]
        waiting.appendleft(v)
        preempt += 1

    def ensure_decode_blocks(dec: list[int]) -> list[int]:
        """Grow every decoding request by one slot, preempting from the back until it fits."""
        nonlocal free
        while True:
            need = 0
            for r in dec:
                if math.ceil((proc[r] + gen[r]) / B) > blocks[r]:
                    need += 1
            if need <= free or not running:
                break
            preempt_last()
            dec = [r for r in dec if r in running_set()]
        for r in dec:
            nb = math.ceil((proc[r] + gen[r]) / B)
            if nb > blocks[r]:
                free -= nb - blocks[r]
                blocks[r] = nb
        return dec

    def running_set() -> set[int]:
        return set(running)

    while finished < n:
        while nxt < n and arrival[nxt] <= now:
            waiting.append(nxt)
            nxt += 1
        if not running and not waiting:
            now = arrival[nxt]
            continue
        pre: list[tuple[int, int, int]] = []      # (request, q, ctx)
        dec: list[int] = []
        if sarathi:
            dec = [r for r in running if proc[r] >= target[r]]
            dec = ensure_decode_blocks(dec)
            budget = chunk - len(dec)
            for r in running:
                if budget <= 0:
                    break
                if proc[r] < target[r]:
                    q = min(target[r] - proc[r], budget)
                    pre.append((r, q, proc[r]))
                    budget -= q
            while waiting and budget > 0 and len(running) < cap:
                r = waiting[0]
                nb = math.ceil(target[r] / B)
                if free - nb < watermark:
                    break
                waiting.popleft()
                free -= nb
                blocks[r] = nb
                running.append(r)
                if math.isnan(sched[r]):
                    sched[r] = now
                q = min(target[r], budget)
                pre.append((r, q, 0))
                budget -= q
        else:
            tokens = 0
            while waiting and len(running) + len(pre) < cap:
                r = waiting[0]
                if pre and tokens + target[r] > max_tok:
                    break
                nb = math.ceil(target[r] / B)
                if free - nb < watermark:
                    break
                waiting.popleft()
                free -= nb
                blocks[r] = nb
                if math.isnan(sched[r]):
                    sched[r] = now
                pre.append((r, target[r], 0))
                tokens += target[r]
            if pre:
                running.extend(r for r, _, _ in pre)
            else:
                dec = ensure_decode_blocks(list(running))
        if not pre and not dec:
            if nxt < n and not running:
                now = max(now, arrival[nxt])
                continue
            raise GraphsError("serving simulation stalled: nothing can be scheduled (KV cache too small?)")
        completing = [r for r, q, c in pre if c + q >= target[r]]
        tokens = sum(q for _, q, _ in pre) + len(dec)
        dctx = (sum(proc[r] + gen[r] - 1 for r in dec) / len(dec)) if dec else 0.0
        dt = model.time(tokens, len(dec) + len(completing), [(q, c) for _, q, c in pre], len(dec), dctx)
        if record:
            log.append((now, tokens, len(pre), len(dec), dt))
        now += dt
        iters += 1
        for r, q, _ in pre:
            proc[r] += q
        for r in dec:
            gaps.add(now - last_tok[r])
            last_tok[r] = now
        for r in completing + dec:
            gen[r] += 1
            if math.isnan(first[r]):
                first[r] = now
                last_tok[r] = now
            if gen[r] >= decode[r]:
                done[r] = now
                finished += 1
                free += blocks[r]
                blocks[r] = 0
                running.remove(r)
    wall = time.perf_counter() - t_wall
    arr = np.array(arrival)
    first_a, done_a = np.array(first), np.array(done)
    dec_a = np.array(decode)
    multi = dec_a > 1
    tpot = (done_a[multi] - first_a[multi]) / (dec_a[multi] - 1)
    return ServingResult(scenario, first_a - arr, tpot, done_a - arr, np.array(sched) - arr, iters, float(now),
                         preempt, blocks_total, wall, int(dec_a.sum()), tbt=gaps.array(), log=log,
                         notes=[f"time between tokens: percentiles from a uniform sample of {TBT_SAMPLE} of the "
                                f"{gaps.count} gaps"] if gaps.count > TBT_SAMPLE else [])
